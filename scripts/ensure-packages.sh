#!/usr/bin/env bash
# Sourced by scripts/deps.sh, bench/deps.sh and scripts/fuzz.sh:
#   ensure_packages LABEL PACKAGE...
# installs those of the Debian packages that are missing (apt-get update
# first: a fresh machine has no package lists yet; sudo when not root) and
# is silent when all are present.
ensure_packages() {
  local label=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$label: installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}
