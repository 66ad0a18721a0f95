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
echo "== kernels"
"$HERE/run-kernels.sh" "$BUILD"
echo
echo "== quickstart"
"$HERE/run-quickstart.sh" "$BUILD"
