# What optimization.py and save_load.py share with their C++ twins: fixed
# data and initial weights (the same numbers in tutorial.h), and one epoch
# of training.
import math

import torch
from torch import nn

X = torch.tensor([[math.cos(0.11 * i + 0.07 * j) for j in range(8)]
                  for i in range(32)])
# Three classes by the first feature.
Y = torch.tensor([0 if X[i, 0] > 0.5 else 1 if X[i, 0] > -0.5 else 2
                  for i in range(32)])


def make_model(offset=0.1):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    k = 0
    with torch.no_grad():
        for _, p in model.named_parameters():
            n = p.numel()
            values = [0.3 * math.sin(0.37 * (k + i) + offset) for i in range(n)]
            p.copy_(torch.tensor(values).reshape(p.shape))
            k += n
    return model


def train_epoch(model, loss_fn, optimizer):
    total = 0.0
    for b in range(4):
        xb, yb = X[8 * b:8 * b + 8], Y[8 * b:8 * b + 8]
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item()
    return total / 4
