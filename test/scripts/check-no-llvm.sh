#!/usr/bin/env bash
# Fails if the given library depends, directly or transitively, on LLVM or MLIR.
set -euo pipefail
lib=$1
deps=$(ldd "$lib")
echo "$deps"
if echo "$deps" | grep -Ei 'libLLVM|libMLIR'; then
  echo "FAIL: $lib links LLVM/MLIR" >&2
  exit 1
fi
if readelf -d "$lib" | grep NEEDED | grep -Ei 'LLVM|MLIR'; then
  echo "FAIL: $lib has an LLVM/MLIR DT_NEEDED" >&2
  exit 1
fi
echo "OK: $lib links no LLVM/MLIR"
