#!/usr/bin/env python3
"""Data-parallel training under `mpirun -np 2` (ctest distributed.*).

  check-distributed.py ddp <ember-ddp-check>
      2 ranks x batch 32 against 1 process x batch 64 (ember-ddp-check
      checks parameters to 1e-5 and bit-identical ranks); then a rank that
      is killed, hangs or throws: the job must end, non-zero, within a
      bounded time, with a message naming a rank. And NCCL on the emulated
      device (EMBER_FAKE_CUDA=1, ember-ddp-check --nccl): one rank through
      ember::distributed's NCCL path to the fake NCCL; two ranks, which
      the fake refuses, must stop the job naming NCCL's error.
  check-distributed.py quickstart <quickstart> <data-dir> [epochs]
      `mpirun -np 2 quickstart --distributed` against the 1-process run:
      the same lines, the losses of epoch 1 to 1e-4, and the final accuracy
      within 1 point.

Where mpirun is missing the test is skipped (exit 77), except under CI
(CI=true), where scripts/deps.sh installs it: there it fails.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def mpirun_command(np):
    mpirun = shutil.which("mpirun")
    if not mpirun:
        if os.environ.get("CI") == "true":
            sys.exit("mpirun is missing, but CI installs it (scripts/deps.sh): "
                     "install openmpi-bin")
        print("SKIPPED: mpirun is not installed (Debian: openmpi-bin)")
        sys.exit(SKIP)
    cmd = [mpirun, "-np", str(np), "--oversubscribe",
           # Shared memory between the ranks of one machine: 2 ms per
           # Quickstart all-reduce, against 9 with Open MPI's default
           # selection here.
           "--mca", "pml", "ob1", "--mca", "btl", "self,vader",
           # Components stay loaded until exit, so that LeakSanitizer can
           # name them (sanitizer_environment).
           "--mca", "mca_base_component_disable_dlclose", "1"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def sanitizer_environment(env=None):
    """Under scripts/test-sanitizers.sh (ASAN_OPTIONS set): Open MPI's own
    leaks at exit are suppressed (lsan-openmpi.supp), which needs full
    stacks (the slow unwinder) to name its libraries; Ember's allocations
    are still checked."""
    env = dict(env if env is not None else os.environ)
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":fast_unwind_on_malloc=0"
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "lsan-openmpi.supp")
        lsan = env.get("LSAN_OPTIONS", "")
        env["LSAN_OPTIONS"] = (lsan + ":" if lsan else "") + f"suppressions={supp}"
    return env


def run(cmd, timeout, env=None, cwd=None):
    """(exit code, output); a run past `timeout` seconds is a failure."""
    env = sanitizer_environment(env)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        sys.exit(f"FAILED: {' '.join(cmd)} ran past {timeout} s (a hang):\n{out}")
    return p.returncode, p.stdout


def check_ddp(binary):
    mpi = mpirun_command(2)
    code, out = run(mpi + [binary], 180)
    print(out, end="")
    if code != 0 or "identical on every rank: OK" not in out:
        sys.exit(f"FAILED: 2 ranks did not match 1 process (exit {code})")

    cases = [
        # (flag, the watchdog's timeout, what must be said). A dead rank is
        # noticed by mpirun; a hung one by the others' watchdog. Only the
        # hang case shortens the timeout: with a sanitizer's slow builds, a
        # rank compiling its first graphs can keep the other waiting for
        # seconds, and 5 s would stop the job before the rank dies.
        ("--die-at-step", "600", r"rank 1\b.*(signal 9|Killed)|process rank 1"),
        ("--hang-at-step", "5", r"rank \d of 2: .*waited \d+ s"),
        ("--fail-at-step", "600", r"rank 1 of 2: ddp-check: an error on rank 1"),
    ]
    # NCCL on the emulated device: one rank through ember::distributed's
    # path to the fake NCCL; with two, the fake refuses and the job stops.
    fake = dict(os.environ, EMBER_FAKE_CUDA="1")
    code, out = run(mpirun_command(1) + ["-x", "EMBER_FAKE_CUDA", binary,
                                         "--nccl"], 180, env=fake)
    print(out, end="")
    if code != 0 or "through NCCL, in place: OK" not in out:
        sys.exit(f"FAILED: --nccl on one rank (exit {code})")
    code, out = run(mpi + ["-x", "EMBER_FAKE_CUDA", binary, "--nccl"], 180,
                    env=fake)
    said = r"rank \d of 2: NCCL: .*the fake NCCL runs jobs of one process"
    if code == 0 or not re.search(said, out, re.S):
        sys.exit(f"FAILED: --nccl on two ranks of the fake NCCL did not stop "
                 f"with /{said}/ (exit {code}):\n{out}")
    print(f"--nccl 2: the job stopped (exit {code}), naming NCCL's error")

    if "ASAN_OPTIONS" in os.environ:
        # Under the sanitizers (scripts/test-sanitizers.sh) each job costs
        # a minute: the watchdog's own code runs in the hang case; a killed
        # or failing rank is mpirun's and MPI_Abort's doing, checked in the
        # Release build.
        cases = [c for c in cases if c[0] == "--hang-at-step"]
    for flag, timeout, said in cases:
        env = dict(os.environ, EMBER_DIST_TIMEOUT=timeout)
        code, out = run(mpi + ["-x", "EMBER_DIST_TIMEOUT", binary, flag, "2"],
                        240, env=env)
        if code == 0:
            sys.exit(f"FAILED: {flag}: the job ended as if nothing happened:\n{out}")
        if not re.search(said, out, re.S):
            sys.exit(f"FAILED: {flag}: the output does not say /{said}/:\n{out}")
        print(f"{flag} 2: the job stopped (exit {code}), naming the rank")


def numbers(lines, prefix):
    return [float(m.group(1)) for line in lines
            if (m := re.match(prefix + r"\s*([-0-9.]+)", line.strip()))]


def check_quickstart(binary, data, epochs):
    mpi = mpirun_command(2)
    args = ["--epochs", str(epochs), "--data", data]
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        code1, single = run([binary] + args, 1200, cwd=one)
        code2, dist = run(mpi + [binary, "--distributed"] + args, 1200, cwd=two)
        saved = os.path.exists(os.path.join(two, "model.safetensors"))
    print(dist, end="")
    if code1 != 0 or code2 != 0:
        sys.exit(f"FAILED: exit codes {code1} (1 process), {code2} (2 ranks):\n"
                 f"{single}\n{dist}")
    if not saved:
        sys.exit("FAILED: rank 0 did not save model.safetensors")
    # The same lines, numbers aside (the batch shape is a rank's: 32).
    shape = lambda s: [re.sub(r"[-0-9.]+", "#", l) for l in s.splitlines()]
    if shape(single) != shape(dist):
        sys.exit("FAILED: the distributed run prints other lines than the "
                 "1-process run")
    # Epoch 1 visits the same samples in the same batches: its losses
    # agree to rounding.
    a = numbers(single.splitlines(), "loss:")
    b = numbers(dist.splitlines(), "loss:")
    per_epoch = len(a) // epochs
    for x, y in zip(a[:per_epoch], b[:per_epoch]):
        if abs(x - y) > 1e-4 * max(abs(x), 1e-6):
            sys.exit(f"FAILED: epoch 1 losses {x} (1 process) and {y} (2 ranks)")
    acc1 = numbers(single.splitlines(), "Accuracy:")
    acc2 = numbers(dist.splitlines(), "Accuracy:")
    print(f"accuracy after {epochs} epochs: {acc1[-1]}% (1 process), "
          f"{acc2[-1]}% (2 ranks x batch 32)")
    if abs(acc1[-1] - acc2[-1]) > 1.0:
        sys.exit("FAILED: the accuracies differ by more than 1 point")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "ddp":
        check_ddp(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "quickstart":
        check_quickstart(sys.argv[2], sys.argv[3],
                         int(sys.argv[4]) if len(sys.argv) > 4 else 5)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
