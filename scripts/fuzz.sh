#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz with clang-22, AddressSanitizer
# and UndefinedBehaviorSanitizer into build-fuzz/, replays every input that
# once crashed (test/fuzz/regressions/NAME/), then runs each fuzzer from its
# seed corpus (test/fuzz/corpus/NAME/) for FUZZ_SECONDS (default 45).
# Fails on any crash, leak, timeout (10 s an input, 25 s for ember_ir) or
# allocation over 2 GiB, leaving the input in build-fuzz/findings/NAME/. Part of CI.
#
#   scripts/fuzz.sh                      # every fuzzer
#   FUZZ_SECONDS=3600 scripts/fuzz.sh npy # one, for an hour
#   FUZZ_SEED=1 scripts/fuzz.sh          # the seed CI uses (coverage, and so
#                                        # the run, still differs by machine)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/deps.sh"
# The fuzzing toolchain, beyond what Ember itself needs.
source "$root/scripts/ensure-packages.sh"
ensure_packages fuzz clang-22 libclang-rt-22-dev libfuzzer-22-dev

build="$root/build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
  CC=/usr/lib/llvm-22/bin/clang CXX=/usr/lib/llvm-22/bin/clang++ \
    cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEMBER_SANITIZE=address,undefined -DEMBER_FUZZ=ON \
    -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_BENCHMARKS=OFF \
    -DEMBER_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$build" --target fuzzers

seconds=${FUZZ_SECONDS:-45}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export EMBER_CACHE_DIR=off
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$build"/bin/fuzz_*; do names+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
failed=()
for name in "${names[@]}"; do
  bin="$build/bin/fuzz_$name"
  findings="$build/findings/$name"
  work="$build/corpus/$name"
  mkdir -p "$findings" "$work"
  # ember_ir's bytecode is read in a child with 5 s of CPU time and four
  # times that of wall time: on a busy machine a spinning child alone can
  # take over 10 s, and the child's own limit is what stops a hang there.
  timeout=10
  [ "$name" = ember_ir ] && timeout=25
  flags=(-rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=$timeout
         -max_len=65536 -artifact_prefix="$findings/")
  # CI fixes the seed (FUZZ_SEED=N): the same mutations, though coverage,
  # and so the corpus, still differs by machine. Exploratory runs leave it
  # random.
  [ -n "${FUZZ_SEED:-}" ] && flags+=(-seed="$FUZZ_SEED")
  regressions="$root/test/fuzz/regressions/$name"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "fuzz $name: replaying $(ls "$regressions" | wc -l) regression inputs"
    if ! "$bin" "${flags[@]}" "$regressions"/* >"$findings/replay.log" 2>&1; then
      tail -30 "$findings/replay.log"
      failed+=("$name (regression)")
      continue
    fi
  fi
  echo "fuzz $name: ${seconds}s from $(ls "$root/test/fuzz/corpus/$name" | wc -l) seeds"
  if ! "$bin" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      "$work" "$root/test/fuzz/corpus/$name" >"$findings/fuzz.log" 2>&1; then
    tail -40 "$findings/fuzz.log"
    failed+=("$name")
    continue
  fi
  grep -E "stat::number_of_executed_units|cov: " "$findings/fuzz.log" | tail -2 | sed 's/^/  /'
  # The run passed, so any input saved was written by a child process that
  # graphc's bytecode isolation (Options::isolateBytecode) let crash: MLIR's
  # reader fails on it, and Ember rejects it cleanly. Keep them apart.
  shopt -s nullglob
  saved=("$findings"/crash-* "$findings"/oom-* "$findings"/timeout-*)
  shopt -u nullglob
  if [ ${#saved[@]} -gt 0 ]; then
    mkdir -p "$findings/isolated"
    mv "${saved[@]}" "$findings/isolated/"
    echo "  ${#saved[@]} inputs crashed MLIR's bytecode reader in the isolating child (rejected cleanly): $findings/isolated/"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/findings/)"
  exit 1
fi
echo "fuzz: every fuzzer ran clean"
