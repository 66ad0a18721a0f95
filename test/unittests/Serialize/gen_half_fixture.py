#!/usr/bin/env python3
# Regenerates half_fixture.safetensors: float16 and bfloat16 tensors written
# by PyTorch through the reference `safetensors` package, which
# SafetensorsTest.cpp loads and checks value by value (the float32 values
# below are exact in both types). Keep the values in step with the test.
#
#   ../shared/tools/install-torch2.sh; <venv>/bin/pip install safetensors
#   <venv>/bin/python gen_half_fixture.py
import os

import torch
from safetensors.torch import save_file

tensors = {
    # [2, 3] float16: normal, subnormal (2^-24), the largest finite, -0.
    "half": torch.tensor([[1.0, -2.5, 65504.0], [2.0**-24, -0.0, 0.333251953125]],
                         dtype=torch.float16),
    # [4] bfloat16: its range is float32's.
    "brain": torch.tensor([1.0, 3.140625, -3.3895313892515355e38, 2.0**-133],
                          dtype=torch.bfloat16),
}
here = os.path.dirname(os.path.abspath(__file__))
save_file(tensors, os.path.join(here, "half_fixture.safetensors"),
          metadata={"format": "pt"})
