#!/usr/bin/env python3
"""Trains the Quickstart (examples/quickstart.cpp) for one epoch on the CPU
and on the emulated GPU (the fake driver, EMBER_FAKE_CUDA=1) and compares
what they print: every training loss and the test set's average loss within
1e-3 relative, the test accuracy within 0.1 point. The CNN example
(examples/cnn.cpp), which prints the same lines, is checked the same way,
with ARGS such as "--limit 12 --log-every 3" (the emulated device is slow).

  check-quickstart-epoch.py EXAMPLE DATA_DIR [ARGS...]

The runs happen in a temporary folder (the Quickstart saves its model in the
current one). Each run's output is echoed, with its wall time.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

# CHECK_REL_TOL and CHECK_ACCURACY_TOL (points) loosen them for models
# whose training amplifies rounding differences (reductions summed in
# another order on the device) faster, as Adam and batch norm do.
REL_TOL = float(os.environ.get("CHECK_REL_TOL", "1e-3"))
# Both are printed with one decimal.
ACCURACY_TOL = float(os.environ.get("CHECK_ACCURACY_TOL", "0.1")) + 1e-9

LOSS = re.compile(r"^loss: (\S+)\s+\[\s*(\d+)/", re.M)
TEST = re.compile(r"Accuracy: (\S+)%, Avg loss: (\S+)")


def run(quickstart, data, device, env, cwd, extra):
    start = time.monotonic()
    out = subprocess.run(
        [quickstart, "--epochs", "1", "--device", device, "--data", data]
        + extra,
        env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.monotonic() - start
    print(f"--- {device} ({seconds:.1f} s) ---\n{out.stdout}{out.stderr}",
          flush=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: quickstart --device {device} exited with "
                 f"{out.returncode}")
    losses = [(int(seen), float(loss)) for loss, seen in LOSS.findall(out.stdout)]
    test = TEST.search(out.stdout)
    if not losses or not test:
        sys.exit(f"FAIL: no losses or no test result from --device {device}")
    return losses, float(test.group(1)), float(test.group(2))


def close(a, b):
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def main():
    quickstart, data, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = []
    with tempfile.TemporaryDirectory() as cwd:
        env = dict(os.environ)
        env.pop("EMBER_FAKE_CUDA", None)
        cpu = run(quickstart, data, "cpu", env, cwd, extra)
        env["EMBER_FAKE_CUDA"] = "1"
        gpu = run(quickstart, data, "cuda", env, cwd, extra)
    (cpuLosses, cpuAccuracy, cpuTestLoss) = cpu
    (gpuLosses, gpuAccuracy, gpuTestLoss) = gpu
    if [s for s, _ in cpuLosses] != [s for s, _ in gpuLosses]:
        failures.append("the devices printed losses at different steps")
    for (seen, c), (_, g) in zip(cpuLosses, gpuLosses):
        if not close(c, g):
            failures.append(f"loss at {seen}: cpu {c}, cuda {g}")
    if not close(cpuTestLoss, gpuTestLoss):
        failures.append(f"test loss: cpu {cpuTestLoss}, cuda {gpuTestLoss}")
    if abs(cpuAccuracy - gpuAccuracy) > ACCURACY_TOL:
        failures.append(f"accuracy: cpu {cpuAccuracy}%, cuda {gpuAccuracy}%")
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"OK: {len(cpuLosses)} losses within {REL_TOL} relative, "
          f"accuracy {cpuAccuracy}% (cpu) and {gpuAccuracy}% (cuda)")


if __name__ == "__main__":
    main()
