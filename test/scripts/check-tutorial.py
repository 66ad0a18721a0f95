#!/usr/bin/env python3
"""Runs a Learn the Basics chapter in C++ and compares what it prints with
what its PyTorch twin printed (examples/tutorials/expected/).

    check-tutorial.py BINARY EXPECTED.txt

Both outputs are split into numbers and the text between them. The text
must match exactly (runs of spaces count as one: a tensor's columns are as
wide as its widest number); each number must be within 1e-4 relative (or
1e-6 absolute) of PyTorch's. Prints the first difference and fails.
"""
import re
import subprocess
import sys

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan")


def tokens(text):
    """The text as (kind, value) pairs, kind "num" or "text"."""
    out, pos = [], 0
    for m in NUMBER.finditer(text):
        if m.start() > pos:
            out.append(("text", re.sub(r" +", " ", text[pos:m.start()])))
        out.append(("num", m.group()))
        pos = m.end()
    if pos < len(text):
        out.append(("text", re.sub(r" +", " ", text[pos:])))
    return out


def close(a, b):
    x, y = float(a), float(b)
    if x != x or y != y:
        return x != x and y != y
    return abs(x - y) <= 1e-6 + 1e-4 * abs(y)


def main():
    binary, expected_path = sys.argv[1], sys.argv[2]
    run = subprocess.run([binary], capture_output=True, text=True)
    actual = run.stdout
    sys.stdout.write(actual)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        print(f"FAIL: {binary} exited with {run.returncode}")
        return 1
    with open(expected_path) as f:
        expected = f.read()
    got, want = tokens(actual), tokens(expected)
    for i, (g, w) in enumerate(zip(got, want)):
        ok = g[0] == w[0] and (close(g[1], w[1]) if g[0] == "num" else g[1] == w[1])
        if not ok:
            line = actual[: sum(len(v) for _, v in got[:i])].count("\n") + 1
            print(f"FAIL: output line {line}: got {g[1]!r}, PyTorch printed {w[1]!r}")
            return 1
    if len(got) != len(want):
        print(f"FAIL: the output has {len(got)} parts, PyTorch's {len(want)}")
        return 1
    print(f"OK: matches {expected_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
