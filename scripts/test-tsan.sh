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
cmake --build "$build" --target ember-reliability-tests ember-data-tests
# Compiled graphs' parallel loops run on libomp, which is not instrumented:
# one thread each, so that TSan sees every access of the code under test.
export EMBER_NUM_THREADS=1 EMBER_CACHE_DIR=off
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
"$build/bin/ember-reliability-tests" --gtest_filter='ConcurrencyTest.*'
# DataLoader worker threads preparing batches while the caller reads them.
exec "$build/bin/ember-data-tests" \
  --gtest_filter='DataTest.WorkersGiveTheSameBatches:DataTest.Cifar10*'
