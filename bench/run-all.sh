#!/usr/bin/env bash
#===- run-all.sh - Every CPU benchmark, with the peers, in one run ---------===#
#
# Part of Ember's benchmarks: bench/run-kernels.sh (Ember's kernels against
# OpenBLAS), then bench/run-quickstart.sh (the Quickstart epoch against
# LibTorch and PyTorch, inference samples/s against LibTorch, Ember's
# compile time cold and from the on-disk cache), then bench/run-cnn.sh (the
# CNN example's step against LibTorch and PyTorch 2.x, its inference against
# onnxruntime), then bench/peak_fma (the
# machine's fp32 FMA peak, per ISA and thread count). Each prints its
# ratios and the CPU performance issue's targets, the training step against
# the FMA peak last. docs/performance.md keeps a run.
#
#   bench/run-all.sh [BUILD_DIR]        # default: build; REPEAT=N as in
#                                       # run-quickstart.sh
#   EMBER_CPU=haswell bench/run-all.sh  # AVX2 code on an AVX-512 machine,
#                                       # the peers held to AVX2 too
#
# Works on a fresh machine: first bench/deps.sh installs what the peers
# need (Debian's LibTorch, PyTorch, OpenBLAS, Google Benchmark and cblas;
# PyTorch 2.x from PyPI into a virtual environment unless
# EMBER_BENCH_NO_TORCH2=1), then Ember is built with the peers:
# scripts/build.sh (Ember's packages, configures and builds build/; another
# BUILD_DIR is configured and built the same way), and CMake runs again
# where the build was configured before LibTorch or Google Benchmark was
# installed.
#
#===------------------------------------------------------------------------===#
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}

isa=$(grep -m1 -ow avx512f /proc/cpuinfo || grep -m1 -ow avx2 /proc/cpuinfo || echo "no AVX2")
echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $isa"

echo "== dependencies and build"
"$HERE/deps.sh" || { echo "run-all: bench/deps.sh failed" >&2; exit 1; }
if [[ $(realpath -m "$BUILD") == "$ROOT/build" ]]; then
  "$ROOT/scripts/build.sh" || { echo "run-all: scripts/build.sh failed" >&2; exit 1; }
else
  "$ROOT/scripts/deps.sh" || exit 1
  if [[ ! -f $BUILD/build.ninja ]]; then
    cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
  fi
  cmake --build "$BUILD" || { echo "run-all: building $BUILD failed" >&2; exit 1; }
fi
# A build configured before the peers' packages were installed lacks their
# targets: configure again so that CMake finds LibTorch and Google Benchmark,
# and build them.
hasTargets() {
  local t
  for t in quickstart_ember quickstart_libtorch cnn_libtorch bench_kernels; do
    grep -q "^build bin/$t:" "$BUILD/build.ninja" || return 1
  done
}
if ! hasTargets; then
  echo "run-all: configuring $BUILD again for the peers' programs"
  cmake "$BUILD" >/dev/null || { echo "run-all: configuring $BUILD failed" >&2; exit 1; }
  cmake --build "$BUILD" || { echo "run-all: building $BUILD failed" >&2; exit 1; }
  hasTargets || echo "run-all: $BUILD still lacks a benchmark (see CMake's 'Benchmarks:' messages); it is skipped"
fi
echo

# The ISA of Ember's code: AVX2 under EMBER_CPU=haswell (or another AVX2
# CPU), else the best this CPU has.
case ${EMBER_CPU:-} in
  haswell|x86-64-v3|znver1|znver2|znver3) used=avx2 ;;
  *) used=$(grep -q avx512f /proc/cpuinfo && echo avx512 || echo avx2) ;;
esac
# Code for an AVX2 CPU on an AVX-512 machine: the peers' libraries are held
# to AVX2 as well where they have a switch (OpenBLAS, MKL, oneDNN);
# onnxruntime has none, and runs AVX-512 code.
if [[ $used == avx2 && -n ${EMBER_CPU:-} ]]; then
  export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
  export MKL_ENABLE_INSTRUCTIONS=${MKL_ENABLE_INSTRUCTIONS:-AVX2}
  export ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-AVX2}
  echo "== AVX2 code (EMBER_CPU=$EMBER_CPU); peers: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE MKL_ENABLE_INSTRUCTIONS=$MKL_ENABLE_INSTRUCTIONS ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA (onnxruntime: no switch, its best ISA)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== kernels"
"$HERE/run-kernels.sh" "$BUILD" | tee "$log"
echo
echo "== quickstart"
"$HERE/run-quickstart.sh" "$BUILD" | tee -a "$log"
echo
echo "== cnn"
"$HERE/run-cnn.sh" "$BUILD" | tee -a "$log"
echo
echo "== fp32 FMA peak (bench/peak_fma.cpp)"
if [[ -x $BUILD/bin/peak_fma ]]; then
  "$BUILD/bin/peak_fma" | tee -a "$log"
else
  echo "run-all: no $BUILD/bin/peak_fma; the peak target is skipped"
fi

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
# ... and against the FMA peak of the ISA Ember's code used ($used, above),
# at its best thread count.
peak=$(sed -n "s/^peak isa=$used threads=[0-9]* gflops=\([0-9.]*\)/\1/p" "$log" | sort -g | tail -1)
if [[ -n $peak && -n $step ]]; then
  awk -v p="$peak" -v s="$step" -v isa="$used" 'BEGIN {
    flops = 2 * 64 * (784*512 + 512*512 + 512*10) * 2 + 2 * 64 * (512*512 + 512*10)
    floor = flops / (p * 1e9) * 1e3
    printf "target: training step %.3f ms / FMA peak %.3f ms (%.1f MFLOP at %.1f GFLOP/s, %s) = %.2f (goal <= 1.4): %s\n", s, floor, flops / 1e6, p, isa, s / floor, (s / floor <= 1.4 ? "met" : "NOT met") }'
fi
