#!/usr/bin/env python3
"""The scaling model of data-parallel training (docs/distributed.md).

Reads what bench_distributed measured here (JSON lines) and predicts the
Quickstart's epoch for N = 1..256 ranks, one per machine, at given link
bandwidths:

  step(N) = compute(b) + pack + allreduce(N, S)
  allreduce(N, S) = 2 log2(N) alpha + 2 (N - 1) / N * S / B   (Rabenseifner's
                    reduce-scatter + all-gather, what MPI and NCCL use for
                    large messages)

compute(b) is the step without DDP at per-rank batch b, pack the bucket's
cost (ddp step - compute - this machine's all-reduce), S the gradients'
bytes (2.68 MB), B the link, alpha a message's latency. With PyTorch's
bucketing (25 MB buckets, last layers first, each started as soon as the
backward pass has produced it) at best the backward pass (about 2/3 of the
step) hides the all-reduce: step = compute + pack + max(0, allreduce - 2/3
compute).
"""
import json
import math
import sys

SAMPLES = 60000          # FashionMNIST's training set
GRAD_BYTES = 669706 * 4  # the Quickstart MLP's gradients
LINKS = [("10 GbE", 10e9 / 8, 20e-6), ("25 GbE", 25e9 / 8, 15e-6),
         ("100 Gb IB", 100e9 / 8, 3e-6)]


def fit_line(points):
    """Least squares t = a + x / b over (x, t); returns (a, b)."""
    n = len(points)
    sx = sum(x for x, _ in points); st = sum(t for _, t in points)
    sxx = sum(x * x for x, _ in points); sxt = sum(x * t for x, t in points)
    slope = (n * sxt - sx * st) / (n * sxx - sx * sx)
    a = (st - slope * sx) / n
    return max(a, 0.0), 1.0 / slope


def allreduce(n, size, bandwidth, alpha):
    if n == 1:
        return 0.0
    return 2 * math.log2(n) * alpha + 2 * (n - 1) / n * size / bandwidth


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    machine = next(r for r in rows if r["what"] == "machine")
    ar = [r for r in rows if r["what"] == "all_reduce"]
    steps = {r["batch_per_rank"]: r for r in rows if r["what"] == "step"}
    a, b = fit_line([(r["bytes"], r["ms"] / 1e3) for r in ar])
    here = next(r for r in ar if r["bytes"] == GRAD_BYTES)["ms"] / 1e3
    print(f"\nMeasured on {machine['cpu']}: {machine['ranks']} ranks on this "
          f"machine, {machine['threads_per_rank']} thread(s) each")
    print(f"  all-reduce here (MPI, shared memory): {a * 1e6:.0f} us + "
          f"bytes / {b / 1e9:.2f} GB/s; the Quickstart's "
          f"{GRAD_BYTES / 1e6:.2f} MB: {here * 1e3:.2f} ms")
    print("  through a compiled graph: " + ", ".join(
        f"{r['bytes'] / 1e6:.2f} MB {r['graph_ms'] - r['graph_without_ms']:.2f} ms"
        for r in ar if r["bytes"] >= 1 << 18))
    print("  step per rank (ms): batch  compute  with DDP  pack")
    pack = {}
    for batch, r in sorted(steps.items()):
        pack[batch] = max(0.0, r["ddp_ms"] / 1e3 - r["compute_ms"] / 1e3 - here)
        print(f"                     {batch:5d}  {r['compute_ms']:7.2f}  "
              f"{r['ddp_ms']:8.2f}  {pack[batch] * 1e3:5.2f}")

    batch = 32 if 32 in steps else sorted(steps)[len(steps) // 2]
    compute = steps[batch]["compute_ms"] / 1e3
    print(f"\nModel: the Quickstart epoch at {batch} samples per rank and step "
          f"(global batch {batch} N), one rank per machine computing as one "
          f"rank here does ({compute * 1e3:.2f} ms per step)")
    for name, bandwidth, alpha in LINKS:
        print(f"\n  {name} ({alpha * 1e6:.0f} us latency):")
        print("      N   epoch s  speed-up  comm share  overlapped epoch s")
        dominated = None
        base = math.ceil(SAMPLES / batch) * compute
        for n in [1, 2, 4, 8, 16, 32, 64, 128, 256]:
            t = allreduce(n, GRAD_BYTES, bandwidth, alpha)
            p = pack[batch] if n > 1 else 0.0
            nsteps = math.ceil(SAMPLES / (batch * n))
            step = compute + p + t
            over = compute + p + max(0.0, t - 2 / 3 * compute)
            if dominated is None and t > compute:
                dominated = n
            print(f"    {n:4d}  {nsteps * step:7.3f}  {base / (nsteps * step):7.1f}x"
                  f"  {t / step * 100:9.0f}%  {nsteps * over:9.3f}")
        print(f"    communication exceeds compute from N = {dominated}" if dominated
              else "    compute exceeds communication up to N = 256")


if __name__ == "__main__":
    main()
