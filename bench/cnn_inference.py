#!/usr/bin/env python3
# ===- cnn_inference.py - The CNN example's inference on onnxruntime ------=== #
#
# Part of Ember's benchmarks: the inference peer of bench/run-cnn.sh.
# Exports examples/cnn.cpp's model in eval mode (random weights and
# batch-norm statistics, seed 0) to ONNX with PyTorch 2.x at opset 13,
# writes the model and a batch of random images for Ember (graphc +
# ember-run), then times onnxruntime's CPU session on that batch as
# `ember-run --repeat` does: the median of at least 50 runs after 5
# warm-up runs. Prints one line per thread count:
#
#   onnxruntime cnn-infer batch=B threads=T ms=M
#
#   python bench/cnn_inference.py --batch 64 --out DIR [--threads 1,2]
#
# Needs torch, onnx and onnxruntime: the virtual environment
# bench/install-torch2.sh makes.
#
# ===----------------------------------------------------------------------=== #

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import onnxruntime as ort
import torch

from cnn_pytorch import CNN


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", required=True,
                        help="folder for cnn.onnx and cnn.input.npy")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    torch.manual_seed(0)
    model = CNN()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "cnn.onnx")
    x = np.random.default_rng(0).random((args.batch, 1, 28, 28),
                                        dtype=np.float32)
    torch.onnx.export(model, (torch.from_numpy(x),), path, input_names=["x"],
                      output_names=["logits"], opset_version=13, dynamo=False)
    np.save(os.path.join(args.out, "cnn.input.npy"), x)
    with torch.no_grad():
        np.save(os.path.join(args.out, "cnn.torch.npy"),
                model(torch.from_numpy(x)).numpy())

    for threads in [int(t) for t in args.threads.split(",")]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options,
                                       providers=["CPUExecutionProvider"])
        for _ in range(5):
            session.run(None, {"x": x})
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            session.run(None, {"x": x})
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"onnxruntime cnn-infer batch={args.batch} threads={threads} "
              f"ms={1e3 * times[len(times) // 2]:.3f}", flush=True)


if __name__ == "__main__":
    main()
