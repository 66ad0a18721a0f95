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
- opset6: an Add at opset 6, whose broadcasting Ember does not read;
- shape_folding (opset 13): a traced x.view(x.size(0), -1) as PyTorch
  writes it without constant folding (Shape, Gather, Unsqueeze, Concat,
  Reshape: folded by graphc), then Where(Greater(y, 0), y, -y), a Clip
  with bound inputs and a Cast to double and back;
- clip_opset7: the attribute forms of opset 7: Clip(min, max), Unsqueeze
  and Squeeze with axes, ReduceSum with axes and keepdims = 0,
  ReduceMean;
- matmul_3d: a MatMul of a [2, 3, 4] input by a [4, 5] weight;
- concat_tensors: a Concat of the input with itself (Ember has no
  concatenation op yet: graphc must refuse it, naming the node);
- ../fuzz/regressions/onnx/where-one-input.onnx: a Where with one input
  (malformed, so unchecked: the importer once read past a node's inputs
  here, found by fuzz_onnx); scripts/fuzz.sh replays it under ASan.
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


def model(nodes, x_shape, y_shape, opset, domains=(), initializers=()):
    graph = helper.make_graph(
        nodes, "graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        initializer=list(initializers))
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
    ints = lambda name, values: helper.make_tensor(
        name, TensorProto.INT64, [len(values)], values)
    scalar = lambda name, value: helper.make_tensor(
        name, TensorProto.FLOAT, [], [value])
    v = rng.standard_normal([2, 3, 4]).astype(np.float32)
    save("shape_folding", model([
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Greater", ["flat", "zerof"], ["positive"]),
        helper.make_node("Neg", ["flat"], ["negated"]),
        helper.make_node("Where", ["positive", "flat", "negated"], ["abs"]),
        helper.make_node("Clip", ["abs", "", "hi"], ["clipped"]),
        helper.make_node("Cast", ["clipped"], ["wide"], to=TensorProto.DOUBLE),
        helper.make_node("Cast", ["wide"], ["y"], to=TensorProto.FLOAT),
    ], [2, 3, 4], [2, 12], 13, initializers=[
        helper.make_tensor("zero", TensorProto.INT64, [], [0]),
        ints("axes0", [0]), ints("minus1", [-1]), scalar("zerof", 0.0),
        scalar("hi", 0.8)]), v)
    save("clip_opset7", model([
        helper.make_node("Clip", ["x"], ["c"], min=-0.5, max=0.6),
        helper.make_node("Unsqueeze", ["c"], ["u"], axes=[1, 5]),
        helper.make_node("Squeeze", ["u"], ["s"], axes=[1]),
        helper.make_node("ReduceSum", ["s"], ["r"], axes=[1, 4], keepdims=0),
        helper.make_node("ReduceMean", ["s"], ["m"], axes=[0, 1], keepdims=0),
        helper.make_node("Squeeze", ["m"], ["m2"]),
        helper.make_node("Mul", ["r", "m2"], ["y"]),
    ], shape, [2, 4, 5], 7), x)
    w = rng.standard_normal([4, 5]).astype(np.float32)
    save("matmul_3d", model([
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ], [2, 3, 4], [2, 3, 5], 13, initializers=[
        helper.make_tensor("w", TensorProto.FLOAT, [4, 5], w.flatten())]),
        rng.standard_normal([2, 3, 4]).astype(np.float32))
    save("concat_tensors", model([
        helper.make_node("Concat", ["x", "x"], ["y"], axis=0, name="twice"),
    ], [2, 3], [4, 3], 13))
    malformed()


def malformed():
    where = model([
        helper.make_node("Where", ["x"], ["y"], name="short"),
    ], [2, 3], [2, 3], 13)
    onnx.save(where, os.path.join(HERE, "..", "fuzz", "regressions", "onnx",
                                  "where-one-input.onnx"))


if __name__ == "__main__":
    main()
