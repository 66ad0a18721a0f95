#!/usr/bin/env bash
# Packs what scripts/gpu-check needs on a GPU machine that has no LLVM/MLIR
# and no network: the test and benchmark binaries, Ember's libraries, and
# (xz-compressed) every shared library ldd shows they need, except glibc's,
# libstdc++/libgcc_s, and those the GPU machine (Ubuntu 24.04, see
# shared/notes/anchors.md) has itself. gpu-check checks with ldd that
# nothing is missing before it runs anything. The device tool carries at
# most 64 MiB: the script prints the total and fails above 62 MiB.
# Usage: scripts/gpu-bundle.sh [build-dir] [out-dir]   (default: build gpu-bundle)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$root/gpu-bundle}
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
bins=()
for b in ember-gpu-tests ember-cuda-tests ember-device-tests gpu_step; do
  cp "$build/bin/$b" "$out/bin/"
  bins+=("$build/bin/$b")
done
cp -P "$build"/lib/libember*.so* "$out/lib/"
# Present on the GPU machine (or part of the C/C++ runtime): never packed.
# libxml2 there brings its own ICU, libedit its libbsd/libmd.
present='^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-x86-64|linux-vdso|libxml2|libicuuc|libicudata|libedit|libbsd|libmd|libffi|libz|libzstd|liblzma|libtinfo|libfmt)\.so'
for lib in $(ldd "${bins[@]}" "$build"/lib/libember*.so | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
  name=$(basename "$lib")
  [[ $lib == "$build"/* ]] && continue
  [[ $name =~ $present ]] && continue
  xz -T0 -9 -c "$lib" > "$out/lib/$name.xz"
done
ls "$out/lib"
bytes=$(du -sb "$out" | cut -f1)
echo "gpu-bundle: $out, $((bytes / 1048576)) MiB"
if (( bytes > 62 * 1048576 )); then
  echo "gpu-bundle: over 62 MiB: the device tool carries 64 MiB at most" >&2
  exit 1
fi
