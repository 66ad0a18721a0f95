#!/usr/bin/env python3
"""The Quickstart MLP's training step and inference in PyTorch on cuda:0.

Eager, torch.compile (default) and torch.compile(mode="reduce-overhead"),
fp32 with TF32 off, random inputs of the real shapes. Prints lines like
`torch-eager train_step batch=64 ms=1.1400` for scripts/gpu-check.
"""
import statistics
import sys
import time

import torch
from torch import nn


def model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(),
                         nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10)).cuda()


def median_ms(f, iterations=50, repeats=5):
    for _ in range(10):
        f()
    torch.cuda.synchronize()
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            f()
        torch.cuda.synchronize()
        rounds.append((time.perf_counter() - start) * 1e3 / iterations)
    return statistics.median(rounds)


def main():
    if not torch.cuda.is_available():
        print("torch gpu: skipped: no CUDA")
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    batches = [int(b) for b in sys.argv[1:]] or [64, 4096]
    for batch in batches:
        for mode in ["eager", "default", "reduce-overhead"]:
            net = model()
            opt = torch.optim.SGD(net.parameters(), lr=1e-3)
            loss_fn = nn.CrossEntropyLoss()
            x = torch.rand(batch, 1, 28, 28, device="cuda")
            y = torch.arange(batch, device="cuda") % 10

            def step():
                loss = loss_fn(net(x), y)
                loss.backward()
                opt.step()
                opt.zero_grad()

            def infer():
                with torch.no_grad():
                    net(x)

            if mode != "eager":
                step = torch.compile(step, mode=mode)
                infer = torch.compile(infer, mode=mode)
            name = "torch-" + ("eager" if mode == "eager" else "compile-" + mode)
            print(f"{name} train_step batch={batch} ms={median_ms(step):.4f}",
                  flush=True)
            print(f"{name} inference batch={batch} ms={median_ms(infer):.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
