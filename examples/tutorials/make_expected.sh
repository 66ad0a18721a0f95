#!/usr/bin/env bash
# Regenerates expected/*.txt: what each chapter's PyTorch twin prints.
#   ../shared/tools/install-torch2.sh     (PyTorch 2.x in a virtual environment)
#   examples/tutorials/make_expected.sh [PYTHON]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
python=${1:-$HOME/.cache/ember-peers/torch2/bin/python}
for chapter in tensors autograd optimization save_load; do
  "$python" "$chapter.py" > "expected/$chapter.txt"
done
