#!/usr/bin/env python3
"""Proves that scripts/deps.sh installs everything the build used.

Maps every header the build included (`ninja -t deps`), every library it
linked (the link lines of build.ninja) and every other file the tests use
(--also) to the Debian package that owns it (`dpkg -S`), and fails, naming
the file and its package, when that package is neither in scripts/deps.sh's
list nor pulled in by one of them (`apt-cache depends --recurse
--installed`). Targets under bench/ may also use bench/deps.sh's packages
(the benchmark peers); nothing else may.

A file no package owns fails too, unless it lies in the CUDA toolkit
(/usr/local/cuda: not a Debian package, looked for and never required).

  check-deps.py --source SRC --build BUILD [--also FILE ...]

Part of CI: a green run on a machine that happens to have a package must
not hide a missing install step.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

# Files outside Debian's packages that Ember may use when present.
NOT_DEBIAN = ("/usr/local/cuda",)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def package_list(script):
    """The packages a deps script installs (its --list)."""
    r = run([script, "--list"])
    if r.returncode != 0:
        sys.exit(f"check-deps: {script} --list failed:\n{r.stderr}")
    return set(r.stdout.split())


def closure(packages):
    """The packages and everything they pull in, installed ones only."""
    r = run(["apt-cache", "depends", "--recurse", "--installed",
             "--no-recommends", "--no-suggests", "--no-conflicts",
             "--no-breaks", "--no-replaces", "--no-enhances"] +
            sorted(packages))
    names = set(packages)
    for line in r.stdout.splitlines():
        if not line.startswith(" "):
            names.add(line.strip().strip("<>"))
        else:
            m = re.match(r"\s*\|?(?:Pre)?Depends:\s*<?([^>\s]+)>?", line)
            if m:
                names.add(m.group(1))
    return {n.split(":")[0] for n in names}


def headers(build):
    """{header: {target, ...}} from the ninja deps log."""
    r = run(["ninja", "-C", build, "-t", "deps"])
    if r.returncode != 0:
        sys.exit(f"check-deps: ninja -t deps failed:\n{r.stderr}")
    used, target = {}, None
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            target = line.split(":")[0]
            continue
        path = os.path.normpath(os.path.join(build, line.strip()))
        used.setdefault(path, set()).add(target)
    return used


def search_dirs():
    r = run(["g++", "-print-search-dirs"])
    for line in r.stdout.splitlines():
        if line.startswith("libraries: ="):
            return [os.path.normpath(d) for d in line[12:].split(":")]
    return ["/usr/lib/x86_64-linux-gnu", "/usr/lib"]


def libraries(build):
    """{library: {target, ...}} from the link lines of build.ninja."""
    used, target, dirs = {}, None, search_dirs()
    with open(os.path.join(build, "build.ninja")) as f:
        for line in f:
            if line.startswith("build "):
                target = line[6:].split(":")[0].split()[0]
                continue
            m = re.match(r"\s+(LINK_LIBRARIES|LINK_PATH) = (.*)", line)
            if not m:
                continue
            for tok in shlex.split(m.group(2)):
                for part in tok.split(","):
                    path = None
                    if part.startswith("-l") and len(part) > 2:
                        for d in dirs:
                            for ext in (".so", ".a"):
                                cand = os.path.join(d, "lib" + part[2:] + ext)
                                if path is None and os.path.exists(cand):
                                    path = cand
                    elif part.startswith("/") and re.search(r"\.(so|a)(\.|$)",
                                                             part):
                        path = part
                    if path:
                        used.setdefault(os.path.normpath(path), set()).add(target)
    return used


def owners(paths):
    """{path: package} through dpkg -S (trying the path as given, its real
    path, and its other spelling under merged /usr)."""
    def spellings(p):
        out = [p, os.path.realpath(p)]
        for q in list(out):
            if q.startswith("/usr/lib/") or q.startswith("/usr/bin/"):
                out.append(q[4:])
            elif q.startswith("/lib/") or q.startswith("/bin/"):
                out.append("/usr" + q)
        return list(dict.fromkeys(out))

    tried = {p: spellings(p) for p in paths}
    queries = sorted({s for ss in tried.values() for s in ss})
    found = {}
    # dpkg -S reads its database once per call: ask in large batches.
    for i in range(0, len(queries), 4000):
        r = run(["dpkg", "-S"] + queries[i:i + 4000])
        for line in r.stdout.splitlines():
            if line.startswith("diversion "):
                continue
            pkgs, _, path = line.partition(": ")
            found[path] = pkgs.split(", ")[0].split(":")[0]
    return {p: next((found[s] for s in ss if s in found), None)
            for p, ss in tried.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--also", nargs="*", default=[],
                    help="other files the build or the tests use")
    args = ap.parse_args()
    source = os.path.realpath(args.source)
    build = os.path.realpath(args.build)

    ember = package_list(os.path.join(source, "scripts", "deps.sh"))
    allowed = closure(ember)
    bench_script = os.path.join(source, "bench", "deps.sh")
    bench_allowed = allowed
    if os.path.exists(bench_script):
        bench_allowed = closure(ember | package_list(bench_script))
    # The programs bench/CMakeLists.txt builds (the peers among them).
    bench_programs = set()
    bench_cmake = os.path.join(source, "bench", "CMakeLists.txt")
    if os.path.exists(bench_cmake):
        with open(bench_cmake) as f:
            bench_programs = {"bin/" + name for name in
                              re.findall(r"add_executable\((\w+)", f.read())}

    used = {}
    for table in (headers(build), libraries(build)):
        for path, targets in table.items():
            used.setdefault(path, set()).update(targets)
    for path in args.also:
        used.setdefault(os.path.normpath(path), set()).add("(tests)")
    # Ember's own files are not dependencies.
    used = {p: t for p, t in used.items()
            if not (os.path.realpath(p).startswith(source + os.sep) or
                    os.path.realpath(p).startswith(build + os.sep) or
                    p.startswith(source + os.sep) or
                    p.startswith(build + os.sep))}

    owner = owners(used)
    problems, packages = [], {}
    for path in sorted(used):
        targets = used[path]
        pkg = owner[path]
        if pkg is None:
            if path.startswith(NOT_DEBIAN):
                continue
            if not os.path.exists(path):
                problems.append(f"{path}: used by the build but no longer "
                                f"there (rebuild)")
                continue
            problems.append(f"{path}: no Debian package owns it "
                            f"(used by {sorted(targets)[0]})")
            continue
        packages.setdefault(pkg, set()).add(path)
        only_bench = all(t.startswith("bench/") or "/bench/" in t or
                         t in bench_programs for t in targets)
        if pkg in (bench_allowed if only_bench else allowed):
            continue
        problems.append(
            f"{path}: owned by '{pkg}', which scripts/deps.sh neither "
            f"installs nor pulls in (used by {sorted(targets)[0]}"
            f"{' and others' if len(targets) > 1 else ''})")

    print(f"check-deps: {len(used)} files from {len(packages)} packages; "
          f"scripts/deps.sh's {len(ember)} packages pull in {len(allowed)}")
    for pkg in sorted(packages):
        print(f"  {pkg}: {len(packages[pkg])} files")
    if problems:
        # One line per package is enough to act on; the rest are counted.
        seen, shown = set(), 0
        for p in problems:
            key = p.split("'")[1] if "'" in p else p
            if key in seen:
                continue
            seen.add(key)
            shown += 1
            print("check-deps: FAIL: " + p)
        print(f"check-deps: {len(problems)} files not covered "
              f"({shown} shown, one per package): add the packages to "
              f"scripts/deps.sh")
        return 1
    print("check-deps: every file the build used comes from a package "
          "scripts/deps.sh installs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
