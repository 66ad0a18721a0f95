#!/usr/bin/env bash
#===- deps.sh - Installs what the benchmark peers need ---------------------===#
#
# Part of Ember's benchmarks; bench/run-all.sh calls it. Installs the Debian
# packages the peers need that are missing, then the modern PyTorch peer
# (bench/install-torch2.sh, from PyPI into a virtual environment). Idempotent
# and silent when everything is present; Ember's own packages are
# scripts/deps.sh's.
#
#   bench/deps.sh
#
# Debian packages:
#   libtorch-dev         LibTorch 1.13 (bench/quickstart_libtorch.cpp)
#   python3-torch        PyTorch 1.13 for /usr/bin/python3 (quickstart_pytorch.py)
#   libopenblas0-openmp  OpenBLAS, the peers' matmul (libblas.so.3)
#   libbenchmark-dev     Google Benchmark (bench/kernels.cpp)
#   libblas-dev          cblas.h and libblas.so (bench/kernels.cpp)
#   python3-venv         for the PyTorch 2.x virtual environment
#
# Environment: EMBER_BENCH_NO_TORCH2=1 skips the PyTorch 2.x virtual
# environment (a few hundred MB from PyPI); EMBER_PEERS_TORCH2 sets where it
# is (default ~/.cache/ember-peers/torch2).
#
#===------------------------------------------------------------------------===#
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

BENCH_PACKAGES=(
  libtorch-dev python3-torch libopenblas0-openmp
  libbenchmark-dev libblas-dev python3-venv
)

# The list, for test/scripts/check-deps.py (bench targets may use these).
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${BENCH_PACKAGES[@]}"
  exit 0
fi

source "$HERE/../scripts/ensure-packages.sh"
ensure_packages bench "${BENCH_PACKAGES[@]}"

if [ "${EMBER_BENCH_NO_TORCH2:-0}" != 1 ]; then
  "$HERE/install-torch2.sh"
fi
