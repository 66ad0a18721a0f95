#!/usr/bin/env bash
# What data parallelism costs on this machine, and what it would cost on
# many: runs bench_distributed under mpirun (all-reduce time against size,
# the Quickstart step per rank with and without DistributedDataParallel),
# then bench/distributed_model.py fits it and prints the scaling model
# (docs/distributed.md).
#
#   bench/run-distributed.sh [build-dir] [ranks]      (default: build 2)
set -euo pipefail
build=${1:-build}
np=${2:-2}
flags=(-np "$np" --oversubscribe --mca pml ob1 --mca btl self,vader)
if [ "$(id -u)" = 0 ]; then flags+=(--allow-run-as-root); fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
mpirun "${flags[@]}" "$build/bin/bench_distributed" | tee "$out"
python3 "$(dirname "$0")/distributed_model.py" "$out"
