//===- tutorial.h - What optimization.cpp and save_load.cpp share ---------===//
//
// Part of Ember. The C++ side of common.py: fixed data and initial weights
// (the same numbers), and one epoch of training.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_EXAMPLES_TUTORIALS_TUTORIAL_H
#define EMBER_EXAMPLES_TUTORIALS_TUTORIAL_H

#include <ember/ember.h>

#include <cmath>

namespace tutorial {

using namespace ember;

/// 32 samples of 8 features.
inline Tensor features() {
  std::vector<float> x;
  for (int i = 0; i < 32; ++i)
    for (int j = 0; j < 8; ++j)
      x.push_back(static_cast<float>(std::cos(0.11 * i + 0.07 * j)));
  return tensor(x, {32, 8});
}

/// Three classes by the first feature.
inline Tensor labels() {
  std::vector<int64_t> y;
  for (int i = 0; i < 32; ++i) {
    float x0 = static_cast<float>(std::cos(0.11 * i));
    y.push_back(x0 > 0.5f ? 0 : x0 > -0.5f ? 1 : 2);
  }
  return tensor(y, {32});
}

/// Linear(8, 16), ReLU, Linear(16, 3) with weights 0.3 sin(0.37 k + offset),
/// k counting through the parameters in order.
inline nn::Sequential makeModel(double offset = 0.1) {
  nn::Sequential model{nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 3)};
  NoGradGuard noGrad;
  int64_t k = 0;
  for (auto &[name, p] : model.named_parameters()) {
    std::vector<float> values;
    for (int64_t i = 0; i < p.numel(); ++i)
      values.push_back(
          static_cast<float>(0.3 * std::sin(0.37 * (k + i) + offset)));
    p.copy_(tensor(values, p.shape())); // an in-place write, as p.copy_()
    k += p.numel();
  }
  return model;
}

/// One epoch of four batches of 8; the mean loss.
template <class Optimizer>
double trainEpoch(nn::Sequential &model, nn::CrossEntropyLoss &lossFn,
                  Optimizer &optimizer, const Tensor &X, const Tensor &Y) {
  using namespace ember::indexing;
  double total = 0;
  for (int64_t b = 0; b < 4; ++b) {
    Tensor xb = X.index({Slice(8 * b, 8 * b + 8)});
    Tensor yb = Y.index({Slice(8 * b, 8 * b + 8)});
    Tensor loss = lossFn(model(xb), yb);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    total += loss.item<double>();
  }
  return total / 4;
}

} // namespace tutorial

#endif // EMBER_EXAMPLES_TUTORIALS_TUTORIAL_H
