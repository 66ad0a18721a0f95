#!/usr/bin/env bash
# Runs examples/tensors and checks that it opens with the seed tensor printed
# exactly as PyTorch prints torch.tensor([[0.0, 1.3], [2.8, 3.3], [4.1, 5.2],
# [6.9, 7.0]]), and that the other cases (the Tensors chapter's indexing and
# in-place ops among them) show PyTorch's forms.
set -euo pipefail
out=$("$1")
echo "$out"
expected=$'tensor([[0.0000, 1.3000],\n        [2.8000, 3.3000],\n        [4.1000, 5.2000],\n        [6.9000, 7.0000]])'
[ "$(echo "$out" | head -4)" = "$expected" ] || { echo "FAIL: seed tensor differs" >&2; exit 1; }
grep -qF 'tensor([[ 0.,  4.],' <<<"$out" || { echo "FAIL: integer-valued floats" >&2; exit 1; }
grep -qF 'tensor([[[ 0.0000,  0.5000,  1.0000,  1.5000],' <<<"$out" || { echo "FAIL: 3-D" >&2; exit 1; }
grep -qF '...,' <<<"$out" || { echo "FAIL: no summarisation" >&2; exit 1; }
# The Tensors chapter's indexing, cat and add_, as PyTorch prints them.
grep -qF 'Last column: tensor([1., 1., 1., 1.])' <<<"$out" || { echo "FAIL: t[..., -1]" >&2; exit 1; }
grep -qF 'tensor([[1., 0., 1., 1., 1., 0., 1., 1., 1., 0., 1., 1.],' <<<"$out" || { echo "FAIL: cat after t[:, 1] = 0" >&2; exit 1; }
grep -qF 'tensor([[6., 5., 6., 6.],' <<<"$out" || { echo "FAIL: add_" >&2; exit 1; }
echo "OK"
