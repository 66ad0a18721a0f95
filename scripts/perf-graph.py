#!/usr/bin/env python3
"""Maps a perf profile's samples in a graph Ember loaded from memory to the
functions of that graph's shared object (EMBER_DUMP_IR's
09-shared-object.so, or `graphc --emit=so`).

  scripts/perf-graph.py perf.data graph-0/09-shared-object.so [--top N]

perf reports samples in the in-memory code as offsets in
`memfd:ember-executable (deleted)`; this sums them by the function (from
`nm`) each offset falls in, and lists those with the other samples' symbols,
as percentages of all samples. A process that loaded several graphs mixes
their offsets: profile one graph at a time, or give the object whose
functions the hot offsets belong to.
"""
import argparse
import bisect
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("perf_data")
    ap.add_argument("shared_object")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    symbols = []
    nm = subprocess.run(["nm", "-n", args.shared_object], capture_output=True,
                        text=True, check=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tT":
            symbols.append((int(parts[0], 16), parts[2]))
    if not symbols:
        sys.exit(f"perf-graph: no functions in {args.shared_object}")
    starts = [address for address, _ in symbols]
    report = subprocess.run(
        ["perf", "report", "-i", args.perf_data, "--no-children", "--sort",
         "dso,sym", "-g", "none", "--stdio"],
        capture_output=True, text=True, check=True).stdout
    totals = {}
    for line in report.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "%" not in line.split()[0]:
            continue
        fields = line.split()
        percent = float(fields[0].rstrip("%"))
        symbol = fields[-1]
        if "memfd:ember" in line and symbol.startswith("0x"):
            i = bisect.bisect_right(starts, int(symbol, 16)) - 1
            name = "graph: " + (symbols[i][1] if i >= 0 else "?")
        else:
            name = symbol
        totals[name] = totals.get(name, 0.0) + percent
    for name, percent in sorted(totals.items(), key=lambda x: -x[1])[:args.top]:
        print(f"{percent:6.2f}%  {name}")


if __name__ == "__main__":
    main()
