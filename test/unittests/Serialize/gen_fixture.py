#!/usr/bin/env python3
# Regenerates fixture.safetensors, a checkpoint written by the reference
# `safetensors` package, which SafetensorsTest.cpp loads and checks value by
# value. Keep the values in step with the test.
#
#   python3 -m venv /tmp/st && /tmp/st/bin/pip install safetensors numpy
#   /tmp/st/bin/python gen_fixture.py
import os

import numpy as np
from safetensors.numpy import save_file

tensors = {
    # [2, 3] float32: 0.25 * (0..5) - 0.5.
    "weight": (np.arange(6, dtype=np.float32) * 0.25 - 0.5).reshape(2, 3),
    # [3] float64 with values that are not exact in float32.
    "bias": np.array([0.1, -2.5, 1e300], dtype=np.float64),
    # [2, 2] int64, including values beyond 2^53.
    "steps": np.array([[1, -2], [2**62, -(2**63)]], dtype=np.int64),
    # [4] uint8.
    "bytes": np.array([0, 1, 127, 255], dtype=np.uint8),
    # [2, 2] bool.
    "mask": np.array([[True, False], [False, True]]),
    # Rank 0 float32.
    "scale": np.array(3.5, dtype=np.float32),
    # Empty [0, 4] float32.
    "empty": np.zeros((0, 4), dtype=np.float32),
}
metadata = {"format": "pt", "producer": "gen_fixture.py"}

here = os.path.dirname(os.path.abspath(__file__))
save_file(tensors, os.path.join(here, "fixture.safetensors"), metadata=metadata)
