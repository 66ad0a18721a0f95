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

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_QUICKSTARTMODEL_H
