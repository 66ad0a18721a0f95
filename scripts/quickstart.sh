#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the main
# example.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
exec "$root/build/bin/quickstart" "$@"
