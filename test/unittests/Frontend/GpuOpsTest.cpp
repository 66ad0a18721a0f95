//===- GpuOpsTest.cpp - Every op on a CUDA GPU against the reference ------===//
//
// Part of Ember. Each case records the same computation twice: on host
// tensors, evaluated by the plain C++ reference evaluator, and on copies of
// them on cuda:0, compiled to PTX and run through the CUDA driver. Skipped,
// with the reason, where there is no usable GPU (as in CI).
//
//===----------------------------------------------------------------------===//

#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"
#include "ember/runtime/Cuda.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <random>

using namespace ember;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor> &)>;

class GpuOpsTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU: " << rt::cuda::unavailableReason();
    rng = test::testGenerator();
  }

  Tensor randomTensor(const Shape &shape, double lo = -2, double hi = 2) {
    std::uniform_real_distribution<double> dist(lo, hi);
    std::vector<float> v(numelOf(shape));
    for (float &x : v)
      x = static_cast<float>(dist(rng));
    return tensor(v, shape);
  }

  /// f on the host inputs (reference) and on their cuda:0 copies (compiled).
  void expectMatches(const Fn &f, const std::vector<Tensor> &hostInputs,
                     double rtol = 1e-4, double atol = 1e-5) {
    SCOPED_TRACE(test::seedTrace());
    Tensor expectedT = f(hostInputs);
    std::vector<double> expected = ref::evaluate(expectedT.node());
    std::vector<Tensor> deviceInputs;
    for (const Tensor &t : hostInputs)
      deviceInputs.push_back(t.cuda());
    Tensor actualT = f(deviceInputs);
    ASSERT_EQ(actualT.device(), Device::cuda());
    std::vector<double> actual = actualT.to_vector<double>();
    EXPECT_EQ(ref::compareClose(actual, expected, actualT.shape(), rtol, atol),
              "");
  }

  std::mt19937_64 rng;
};

TEST_F(GpuOpsTest, Elementwise) {
  Tensor a = randomTensor({5, 7}), b = randomTensor({5, 7}, 0.5, 2);
  expectMatches([](auto &in) { return in[0] + in[1]; }, {a, b});
  expectMatches([](auto &in) { return in[0] - in[1] * 2.0; }, {a, b});
  expectMatches([](auto &in) { return in[0] / in[1]; }, {a, b});
  expectMatches([](auto &in) { return (-in[0]).relu(); }, {a});
  expectMatches([](auto &in) { return in[0].exp() + in[1].log() + in[1].sqrt(); }, {a, b});
}

TEST_F(GpuOpsTest, ContractionsAndReductions) {
  Tensor x = randomTensor({16, 40}), w = randomTensor({24, 40}), b = randomTensor({24});
  expectMatches([](auto &in) { return linear(in[0], in[1], in[2]).relu(); }, {x, w, b});
  expectMatches([](auto &in) { return in[0].matmul(in[1].t()); }, {x, w});
  expectMatches([](auto &in) { return in[0].sum({1}); }, {x});
  expectMatches([](auto &in) { return in[0].sum(); }, {x});
  expectMatches([](auto &in) { return in[0].amax({0}, true); }, {x});
  expectMatches([](auto &in) { return in[0].log_softmax(1); }, {x});
}

TEST_F(GpuOpsTest, DataMovementComparisonsAndCasts) {
  Tensor a = randomTensor({3, 4, 5}), v = randomTensor({5});
  expectMatches([](auto &in) { return in[0].permute({2, 0, 1}) * 1.0; }, {a});
  expectMatches([](auto &in) { return in[0].reshape({12, 5}) + in[1]; }, {a, v});
  expectMatches([](auto &in) { return in[0].gt(in[1]).to(DType::Float32); }, {a, v});
  expectMatches([](auto &in) { return in[0].argmax(2); }, {a});
}

TEST_F(GpuOpsTest, TrainingStepMatchesTheCpu) {
  // The same seeded model trained for a few steps on each device.
  auto train = [](const Device &device) {
    manual_seed(4);
    nn::Sequential model{nn::Linear(20, 32), nn::ReLU(), nn::Linear(32, 5)};
    model.to(device);
    optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
    manual_seed(5);
    Tensor x = rand({8, 20}).to(device);
    Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2}, {8}).to(device);
    float loss = 0;
    for (int i = 0; i < 5; ++i) {
      Tensor l = nn::CrossEntropyLoss()(model(x), y);
      l.backward();
      opt.step();
      opt.zero_grad();
      loss = l.item();
    }
    return std::make_pair(loss, model.parameters()[0].to_vector());
  };
  auto [cpuLoss, cpuW] = train(Device::cpu());
  auto [gpuLoss, gpuW] = train(Device::cuda());
  EXPECT_NEAR(gpuLoss, cpuLoss, 1e-4 * std::abs(cpuLoss));
  std::vector<double> a(gpuW.begin(), gpuW.end()), e(cpuW.begin(), cpuW.end());
  EXPECT_EQ(ref::compareClose(a, e, {32, 20}, 1e-4, 1e-5), "");
}

} // namespace
