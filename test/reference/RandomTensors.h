//===- RandomTensors.h - Tensors of random values for tests -----*- C++ -*-===//
//
// Part of Ember's tests.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_RANDOMTENSORS_H
#define EMBER_TEST_RANDOMTENSORS_H

#include "ember/ember.h"

#include <random>
#include <vector>

namespace ember::test {

/// A float32 tensor of `shape` with values uniform in [lo, hi).
inline Tensor randomTensor(std::mt19937_64 &rng, const Shape &shape,
                           float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(numelOf(shape));
  for (float &x : v)
    x = dist(rng);
  return tensor(v, shape);
}

} // namespace ember::test

#endif // EMBER_TEST_RANDOMTENSORS_H
