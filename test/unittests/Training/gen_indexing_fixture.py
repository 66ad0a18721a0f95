#!/usr/bin/env python3
# Regenerates indexing_fixture.json: what PyTorch 2.x's basic indexing
# (t[...]) and index assignment (t[...] = v) give, for IndexingTest.cpp.
#
# Every case indexes X = arange(2*3*5*7).reshape(2, 3, 5, 7) (or a view of
# it of lower rank) as float32. An index entry is an integer, a slice
# [start, stop, step] (None as null), "None" or "...". For assignment the
# value is -(1 + arange(n)) shaped as t[...] is, and also the scalar -1.
#
#   ../shared/tools/install-torch2.sh   (PyTorch 2.x in a virtual environment)
#   <that environment>/python gen_indexing_fixture.py
import json
import os

import torch

SHAPES = {4: (2, 3, 5, 7), 2: (6, 35), 1: (210,)}

CASES = [
    (2, [0]),
    (2, [-1]),
    (2, [[None, None, None], 1]),          # t[:, 1]
    (2, ["...", -1]),                      # t[..., -1]
    (2, [[1, 4, None]]),
    (2, [[-4, -1, None], [None, None, 3]]),
    (2, [[None, None, 2], [3, 100, 5]]),   # stop past the end is clamped
    (2, [[-100, 2, None]]),                # start before the beginning
    (2, ["None", 2, "None", [1, None, 4]]),
    (1, [[5, None, 7]]),
    (1, [-210]),
    (1, [[None, -200, 9]]),
    (4, [1, "...", 2]),
    (4, ["...", [1, 3, None], "None"]),
    (4, [[None, None, None], -2, [None, None, 2], [6, None, None]]),
    (4, ["None", 0, "None", [1, None, None], "...", [2, 7, 2]]),
    (4, [1, 2, 3, 4]),
    (4, []),
    (4, ["..."]),
]


def build(entries):
    out = []
    for e in entries:
        if e == "None":
            out.append(None)
        elif e == "...":
            out.append(Ellipsis)
        elif isinstance(e, list):
            out.append(slice(*e))
        else:
            out.append(e)
    return tuple(out)


def main():
    cases = []
    for rank, entries in CASES:
        x = torch.arange(210, dtype=torch.float32).reshape(SHAPES[rank])
        index = build(entries)
        got = x[index]
        put = x.clone()
        put[index] = -(1 + torch.arange(got.numel(), dtype=torch.float32)).reshape(got.shape)
        put_scalar = x.clone()
        put_scalar[index] = -1
        cases.append({
            "shape": list(SHAPES[rank]),
            "index": entries,
            "result_shape": list(got.shape),
            "result": got.flatten().tolist(),
            "put": put.flatten().tolist(),
            "put_scalar": put_scalar.flatten().tolist(),
        })
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "indexing_fixture.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()

# The two .npy files next to this script were written by NumPy:
#   np.save('numpy_f64_2x3.npy', np.arange(6, dtype=np.float64).reshape(2, 3) * 0.5)
#   np.save('numpy_i32.npy', np.arange(3, dtype=np.int32))
