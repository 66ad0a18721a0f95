#!/usr/bin/env python3
# Regenerates loss_fixture.json: PyTorch 2.x's losses (value for each
# reduction, and the input's gradient of the reduced value, or of the sum
# for reduction="none") on inputs LossTest.cpp makes the same way:
#   values(n, a, b, scale)[k] = float32(sin(a * k + b) * scale)
#
#   ../shared/tools/install-torch2.sh
#   <that environment>/python gen_loss_fixture.py
import json
import math
import os

import torch
import torch.nn.functional as F


def values(shape, a, b, scale):
    n = math.prod(shape)
    return torch.tensor([math.sin(a * k + b) * scale for k in range(n)],
                        dtype=torch.float32).reshape(shape)


def run(fn, inputs, grad_of=0):
    out = {}
    for reduction in ["none", "mean", "sum"]:
        xs = [x.clone().requires_grad_(i == grad_of) for i, x in
              enumerate(inputs)]
        y = fn(*xs, reduction)
        (y.sum() if reduction == "none" else y).backward()
        out[reduction] = {"value": y.detach().flatten().tolist(),
                          "grad": xs[grad_of].grad.flatten().tolist()}
    return out


N, C = 7, 5
logits = values([N, C], 0.9, 0.3, 2.0)
target = torch.tensor([(3 * i + 1) % C for i in range(N)])
ignored = target.clone()
ignored[2] = -100
ignored[5] = -100
weight = torch.tensor([0.5 + 0.25 * c for c in range(C)])
logits4 = values([2, C, 3, 2], 0.55, 0.1, 1.5)
target4 = torch.tensor([(k * 2 + 3) % C for k in range(12)]).reshape(2, 3, 2)
probs_target = torch.softmax(values([N, C], 0.4, 1.0, 1.0), 1)

cases = {
    "ce": run(lambda x, r: F.cross_entropy(x, target, reduction=r), [logits]),
    "ce_weight": run(lambda x, r: F.cross_entropy(
        x, target, weight=weight, reduction=r), [logits]),
    "ce_ignore": run(lambda x, r: F.cross_entropy(
        x, ignored, reduction=r), [logits]),
    "ce_ignore_index_1": run(lambda x, r: F.cross_entropy(
        x, target, ignore_index=1, reduction=r), [logits]),
    "ce_smoothing": run(lambda x, r: F.cross_entropy(
        x, target, label_smoothing=0.1, reduction=r), [logits]),
    "ce_all": run(lambda x, r: F.cross_entropy(
        x, ignored, weight=weight, label_smoothing=0.2, reduction=r),
        [logits]),
    "ce_4d": run(lambda x, r: F.cross_entropy(
        x, target4, weight=weight, reduction=r), [logits4]),
    "ce_probs": run(lambda x, r: F.cross_entropy(
        x, probs_target, weight=weight, label_smoothing=0.05, reduction=r),
        [logits]),
    "nll": run(lambda x, r: F.nll_loss(
        x, ignored, weight=weight, reduction=r),
        [torch.log_softmax(logits, 1)]),
}

a = values([4, 6], 0.7, 0.2, 2.0)
b = values([4, 6], 0.3, 1.1, 1.5)
cases["mse"] = run(lambda x, y, r: F.mse_loss(x, y, reduction=r), [a, b])
cases["l1"] = run(lambda x, y, r: F.l1_loss(x, y, reduction=r), [a, b])
cases["mse_target_grad"] = run(lambda x, y, r: F.mse_loss(x, y, reduction=r),
                               [a, b], grad_of=1)

p = torch.sigmoid(values([4, 6], 0.8, 0.5, 3.0))
p[0, 0] = 0.0  # log(0) is clamped to -100, as PyTorch does
p[1, 1] = 1.0
t = (values([4, 6], 0.45, 0.7, 0.5) + 0.5)
t[0, 0] = 0.3
t[1, 1] = 0.8
w6 = torch.tensor([0.5, 1.0, 1.5, 2.0, 0.25, 1.25])
cases["bce"] = run(lambda x, r: F.binary_cross_entropy(
    x, t, weight=w6, reduction=r), [p])
z = values([4, 6], 0.8, 0.5, 6.0)
z[0, 0] = 40.0
z[0, 1] = -40.0
cases["bce_logits"] = run(lambda x, r: F.binary_cross_entropy_with_logits(
    x, t, reduction=r), [z])
cases["bce_logits_weights"] = run(
    lambda x, r: F.binary_cross_entropy_with_logits(
        x, t, weight=w6, pos_weight=w6 * 2, reduction=r), [z])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "loss_fixture.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases,
               "probs_target": probs_target.flatten().tolist()}, f)
print("wrote", path)
