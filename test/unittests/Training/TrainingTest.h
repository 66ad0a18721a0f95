//===- TrainingTest.h - What the training API's tests share -----*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_TRAININGTEST_H
#define EMBER_TEST_TRAININGTEST_H

#include "ember/ember.h"
#include "ember/runtime/Cuda.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

namespace ember::test {

/// The JSON file at `path` (a fixture PyTorch wrote).
inline nlohmann::json loadJson(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

/// What f() throws as ember::Error, or "no error".
inline std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "no error";
}

/// A test run once on the CPU ("cpu") and once on CUDA device 0 ("cuda",
/// skipped with the reason where there is none; EMBER_FAKE_CUDA=1 gives the
/// emulated one). Instantiate as Cpu/... and Cuda/....
class OnEachDevice : public ::testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    device_ = std::string(GetParam()) == "cpu" ? Device::cpu() : Device::cuda();
    if (device_.is_cuda() && !cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU: " << rt::cuda::unavailableReason();
  }
  Device device_ = Device::cpu();
};

} // namespace ember::test

#define EMBER_ON_EACH_DEVICE(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Cpu, Suite, ::testing::Values("cpu"));              \
  INSTANTIATE_TEST_SUITE_P(Cuda, Suite, ::testing::Values("cuda"))

#endif // EMBER_TEST_TRAININGTEST_H
