#!/usr/bin/env python3
"""Writes the ONNX fixtures of opset semantics, built node by node.

PyTorch's exporter never writes a Softmax whose old (opset < 13) meaning
differs from the new one, so these models are made with onnx.helper, and
their expected outputs come from onnxruntime. Run with the peers' virtual
environment (../shared/tools/install-torch2.sh installs onnx and
onnxruntime): `~/.cache/ember-peers/torch2/bin/python
test/onnx/make_opset_fixtures.py`. Seeded: reruns give the same files.

- softmax_opset11: Softmax(axis=2) plus LogSoftmax (no axis: 1) of a
  2x3x4x5 input, at opset 11, where both take the input as 2-D (the dims
  before the axis by those from it on) and normalise over the second;
- gelu_opset20: Gelu (an op since opset 20), exact;
- gelu_tanh: Gelu with approximate='tanh' (graphc must refuse it);
- custom_domain: a Relu in domain 'com.example' (graphc must refuse it);
- opset6: an Add at opset 6, whose broadcasting Ember does not read.
test/unittests/Tools/EmberRunTest.cpp runs them with graphc and ember-run.
"""
import os

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, model, x=None):
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    if x is not None:
        session = onnxruntime.InferenceSession(
            path, providers=["CPUExecutionProvider"])
        (y,) = session.run(None, {"x": x})
        np.save(os.path.join(HERE, name + ".input.npy"), x)
        np.save(os.path.join(HERE, name + ".output.npy"), y)


def model(nodes, x_shape, y_shape, opset, domains=()):
    graph = helper.make_graph(
        nodes, "graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)])
    imports = [helper.make_opsetid("", opset)]
    imports += [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(graph, opset_imports=imports,
                          producer_name="make_opset_fixtures")
    m.ir_version = 7
    return m


def main():
    rng = np.random.default_rng(0)
    shape = [2, 3, 4, 5]
    x = rng.standard_normal(shape).astype(np.float32)
    save("softmax_opset11", model([
        helper.make_node("Softmax", ["x"], ["s"], axis=2),
        helper.make_node("LogSoftmax", ["x"], ["l"]),
        helper.make_node("Add", ["s", "l"], ["y"]),
    ], shape, shape, 11), x)
    g = (rng.standard_normal([3, 7]) * 3).astype(np.float32)
    save("gelu_opset20", model([
        helper.make_node("Gelu", ["x"], ["y"]),
    ], [3, 7], [3, 7], 20), g)
    save("gelu_tanh", model([
        helper.make_node("Gelu", ["x"], ["y"], approximate="tanh"),
    ], [3, 7], [3, 7], 20))
    save("custom_domain", model([
        helper.make_node("Relu", ["x"], ["y"], domain="com.example"),
    ], [2, 3], [2, 3], 13, domains=["com.example"]))
    save("opset6", model([
        helper.make_node("Add", ["x", "x"], ["y"]),
    ], [2, 3], [2, 3], 6))


if __name__ == "__main__":
    main()
