#!/usr/bin/env bash
# Installs the Debian packages Ember needs that are missing. Idempotent and
# silent when everything is present. Run by build.sh (so quickstart.sh and
# test.sh), the sanitizer and fuzz scripts. `deps.sh --list` prints the list:
# test/scripts/check-deps.py (a ctest) proves it covers every header and
# library the build used.
set -euo pipefail

EMBER_PACKAGES=(
  cmake ninja-build g++ binutils python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools libomp-22-dev
  libfmt-dev libgtest-dev zlib1g-dev nlohmann-json3-dev libonnx-dev libprotobuf-dev
  dataset-fashion-mnist
)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${EMBER_PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${EMBER_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "ember: installing missing packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet.
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
