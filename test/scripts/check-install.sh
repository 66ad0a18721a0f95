#!/usr/bin/env bash
# Installs Ember from a build tree into a scratch prefix, builds the project
# in test/install against it with find_package(Ember), runs it and checks its
# output.
set -euo pipefail
build=$1
consumer_src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -G Ninja -S "$consumer_src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$("$work/build/consumer")
echo "$out"
expected=$'tensor([[ 8., 11.],\n        [16., 23.]])'
if [ "$out" != "$expected" ]; then
  echo "FAIL: unexpected output; expected:" >&2
  echo "$expected" >&2
  exit 1
fi
# The installed program must not depend on the build tree.
if ldd "$work/build/consumer" | grep -q "$build"; then
  echo "FAIL: the consumer links libraries from the build tree" >&2
  exit 1
fi
echo "OK: find_package(Ember) works from $work/prefix"
