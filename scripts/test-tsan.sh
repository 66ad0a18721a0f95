#!/usr/bin/env bash
# Builds Ember's code with ThreadSanitizer (LLVM/MLIR stay as Debian ships
# them) into build-tsan/ and runs the concurrency tests there: threads
# realising shared and distinct graphs (compiling each once) and training
# their own models, and DataLoader workers preparing batches. Part of CI
# (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/deps.sh"
build="$root/build-tsan"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEMBER_SANITIZE=thread -DEMBER_BUILD_BENCHMARKS=OFF \
    -DEMBER_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$build" --target ember-reliability-tests ember-data-tests \
  ember-runtime-tests
export EMBER_CACHE_DIR=off
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
# The runtime's threads for parallel loops (ember/runtime/Parallel.h):
# regions from several callers at once, nested, and late threads.
"$build/bin/ember-runtime-tests" --gtest_filter='ParallelTest.*'
# Compiled code is not instrumented (it is generated at run time): one
# thread each, so that TSan sees every access the code under test makes on
# the caller's thread; then two, for the runtime's threads under it.
EMBER_NUM_THREADS=1 "$build/bin/ember-reliability-tests" \
  --gtest_filter='ConcurrencyTest.*'
EMBER_NUM_THREADS=2 "$build/bin/ember-reliability-tests" \
  --gtest_filter='ConcurrencyTest.*'
# DataLoader worker threads preparing batches while the caller reads them.
EMBER_NUM_THREADS=1 exec "$build/bin/ember-data-tests" \
  --gtest_filter='DataTest.WorkersGiveTheSameBatches:DataTest.Cifar10*'
