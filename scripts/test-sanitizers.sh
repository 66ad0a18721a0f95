#!/usr/bin/env bash
# Builds Ember's code with AddressSanitizer and UndefinedBehaviorSanitizer
# (LLVM/MLIR stay as Debian ships them) into build-asan/ and runs the unit
# tests there, leak checking on. Part of CI (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/deps.sh"
build="$root/build-asan"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEMBER_SANITIZE=address,undefined -DEMBER_BUILD_BENCHMARKS=OFF \
    -DEMBER_BUILD_EXAMPLES=ON >/dev/null
fi
cmake --build "$build"
cd "$build"
# A refused allocation returns null, as the system allocator does, so the
# out-of-memory tests see what a real process would (ASan aborts instead
# by default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1}
# The IR tests and the install check exercise tools, not new code paths.
exec ctest --output-on-failure -E "^(lit|install\.|docs\.|layering\.)" "$@"
