//===- OpFamilyGraphs.h - One small graph per op family ---------*- C++ -*-===//
//
// Part of Ember's tests. One exported graph per family of ops, recorded
// through the frontend on random inputs: shared by the tests that compile
// every family for a target (PtxTest assembles their PTX; GpuHostCodeTest
// runs their host-compiled kernels against the CPU path). log and sqrt
// read a + 2 (a is in [0, 1)), so every result is finite.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_OPFAMILYGRAPHS_H
#define EMBER_TEST_REFERENCE_OPFAMILYGRAPHS_H

#include "ember/ember.h"

#include <string>
#include <utility>
#include <vector>

namespace ember::test {

inline std::vector<std::pair<std::string, std::string>> opFamilyGraphs() {
  Tensor a = rand({4, 6}), b = rand({4, 6}), v = rand({6});
  Tensor w = rand({3, 6}), bias = rand({3});
  Tensor labels = tensor(std::vector<int64_t>{0, 2, 1, 2}, {4});
  return {
      {"elementwise",
       export_graph({(a + b) * v - a / (b + 1.0), -a, a.relu()})},
      {"exp-log-sqrt",
       export_graph({a.exp(), (a + 2.0).log(), (a + 2.0).sqrt()})},
      {"sigmoid-tanh-gelu", export_graph({a.sigmoid(), a.tanh(), gelu(a)})},
      {"matmul", export_graph({a.matmul(b.t())})},
      {"linear",
       export_graph({linear(a, w, bias), linear(a, w, Tensor()).relu()})},
      {"reductions",
       export_graph({a.sum({1}), a.amax({0}, true), a.amin({1}), a.mean()})},
      {"argmax-compare-cast",
       export_graph(
           {a.argmax(1), a.gt(b).to(DType::Float32), where(a.lt(b), a, b)})},
      {"data-movement",
       export_graph({a.reshape({6, 4}) * 1.0, a.permute({1, 0}) + 0.0,
                     v.broadcast_to({2, 6}) * 2.0})},
      {"int64", export_graph({labels * 3.0 + labels})},
      {"softmax-cross-entropy",
       export_graph({a.softmax(1), nn::CrossEntropyLoss()(a, labels)})},
  };
}

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_OPFAMILYGRAPHS_H
