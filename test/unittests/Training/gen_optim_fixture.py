#!/usr/bin/env python3
# Regenerates optim_fixture.json: what PyTorch 2.x's optimizers, schedulers
# and gradient clipping compute, for OptimTest.cpp to compare Ember with.
#
# Every run trains two parameters, a [3, 4] matrix and a [5] vector, from
# fixed values, for STEPS steps; the loss at step t is
#   sum(C_t * p) + 0.5 * sum(p * p)       (so grad = C_t + p)
# with C_t[i] = float32(sin(0.7 * i + 1.3 * t) * 3), the same in C++.
# A run records the parameters after every step (and the learning rates
# and momenta its scheduler set, and the norms clipping returned).
# Learning-rate schedules alone are recorded for more epochs.
#
#   ../shared/tools/install-torch2.sh   (PyTorch 2.x in a virtual environment)
#   <that environment>/python gen_optim_fixture.py
import json
import math
import os

import torch

STEPS = 6
SHAPES = [(3, 4), (5,)]


def start():
    p = []
    k = 0
    for s in SHAPES:
        n = math.prod(s)
        vals = [math.cos(0.37 * (k + i)) * 1.5 for i in range(n)]
        k += n
        p.append(torch.tensor(vals, dtype=torch.float32).reshape(s)
                 .requires_grad_())
    return p


def coefficients(t):
    out = []
    k = 0
    for s in SHAPES:
        n = math.prod(s)
        vals = [math.sin(0.7 * (k + i) + 1.3 * t) * 3 for i in range(n)]
        k += n
        out.append(torch.tensor(vals, dtype=torch.float32).reshape(s))
    return out


OPTIMIZERS = {
    "sgd": lambda g: torch.optim.SGD(g, lr=0.1),
    "sgd_momentum": lambda g: torch.optim.SGD(
        g, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
    "sgd_nesterov": lambda g: torch.optim.SGD(
        g, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02),
    "adam": lambda g: torch.optim.Adam(g, lr=0.05),
    "adam_amsgrad": lambda g: torch.optim.Adam(
        g, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05,
        amsgrad=True),
    "adamw": lambda g: torch.optim.AdamW(g, lr=0.05),
    "adamw_amsgrad": lambda g: torch.optim.AdamW(
        g, lr=0.05, weight_decay=0.1, amsgrad=True),
    "rmsprop": lambda g: torch.optim.RMSprop(g, lr=0.01),
    "rmsprop_centered": lambda g: torch.optim.RMSprop(
        g, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
        weight_decay=0.01),
}


def run(make, groups=None, scheduler=None, clip=None):
    p = start()
    params = p if groups is None else [
        dict(params=[p[0]], **groups[0]), dict(params=[p[1]], **groups[1])]
    opt = make(params)
    sched = scheduler(opt) if scheduler else None
    out = {"params": [], "lr": [], "momentum": [], "norms": []}
    for t in range(STEPS):
        c = coefficients(t)
        loss = sum((ci * pi).sum() + 0.5 * (pi * pi).sum()
                   for ci, pi in zip(c, p))
        loss.backward()
        if clip is not None:
            kind, value, norm_type = clip
            if kind == "norm":
                out["norms"].append(float(torch.nn.utils.clip_grad_norm_(
                    p, value, norm_type)))
            else:
                torch.nn.utils.clip_grad_value_(p, value)
        opt.step()
        opt.zero_grad()
        out["lr"].append([g["lr"] for g in opt.param_groups])
        out["momentum"].append(
            [g["betas"][0] if "betas" in g else g.get("momentum", 0.0)
             for g in opt.param_groups])
        if sched:
            sched.step()
        out["params"].append([x.detach().flatten().tolist() for x in p])
    return out


runs = {name: run(make) for name, make in OPTIMIZERS.items()}
runs["groups_sgd"] = run(lambda g: torch.optim.SGD(g, lr=0.1), groups=[
    dict(lr=0.02), dict(lr=0.2, momentum=0.9)])
runs["groups_adam"] = run(lambda g: torch.optim.Adam(g, lr=0.05), groups=[
    dict(), dict(lr=0.01, amsgrad=True)])
runs["onecycle_sgd"] = run(
    lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9),
    scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS))
runs["onecycle_adam"] = run(
    lambda g: torch.optim.Adam(g, lr=0.1),
    scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.2, total_steps=STEPS, anneal_strategy="linear",
        three_phase=True))
runs["steplr_sgd"] = run(
    lambda g: torch.optim.SGD(g, lr=0.1),
    scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 2, gamma=0.5))
runs["clip_norm2"] = run(lambda g: torch.optim.SGD(g, lr=0.1),
                         clip=("norm", 2.0, 2.0))
runs["clip_norm1"] = run(lambda g: torch.optim.SGD(g, lr=0.1),
                         clip=("norm", 5.0, 1.0))
runs["clip_norminf"] = run(lambda g: torch.optim.SGD(g, lr=0.1),
                           clip=("norm", 1.5, math.inf))
runs["clip_value"] = run(lambda g: torch.optim.SGD(g, lr=0.1),
                         clip=("value", 1.0, None))


def schedule(make, epochs=25, metrics=None):
    """Learning rates (per group) after construction and each step()."""
    p = start()
    opt = torch.optim.SGD([dict(params=[p[0]], lr=0.1),
                           dict(params=[p[1]], lr=0.03)], momentum=0.9)
    sched = make(opt)
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [[g["momentum"] for g in opt.param_groups]]
    for e in range(epochs):
        opt.step()
        if metrics is not None:
            sched.step(metrics[e])
        else:
            sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["momentum"] for g in opt.param_groups])
    return {"lr": lrs, "momentum": moms}


S = torch.optim.lr_scheduler
plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9,
                   0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6,
                   0.6, 0.6, 0.6, 0.6]
schedules = {
    "step": schedule(lambda o: S.StepLR(o, 3, gamma=0.5)),
    "multistep": schedule(lambda o: S.MultiStepLR(o, [2, 5, 5, 11], 0.3)),
    "exponential": schedule(lambda o: S.ExponentialLR(o, 0.93)),
    "cosine": schedule(lambda o: S.CosineAnnealingLR(o, 7, eta_min=0.001)),
    "lambda": schedule(lambda o: S.LambdaLR(
        o, [lambda e: 1 / (1 + e), lambda e: 0.95 ** e])),
    "onecycle_cos": schedule(lambda o: S.OneCycleLR(o, [0.5, 0.2], 25),
                             epochs=24),
    "onecycle_linear3": schedule(lambda o: S.OneCycleLR(
        o, 0.4, 25, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=0.9,
        div_factor=10, final_div_factor=100), epochs=24),
    "plateau_min": schedule(lambda o: S.ReduceLROnPlateau(
        o, factor=0.5, patience=2, cooldown=1, min_lr=0.004),
        metrics=plateau_metrics),
    "plateau_max_abs": schedule(lambda o: S.ReduceLROnPlateau(
        o, mode="max", factor=0.2, patience=1, threshold=0.05,
        threshold_mode="abs"), metrics=[-m for m in plateau_metrics]),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "optim_fixture.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "steps": STEPS, "runs": runs,
               "schedules": schedules}, f, indent=0)
print("wrote", path)
