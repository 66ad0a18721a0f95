#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every
# test (lit and GoogleTest, through one ctest).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
cd "$root/build"
exec ctest --output-on-failure "$@"
