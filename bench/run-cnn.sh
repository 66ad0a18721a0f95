#!/usr/bin/env bash
#===- run-cnn.sh - The CNN example against LibTorch, PyTorch, onnxruntime --===#
#
# Part of Ember's benchmarks: the CNN issue's targets in one run.
#   training   ms per step of examples/cnn.cpp's model (batch 64, Adam):
#              Ember (build/bin/cnn --limit, the steps after the first),
#              LibTorch (bench/cnn_libtorch.cpp, Debian's libtorch-dev) and
#              PyTorch 2.x eager (bench/cnn_pytorch.py in the virtual
#              environment bench/install-torch2.sh makes), each on 1 and 2
#              threads; targets: >= 1.5x LibTorch and >= 1.0x PyTorch 2.x,
#              each at its best thread count.
#   inference  the model in eval mode exported by PyTorch 2.x to ONNX (opset
#              13, batch 64, bench/cnn_inference.py), compiled by graphc and
#              run by ember-run, against onnxruntime on the same file, medians
#              of 50 runs on 1 and 2 threads; target: >= 1.0x onnxruntime.
# A peer that is missing is skipped with a message, and so are its targets.
#
#   bench/run-cnn.sh [BUILD_DIR]        # default: build
#
# Environment: STEPS (Ember's and the peers' timed steps, default 60), DATA
# (FashionMNIST, default /usr/share/datasets/fashion-mnist), TORCH2 (as in
# run-quickstart.sh), EMBER_CPU (AVX2 code on an AVX-512 machine).
#
#===------------------------------------------------------------------------===#
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath "${1:-build}")
STEPS=${STEPS:-60}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
TORCH2=${TORCH2:-${EMBER_PEERS_TORCH2:-$HOME/.cache/ember-peers/torch2}}

isa=$(grep -m1 -ow avx512f /proc/cpuinfo || grep -m1 -ow avx2 /proc/cpuinfo || echo "no AVX2")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $isa; Ember's code for ${EMBER_CPU:-this CPU}"
# LibTorch's convolutions and products go through the system's BLAS: with
# Debian's reference BLAS (libtorch-dev alone) its step is about twice as
# slow as with OpenBLAS (bench/deps.sh installs it).
source "$HERE/blas.sh"
blas_setup
blas_describe "(LibTorch's; Debian: libopenblas0-openmp)"
[[ $BLAS_PATH == */blas/libblas.so.3* ]] &&
  echo "warning: LibTorch runs on the reference BLAS here; bench/deps.sh installs OpenBLAS" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

torch2Lib=
if [[ -x $TORCH2/bin/python && -f $TORCH2/env.sh ]]; then
  torch2Lib=$(source "$TORCH2/env.sh" && echo "$LD_LIBRARY_PATH")
fi
torch2() { env LD_LIBRARY_PATH="$torch2Lib" "$TORCH2/bin/python" "$@"; }

# best NAME VALUE: keeps the lowest value per name.
declare -A best
keep() {
  [[ -z $2 ]] && return
  if [[ -z ${best[$1]:-} ]] || awk -v a="$2" -v b="${best[$1]}" 'BEGIN { exit !(a < b) }'; then
    best[$1]=$2
  fi
}

echo "== training step (batch 64), ms"
for t in 1 2; do
  # build/bin/cnn writes cnn.safetensors and cnn.mlir: run it in $work.
  ms=$(cd "$work" && EMBER_NUM_THREADS=$t "$BUILD/bin/cnn" --epochs 1 --limit $((STEPS + 1)) \
         --log-every 100000 --data "$DATA" 2>&1 |
       sed -n 's/.*, \([0-9.]*\) ms a step after the first.*/\1/p')
  echo "ember     threads=$t step_ms=${ms:-failed}"
  keep ember "$ms"
  if [[ -x $BUILD/bin/cnn_libtorch ]]; then
    ms=$("$BUILD/bin/cnn_libtorch" --threads $t --steps "$STEPS" | sed -n 's/.*step_ms=\([0-9.]*\).*/\1/p')
    echo "libtorch  threads=$t step_ms=${ms:-failed}"
    keep libtorch "$ms"
  fi
  if [[ -n $torch2Lib ]]; then
    ms=$(cd "$HERE" && torch2 cnn_pytorch.py --data "$DATA" --threads $t --steps "$STEPS" 2>/dev/null |
         sed -n 's/.*step_ms=\([0-9.]*\).*/\1/p')
    echo "pytorch2  threads=$t step_ms=${ms:-failed}"
    keep pytorch2 "$ms"
  fi
done
[[ -x $BUILD/bin/cnn_libtorch ]] || echo "skip libtorch: no $BUILD/bin/cnn_libtorch (Debian: libtorch-dev, then configure again)"
[[ -n $torch2Lib ]] || echo "skip pytorch2: no PyTorch 2.x in $TORCH2 (bench/install-torch2.sh installs it)"

echo "== inference (batch 64, graphc + ember-run against onnxruntime), ms"
if [[ -n $torch2Lib ]] && torch2 "$HERE/cnn_inference.py" --out "$work" --threads 1,2 2>/dev/null >"$work/ort.txt"; then
  while read -r line; do
    echo "$line"
    keep onnxruntime "$(sed -n 's/.*ms=\([0-9.]*\).*/\1/p' <<<"$line")"
  done <"$work/ort.txt"
  if "$BUILD/bin/graphc" "$work/cnn.onnx" -o "$work/cnn.art" ${EMBER_CPU:+--cpu=$EMBER_CPU}; then
    for t in 1 2; do
      ms=$("$BUILD/bin/ember-run" "$work/cnn.art" --input "$work/cnn.input.npy" --output "$work/out.npy" \
             --repeat 50 --threads $t | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
      echo "ember-run cnn-infer batch=64 threads=$t ms=${ms:-failed}"
      keep ember-infer "$ms"
    done
  fi
else
  echo "skip inference: PyTorch 2.x with onnx and onnxruntime is needed to export the model (bench/install-torch2.sh)"
fi

echo "== targets (best thread count each)"
target() { # NAME EMBER PEER GOAL
  if [[ -z ${best[$2]:-} || -z ${best[$3]:-} ]]; then
    echo "target: $1: skipped (no figure for ${best[$2]:+$3}${best[$2]:-$2})"
    return
  fi
  awk -v e="${best[$2]}" -v p="${best[$3]}" -v g="$4" -v n="$1" 'BEGIN {
    printf "target: %s: %.2f / %.2f ms = %.2fx (goal >= %.1fx): %s\n", n, p, e, p / e, g, (p / e >= g ? "met" : "NOT met") }'
}
target "CNN step vs LibTorch" ember libtorch 1.5
target "CNN step vs PyTorch 2.x eager" ember pytorch2 1.0
target "CNN inference vs onnxruntime" ember-infer onnxruntime 1.0
