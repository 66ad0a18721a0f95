//===- ConcurrencyTest.cpp - Realising and compiling from several threads -===//
//
// Part of Ember. Four threads realise a mix of graphs, some shared between
// threads (same structure, different values) and some their own: every
// result is right, and each distinct graph is compiled exactly once.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace ember;

namespace {

TEST(ConcurrencyTest, FourThreadsSharedAndDistinctGraphs) {
  constexpr int kThreads = 4, kRounds = 6;
  CacheStats before = cache_stats();
  std::atomic<int> failures{0};
  auto worker = [&](int id) {
    for (int round = 0; round < kRounds; ++round) {
      float v = static_cast<float>(id * 100 + round);
      // Shared structure: every thread builds the same graph shape.
      Tensor a = full({5, 37}, v), w = full({3, 37}, 0.5);
      Tensor shared = linear(a, w, full({3}, 1.0)).relu().sum({1});
      // Distinct structure: this thread's own width.
      Tensor own = (full({2, 40 + id}, v) * 2.0).sum();
      std::vector<double> expectShared = ref::evaluate(shared.node());
      std::vector<double> expectOwn = ref::evaluate(own.node());
      realize({shared, own});
      std::vector<float> got = shared.to_vector();
      for (size_t i = 0; i < got.size(); ++i)
        if (std::abs(got[i] - expectShared[i]) > 1e-3 * std::abs(expectShared[i]) + 1e-3)
          ++failures;
      if (std::abs(own.item() - expectOwn[0]) > 1e-3 * std::abs(expectOwn[0]))
        ++failures;
      // The shared structure alone: one graph for all threads and rounds.
      Tensor again = linear(full({5, 37}, v + 1), w, full({3}, 1.0)).relu().sum({1});
      std::vector<double> expectAgain = ref::evaluate(again.node());
      std::vector<float> gotAgain = again.to_vector();
      for (size_t i = 0; i < gotAgain.size(); ++i)
        if (std::abs(gotAgain[i] - expectAgain[i]) > 1e-3 * std::abs(expectAgain[i]) + 1e-3)
          ++failures;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back(worker, i);
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  // One graph per thread (its distinct width, realised together with the
  // shared part) plus the shared graph alone, each compiled exactly once
  // however many threads and rounds asked for it.
  CacheStats after = cache_stats();
  // (Compiled, or loaded from the on-disk cache when it is enabled.)
  EXPECT_EQ(after.compilations + after.loaded - before.compilations -
                before.loaded,
            uint64_t(kThreads + 1));
  EXPECT_EQ(after.hits - before.hits,
            uint64_t(kThreads * (kRounds - 1) + kThreads * kRounds - 1));
}

TEST(ConcurrencyTest, ThreadsTrainTheirOwnModels) {
  auto train = [](int seed, float *lossOut) {
    nn::Sequential model{nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 4)};
    optim::SGD opt(model.parameters(), {.lr = 0.2});
    Tensor x = full({16, 8}, 0.1 * seed);
    std::vector<int64_t> labels(16);
    for (int i = 0; i < 16; ++i)
      labels[i] = (i + seed) % 4;
    Tensor y = tensor(labels, {16});
    float first = 0, last = 0;
    for (int step = 0; step < 20; ++step) {
      Tensor loss = nn::CrossEntropyLoss()(model(x), y);
      loss.backward();
      opt.step();
      opt.zero_grad();
      (step == 0 ? first : last) = loss.item();
    }
    *lossOut = last - first;
  };
  float deltas[4];
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back(train, i + 1, &deltas[i]);
  for (std::thread &t : threads)
    t.join();
  for (float d : deltas)
    EXPECT_LT(d, 0.0f) << "each model's loss goes down";
}

// Inference on one shared model from four threads at once: the weights'
// transposes are cached on the shared parameters, filled by whichever
// thread comes first.
TEST(ConcurrencyTest, ThreadsRunInferenceOnOneModel) {
  manual_seed(21);
  nn::Sequential model{nn::Linear(24, 32), nn::ReLU(), nn::Linear(32, 8)};
  model.eval();
  std::atomic<int> mismatches{0};
  auto infer = [&](int seed) {
    NoGradGuard noGrad;
    for (int round = 0; round < 5; ++round) {
      Tensor x = full({4, 24}, 0.01 * (seed * 7 + round));
      Tensor y = model(x);
      std::vector<double> expected = ref::evaluate(y.node());
      std::vector<float> got = y.to_vector();
      if (ref::compareClose(std::vector<double>(got.begin(), got.end()),
                            expected, y.shape(), 1e-5, 1e-6) != "")
        ++mismatches;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back(infer, i);
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

} // namespace
