//===- QuickstartModel.h - The Quickstart's model, for tests ----*- C++ -*-===//
//
// Part of Ember. The PyTorch Quickstart's NeuralNetwork, written as a user
// writes it (examples/quickstart.cpp has the same class), shared by the
// tests that need the real model.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_QUICKSTARTMODEL_H
#define EMBER_TEST_REFERENCE_QUICKSTARTMODEL_H

#include "ember/ember.h"

#include <string>
#include <utility>
#include <vector>

namespace ember::test {

struct NeuralNetwork : nn::Module {
  nn::Flatten flatten;
  nn::Sequential linear_relu_stack{nn::Linear(28 * 28, 512), nn::ReLU(),
                                   nn::Linear(512, 512), nn::ReLU(),
                                   nn::Linear(512, 10)};
  NeuralNetwork() {
    register_modules({{"flatten", flatten},
                      {"linear_relu_stack", linear_relu_stack}});
  }
  Tensor forward(const Tensor &x) override {
    return linear_relu_stack(flatten(x));
  }
};

/// The Quickstart's graphs at batch 64, as export_graph writes them: the
/// training step (forward, cross-entropy, backward, the SGD update with lr
/// 1e-3 of every parameter, then the loss) and inference (argmax of the
/// logits), on random images (class 3 every label).
inline std::vector<std::pair<std::string, std::string>> quickstartGraphs() {
  NeuralNetwork model;
  Tensor x = rand({64, 1, 28, 28});
  Tensor y = tensor(std::vector<int64_t>(64, 3), {64});
  Tensor loss = nn::CrossEntropyLoss()(model(x), y);
  loss.backward();
  std::vector<Tensor> outputs;
  {
    NoGradGuard noGrad;
    for (const Tensor &p : model.parameters())
      outputs.push_back(p - p.grad() * 1e-3);
  }
  outputs.push_back(loss);
  std::string step = export_graph(outputs);
  NoGradGuard noGrad;
  std::string inference = export_graph({model(x).argmax(1)});
  return {{"quickstart-train-step", step}, {"quickstart-inference", inference}};
}

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_QUICKSTARTMODEL_H
