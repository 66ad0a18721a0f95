#!/usr/bin/env bash
#===- run-all.sh - Every CPU benchmark, with the peers, in one run ---------===#
#
# Part of Ember's benchmarks: bench/run-kernels.sh (Ember's kernels against
# OpenBLAS), then bench/run-quickstart.sh (the Quickstart epoch against
# LibTorch and PyTorch, inference samples/s against LibTorch, Ember's
# compile time cold and from the on-disk cache). Each prints its ratios and
# the CPU performance issue's targets. docs/performance.md keeps a run.
#
#   bench/run-all.sh [BUILD_DIR]        # default: build; REPEAT=N as in
#                                       # run-quickstart.sh
#
#===------------------------------------------------------------------------===#
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== kernels"
"$HERE/run-kernels.sh" "$BUILD" | tee "$log"
echo
echo "== quickstart"
"$HERE/run-quickstart.sh" "$BUILD" | tee -a "$log"

# The training step against the floor: the step's matmul FLOPs (batch 64:
# forward, the three weight gradients and two input gradients, 205.4 MFLOP)
# at OpenBLAS's best rate on a large square product, measured above.
rate=$(sed -n 's/^floor rate: .* = \([0-9.]*\) GFLOP\/s/\1/p' "$log" | tail -1)
step=$(sed -n 's/^ember training step .*: \([0-9.]*\) ms/\1/p' "$log" | tail -1)
if [[ -n $rate && -n $step ]]; then
  echo
  awk -v r="$rate" -v s="$step" 'BEGIN {
    flops = 2 * 64 * (784*512 + 512*512 + 512*10) * 2 + 2 * 64 * (512*512 + 512*10)
    floor = flops / (r * 1e9) * 1e3
    printf "target: training step %.3f ms / floor %.3f ms (%.1f MFLOP at %.1f GFLOP/s) = %.2f (goal <= 1.5): %s\n", s, floor, flops / 1e6, r, s / floor, (s / floor <= 1.5 ? "met" : "NOT met") }'
fi
