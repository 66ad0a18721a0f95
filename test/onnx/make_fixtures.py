#!/usr/bin/env python3
"""Writes the ONNX fixtures in this folder with PyTorch's exporter.

Run with Debian's python3 (python3-torch, python3-numpy): `/usr/bin/python3
test/onnx/make_fixtures.py`. For each model NAME it writes NAME.onnx (opset
13, or 11 for cnn_opset11; static shapes, constant folding), NAME.input.npy and NAME.output.npy
(PyTorch's own result, the expected output). Seeded: reruns give the same
files. test/unittests/Tools/OnnxTest.cpp compiles each with graphc, runs it
with ember-run and compares.
"""
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Mlp(nn.Module):
    """The Quickstart's shape of model, small: Flatten, Gemm, Relu."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 5))

    def forward(self, x):
        return self.stack(self.flatten(x))


class Ops(nn.Module):
    """MatMul, Add, Sub, Mul, Div, Neg, Transpose, Reshape, Softmax."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 4))
        self.b = nn.Parameter(torch.randn(4))

    def forward(self, x):
        y = x @ self.w + self.b           # MatMul, Add
        y = (y - 0.5) * 2.0 / 3.0         # Sub, Mul, Div
        y = -y                            # Neg
        z = y.t().reshape(2, 10)          # Transpose, Reshape
        return torch.softmax(z, dim=1)    # Softmax


class LogSoftmaxHead(nn.Module):
    """Gemm without transposed weights and LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 3))

    def forward(self, x):
        return torch.log_softmax(torch.addmm(torch.ones(3), x, self.w), dim=1)


class Activations(nn.Module):
    """Gemm, Sigmoid, Gemm, Tanh, and GELU (Div, Erf, Add, Mul at opset 13)."""

    def __init__(self):
        super().__init__()
        self.stack = nn.Sequential(nn.Linear(6, 8), nn.Sigmoid(),
                                   nn.Linear(8, 4), nn.Tanh(), nn.GELU())

    def forward(self, x):
        return self.stack(x)


class Cnn(nn.Module):
    """The CNN example's shape, small: Conv, BatchNormalization, Relu,
    MaxPool twice, then Flatten, Dropout (inference) and Gemm; a grouped,
    strided, dilated Conv, AveragePool, a BatchNormalization that does not
    follow a Conv and GlobalAveragePool on a side branch, added in. (The
    exporter folds a batch norm after a convolution into it, and writes an
    average pooling with padding as Pad and AveragePool.)"""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(6 * 3 * 3, 5))
        self.side = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1, dilation=2),
            nn.Conv2d(4, 6, 1, groups=2), nn.AvgPool2d(2), nn.ReLU(),
            nn.BatchNorm2d(6), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(6, 5))

    def forward(self, x):
        return self.classifier(self.features(x)) + self.side(x)


class Reductions(nn.Module):
    """Clip (clamp), Unsqueeze, Squeeze, ReduceMean, ReduceSum, Greater,
    Cast (a bool mask to float), after a view to [N, -1]."""

    def forward(self, x):
        a = x.view(x.size(0), -1)
        b = torch.clamp(a, -0.5, 0.7)
        c = b.unsqueeze(1).squeeze(1)
        d = c.mean(dim=1, keepdim=True)
        e = c.sum(dim=0)
        f = (c > 0).to(torch.float32)
        return d * e + f


class Sin(nn.Module):
    def forward(self, x):
        return torch.sin(x)


def export(name, model, x, opset=13):
    model.eval()
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(HERE, name + ".onnx"),
                      opset_version=opset, do_constant_folding=True,
                      input_names=["x"], output_names=["y"])
    np.save(os.path.join(HERE, name + ".input.npy"), x.numpy())
    np.save(os.path.join(HERE, name + ".output.npy"), y.numpy())


def main():
    torch.manual_seed(0)
    export("mlp", Mlp(), torch.randn(3, 1, 4, 4))
    export("ops", Ops(), torch.randn(5, 6))
    export("logsoftmax", LogSoftmaxHead(), torch.randn(4, 8))
    export("activations", Activations(), torch.randn(5, 6))
    # Batch-norm statistics that are not the initial ones: a few training
    # forwards first.
    cnn = Cnn()
    with torch.no_grad():
        for _ in range(3):
            cnn(torch.randn(8, 1, 12, 12) * 2 + 0.5)
    export("cnn", cnn, torch.randn(2, 1, 12, 12))
    export("cnn_opset11", cnn, torch.randn(2, 1, 12, 12), opset=11)
    export("reductions", Reductions(), torch.randn(2, 3, 4, 5))
    # Not supported by Ember (a Sin): graphc must name the op and the node.
    torch.onnx.export(Sin().eval(), (torch.randn(1, 1, 5, 5),),
                      os.path.join(HERE, "unsupported.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"])


if __name__ == "__main__":
    main()
