#!/usr/bin/env bash
# Packs what scripts/gpu-check needs on a GPU machine that has no LLVM/MLIR
# and no network: the test and benchmark binaries, Ember's libraries, and
# (xz-compressed) the LLVM/MLIR shared libraries ldd shows they need.
# Usage: scripts/gpu-bundle.sh [build-dir] [out-dir]   (default: build gpu-bundle)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/gpu-bundle}
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
for b in ember-gpu-tests ember-cuda-tests ember-device-tests gpu_step; do
  cp "$build/bin/$b" "$out/bin/"
done
cp -P "$build"/lib/libember*.so* "$out/lib/"
# The LLVM/MLIR libraries (the frontend compiles graphs at run time).
for lib in $(ldd "$build/lib/libember_compiler.so" | awk '/llvm-22/ {print $3}'); do
  xz -T0 -6 -c "$lib" > "$out/lib/$(basename "$lib").xz"
done
# Compiled CPU graphs with parallel loops load libomp (found through
# LD_LIBRARY_PATH there: its /usr/lib/llvm-22 rpath does not exist).
cp -L /usr/lib/llvm-22/lib/libomp.so.5 "$out/lib/"
du -sh "$out"
