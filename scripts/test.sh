#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every
# test (lit and GoogleTest, through one ctest).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
cd "$root/build"
# Two tests at a time on every machine with two cores or more: on CI's two
# cores the whole run takes about 6.5 minutes instead of 10 (the emulated
# device's Quickstart epoch, a single thread for four minutes, runs beside
# the others). Nothing in the tests is timed.
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -gt 2 ] && jobs=2
exec ctest --output-on-failure -j"$jobs" "$@"
