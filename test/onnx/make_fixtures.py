#!/usr/bin/env python3
"""Writes the ONNX fixtures in this folder with PyTorch's exporter.

Run with Debian's python3 (python3-torch, python3-numpy): `/usr/bin/python3
test/onnx/make_fixtures.py`. For each model NAME it writes NAME.onnx (opset
13, static shapes, constant folding), NAME.input.npy and NAME.output.npy
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


def export(name, model, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(HERE, name + ".onnx"),
                      opset_version=13, do_constant_folding=True,
                      input_names=["x"], output_names=["y"])
    np.save(os.path.join(HERE, name + ".input.npy"), x.numpy())
    np.save(os.path.join(HERE, name + ".output.npy"), y.numpy())


def main():
    torch.manual_seed(0)
    export("mlp", Mlp(), torch.randn(3, 1, 4, 4))
    export("ops", Ops(), torch.randn(5, 6))
    export("logsoftmax", LogSoftmaxHead(), torch.randn(4, 8))
    export("activations", Activations(), torch.randn(5, 6))
    # Not supported by Ember (a Conv): graphc must name the op and the node.
    torch.onnx.export(nn.Conv2d(1, 2, 3).eval(), (torch.randn(1, 1, 5, 5),),
                      os.path.join(HERE, "unsupported.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"])


if __name__ == "__main__":
    main()
