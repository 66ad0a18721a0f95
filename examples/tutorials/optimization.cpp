//===- optimization.cpp - Learn the Basics: Optimizing Model Parameters ---===//
//
// Part of Ember. PyTorch's Optimization chapter on fixed data and weights
// (tutorial.h), with momentum and a learning-rate schedule, line by line
// with optimization.py; the test tutorial.optimization compares what it
// prints with what optimization.py printed (expected/optimization.txt).
//
//===----------------------------------------------------------------------===//

#include "tutorial.h"

#include <cstdio>
#include <iostream>

using namespace ember;

int main() {
  Tensor X = tutorial::features(), Y = tutorial::labels();
  nn::Sequential model = tutorial::makeModel();
  std::cout << model << "\n";
  nn::CrossEntropyLoss lossFn;
  optim::SGD optimizer(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::StepLR scheduler(optimizer, /*step_size=*/2, /*gamma=*/0.5);
  for (int epoch = 0; epoch < 6; ++epoch) {
    double loss = tutorial::trainEpoch(model, lossFn, optimizer, X, Y);
    std::printf("epoch %d: loss %.6f, lr %.6f\n", epoch, loss,
                scheduler.get_last_lr()[0]);
    scheduler.step();
  }

  model.eval();
  NoGradGuard noGrad;
  Tensor pred = model(X).argmax(1);
  std::printf("accuracy %.4f\n",
              pred.eq(Y).to(DType::Float32).mean().item<double>());
  for (auto &[name, p] : model.named_parameters())
    if (name == "2.bias")
      std::cout << p.detach() << "\n";
  return 0;
}
