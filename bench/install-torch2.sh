#!/usr/bin/env bash
#===- install-torch2.sh - The PyTorch 2.x peer, in a virtual environment ---===#
#
# Part of Ember's benchmarks; bench/deps.sh calls it. Installs a current
# PyTorch from PyPI into a virtual environment, the modern peer of
# bench/run-quickstart.sh (Debian's python3-torch is 1.13), with onnx and
# onnxruntime (the inference peer). Never a
# dependency of Ember itself. Silent when the pinned version is already
# there.
#
#   bench/install-torch2.sh [VENV]     # default: $EMBER_PEERS_TORCH2, or
#                                      # ~/.cache/ember-peers/torch2
#   source VENV/env.sh                 # sets LD_LIBRARY_PATH; then VENV/bin/python
#
# Environment: TORCH_VERSION (default 2.15.0).
#
# PyPI's Linux wheel of torch is the CUDA build; it runs on the CPU without
# a GPU but needs its CUDA libraries to load. Where the CUDA 13 toolkit is
# at /usr/local/cuda, most of them come from there and only the few it lacks
# are installed from their own small wheels; elsewhere pip installs torch's
# own CUDA wheels (several GB). The same layout as
# ../shared/tools/install-torch2.sh, so either can fill the environment.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
VENV=${1:-${EMBER_PEERS_TORCH2:-$HOME/.cache/ember-peers/torch2}}
TORCH=${TORCH_VERSION:-2.15.0}
CUDA=/usr/local/cuda

# Already installed: the pinned torch imports with the environment's env.sh.
if [ -x "$VENV/bin/python" ] && [ -f "$VENV/env.sh" ] &&
   (source "$VENV/env.sh" && "$VENV/bin/python" -c \
     "import sys, torch, onnx, onnxruntime; sys.exit(torch.__version__.split('+')[0] != '$TORCH')") 2>/dev/null; then
  exit 0
fi

echo "bench: installing PyTorch $TORCH from PyPI into $VENV"
PY=$(command -v python3.11 || command -v python3)
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/pip" -q --disable-pip-version-check "$@"; }
pip install -U "setuptools>=77" wheel
if [ -e "$CUDA/lib64/libcudart.so.13" ]; then
  # torch without its CUDA wheels; the libraries the toolkit lacks (the
  # versions torch $TORCH pins).
  # Its other dependencies first: pip warns of the missing CUDA wheels
  # unless torch comes last, with --no-deps.
  pip install filelock typing-extensions sympy networkx jinja2 fsspec numpy
  pip install --no-deps nvidia-cusparselt-cu13==0.8.1 nvidia-nvshmem-cu13==3.7.2 \
    nvidia-nccl-cu13==2.30.7 nvidia-cufile
  pip install --no-deps "torch==$TORCH"
  cudalibs=":$CUDA/lib64:$CUDA/lib"
else
  echo "bench: no CUDA 13 toolkit at $CUDA: pip installs torch's CUDA libraries too (several GB)"
  pip install "torch==$TORCH" numpy
  cudalibs=""
fi
# The inference peer (bench/inference_onnxruntime.py): onnxruntime, and
# onnx for torch.onnx.export.
pip install onnx onnxruntime
SP=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat > "$VENV/env.sh" <<ENV
export LD_LIBRARY_PATH=\$(find "$SP/nvidia" -name lib -type d 2>/dev/null | paste -sd:)$cudalibs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
ENV
source "$VENV/env.sh"
"$VENV/bin/python" -c 'import torch; print("bench: torch", torch.__version__, "installed, threads", torch.get_num_threads())'
