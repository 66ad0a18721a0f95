#!/usr/bin/env python3
"""Maps a perf profile's samples in the graphs Ember loaded from memory to
the functions of each graph's shared object (EMBER_DUMP_IR's
graph-N/09-shared-object.so, or `graphc --emit=so`).

  scripts/perf-graph.py perf.data DUMP_DIR [--top N]
  scripts/perf-graph.py perf.data graph-0/09-shared-object.so [--top N]

The runtime loads each graph's code from its own memfd
(`memfd:ember-executable (deleted)` in perf), which perf has no symbols
for. This reads perf's mmap events: the k-th such mapping is the k-th graph
compiled (DUMP_DIR/graph-k, when every graph was compiled in the profiled
run: profile with an empty EMBER_CACHE_DIR), checked against the size of
that object's code segment; a mapping whose size does not match is given to
the one dumped graph of that size, else listed as unknown. Samples are
summed by the function each falls in and listed with the other samples'
objects, as percentages of all samples (every thread's), the graph's number
before its function: g0:graph..omp_par.3. Given one shared object instead
of a folder, only the mappings of its size are named.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys

MMAP = re.compile(r"PERF_RECORD_MMAP2?\s.*\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ "
                  r"(0x[0-9a-f]+|\d+) .*memfd:ember-executable")


class Graph:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        nm = subprocess.run(["nm", "-n", path], capture_output=True,
                            text=True, check=True).stdout
        self.symbols = []
        for line in nm.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tT":
                self.symbols.append((int(parts[0], 16), parts[2]))
        self.starts = [address for address, _ in self.symbols]
        # The executable segment's size in pages: what the runtime maps.
        self.size = None
        headers = subprocess.run(["readelf", "-lW", path], capture_output=True,
                                 text=True, check=True).stdout
        for line in headers.splitlines():
            fields = line.split()
            if fields[:1] == ["LOAD"] and "E" in fields[6:-1]:
                self.size = (int(fields[5], 16) + 0xFFF) & ~0xFFF

    def function(self, offset):
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.symbols[i][1] if i >= 0 else "?"


def load_graphs(path):
    if os.path.isfile(path):
        return [Graph("g", path)]
    graphs = []
    for entry in os.listdir(path):
        m = re.fullmatch(r".*-(\d+)", entry)
        so = os.path.join(path, entry, "09-shared-object.so")
        if m and os.path.isfile(so):
            graphs.append((int(m.group(1)), Graph("g" + m.group(1), so)))
    if not graphs:
        sys.exit(f"perf-graph: no */09-shared-object.so under {path}")
    return [g for _, g in sorted(graphs, key=lambda x: x[0])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("perf_data")
    ap.add_argument("dump", help="EMBER_DUMP_IR folder, or one shared object")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--hot", metavar="FUNCTION",
                    help="also list the hottest instructions of FUNCTION "
                    "(as printed, e.g. g:graph..omp_par.2), each with its "
                    "offset in the object and its disassembly")
    args = ap.parse_args()
    graphs = load_graphs(args.dump)
    script = subprocess.run(
        ["perf", "script", "-i", args.perf_data, "--show-mmap-events", "-F",
         "ip,dso"], capture_output=True, text=True)
    if script.returncode != 0:
        sys.exit(f"perf-graph: perf script failed: {script.stderr.strip()}")
    mappings = []  # (start, end, file offset, Graph or None, label)
    counts = collections.Counter()
    hot = collections.Counter()  # offsets in --hot's function
    hotGraph = None
    total = 0
    for line in script.stdout.splitlines():
        m = MMAP.search(line)
        if m:
            start, size = int(m.group(1), 16), int(m.group(2), 16)
            offset = int(m.group(3), 0)
            k = len(mappings)
            graph = None
            if len(graphs) > 1 and k < len(graphs) and graphs[k].size == size:
                graph = graphs[k]
            else:
                same = [g for g in graphs if g.size == size]
                graph = same[0] if len(same) == 1 else None
            mappings.append((start, start + size, offset, graph,
                             f"memfd mapping {k} ({size:#x} bytes)"))
            continue
        if "PERF_RECORD" in line:
            continue
        fields = line.split()
        try:
            ip = int(fields[0], 16)
        except (IndexError, ValueError):
            continue
        total += 1
        name = None
        for start, end, offset, graph, label in reversed(mappings):
            if start <= ip < end:
                name = (f"{graph.name}:{graph.function(ip - start + offset)}"
                        if graph else label)
                if graph and name == args.hot:
                    hot[ip - start + offset] += 1
                    hotGraph = graph
                break
        if name is None:
            name = fields[1].strip("()") if len(fields) > 1 else "?"
        counts[name] += 1
    if not total:
        sys.exit("perf-graph: no samples")
    for name, count in counts.most_common(args.top):
        print(f"{100.0 * count / total:6.2f}%  {name}")
    if args.hot and hotGraph:
        print(f"hottest instructions of {args.hot} ({hotGraph.path}):")
        asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                              hotGraph.path], capture_output=True,
                             text=True).stdout
        text = {}
        for line in asm.splitlines():
            m = re.match(r"\s*([0-9a-f]+):\s*(.*)", line)
            if m:
                text[int(m.group(1), 16)] = m.group(2).strip()
        for offset, count in hot.most_common(args.top):
            print(f"{100.0 * count / total:6.2f}%  {offset:#x}  "
                  f"{text.get(offset, '?')}")


if __name__ == "__main__":
    main()
