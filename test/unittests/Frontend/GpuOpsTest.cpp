//===- GpuOpsTest.cpp - Every op on a CUDA GPU against the reference ------===//
//
// Part of Ember. The op table (test/reference/OpTable.h) on cuda:0, each
// case against the plain C++ reference evaluator, and training steps
// against the same steps on the CPU. On a GPU the graphs are compiled to
// PTX and run through the CUDA driver; with EMBER_FAKE_CUDA=1 the emulated
// device runs the same kernels compiled for the host. Skipped, with the
// reason, where there is no usable GPU.
//
//===----------------------------------------------------------------------===//

#include "OpTableTest.h"
#include "QuickstartModel.h"
#include "Reference.h"
#include "ember/ember.h"
#include "ember/runtime/Cuda.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

using namespace ember;

namespace {

class GpuOpsTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU: " << rt::cuda::unavailableReason();
  }
};

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

// The Quickstart (examples/quickstart.cpp) for its first steps on the real
// data: the same seeded model, shuffled batches and SGD on each device, the
// losses within 1e-3 relative; the time of a step is printed. A whole epoch
// (938 steps, about 1.5 minutes on 2 cores) is example.quickstart-epoch.
TEST_F(GpuOpsTest, QuickstartStepsMatchTheCpu) {
  constexpr int kSteps = 20;
  data::FashionMNIST trainingData("/usr/share/datasets/fashion-mnist",
                                  {.train = true, .transform = transforms::ToTensor()});
  auto train = [&](const Device &device) {
    data::DataLoader loader(trainingData,
                            {.batch_size = 64, .shuffle = true, .seed = 11});
    manual_seed(7);
    test::NeuralNetwork model;
    model.to(device);
    nn::CrossEntropyLoss lossFn;
    optim::SGD optimizer(model.parameters(), {.lr = 1e-3});
    std::vector<double> losses;
    auto start = std::chrono::steady_clock::now();
    for (auto [x, y] : loader) {
      if (losses.size() == 1) // the first step compiles
        start = std::chrono::steady_clock::now();
      Tensor loss = lossFn(model(x.to(device)), y.to(device));
      loss.backward();
      optimizer.step();
      optimizer.zero_grad();
      losses.push_back(loss.item());
      if (losses.size() == kSteps)
        break;
    }
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    std::cout << "[ " << device.str() << " ] " << seconds.count() / (kSteps - 1)
              << " s per Quickstart step\n";
    return losses;
  };
  std::vector<double> cpu = train(Device::cpu());
  CacheStats before = cache_stats();
  std::vector<double> gpu = train(Device::cuda());
  EXPECT_EQ(ref::compareClose(gpu, cpu, {kSteps}, 1e-3, 0), "");
  // Buffers come back to the same addresses (the caching allocator), so
  // most steps replay a captured CUDA graph rather than launch kernels.
  CacheStats after = cache_stats();
  uint64_t replays = after.gpuGraphReplays - before.gpuGraphReplays;
  uint64_t captures = after.gpuGraphCaptures - before.gpuGraphCaptures;
  std::cout << "[ cuda ] " << captures << " CUDA graphs captured, " << replays
            << " replayed, "
            << after.gpuDirectRuns - before.gpuDirectRuns
            << " runs kernel by kernel\n";
  EXPECT_GT(replays, captures);
}

} // namespace

namespace ember::test {
INSTANTIATE_TEST_SUITE_P(Cuda, OpTableTest,
                         ::testing::ValuesIn(opTableOn(Backend::Cuda)),
                         opTableTestName);
} // namespace ember::test
