#!/usr/bin/env python3
# ===- inference_onnxruntime.py - The Quickstart MLP on onnxruntime ------=== #
#
# Part of Ember's benchmarks: the inference peer of bench/run-quickstart.sh.
# Exports the Quickstart's NeuralNetwork (random weights, as
# quickstart_ember --infer uses) to ONNX with PyTorch 2.x, then times
# onnxruntime's CPU session on a batch of random images, as
# `quickstart_ember --infer B` does: at least 1 s and 20 runs after 5
# warm-up runs, the input fed as a NumPy array each run. Prints one line:
#
#   onnxruntime infer batch=B threads=T samples_per_s=N
#
#   python bench/inference_onnxruntime.py --batch 64 --threads 2
#
# Needs torch, onnx and onnxruntime: the virtual environment
# bench/install-torch2.sh makes (source its env.sh first).
#
# ===------------------------------------------------------------------------=== #

import argparse
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import onnxruntime as ort
import torch

from quickstart_pytorch import NeuralNetwork


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    # The TorchScript exporter (dynamo=False) needs no onnxscript; it warns
    # that it is the legacy one.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    torch.manual_seed(0)
    model = NeuralNetwork().eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "quickstart.onnx")
        example = torch.rand(args.batch, 1, 28, 28)
        torch.onnx.export(model, (example,), path, input_names=["x"],
                          output_names=["logits"], dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options,
                                       providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((args.batch, 1, 28, 28),
                                        dtype=np.float32)
    for _ in range(5):
        session.run(None, {"x": x})
    runs = 0
    start = time.perf_counter()
    seconds = 0.0
    while seconds < 1.0 or runs < 20:
        session.run(None, {"x": x})
        runs += 1
        seconds = time.perf_counter() - start
    print(f"onnxruntime infer batch={args.batch} threads={args.threads} "
          f"samples_per_s={runs * args.batch / seconds:.0f}")


if __name__ == "__main__":
    main()
