#!/usr/bin/env bash
# Installs the Debian packages Ember needs that are missing. Idempotent and
# silent when everything is present. Run by build.sh (so quickstart.sh and
# test.sh), the sanitizer and fuzz scripts. `deps.sh --list` prints the list:
# test/scripts/check-deps.py (a ctest) proves it covers every header and
# library the build used.
set -euo pipefail

EMBER_PACKAGES=(
  cmake ninja-build g++ binutils python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libfmt-dev libgtest-dev zlib1g-dev nlohmann-json3-dev libonnx-dev libprotobuf-dev
  libpng-dev libjpeg62-turbo-dev
  openmpi-bin libopenmpi-dev
  dataset-fashion-mnist
)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${EMBER_PACKAGES[@]}"
  exit 0
fi

source "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh"
ensure_packages ember "${EMBER_PACKAGES[@]}"
