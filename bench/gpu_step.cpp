//===- gpu_step.cpp - The Quickstart's step and inference on a GPU --------===//
//
// Part of Ember. Times, on cuda:0, the Quickstart MLP's training step
// (forward, backward, SGD) and inference, on random inputs of the real
// shapes, at the batch sizes given on the command line (default 64 4096).
// Prints one line per measurement: `ember <what> batch=<B> ms=<median>`
// (train_step, inference, and host_per_train_step: the host's share), then
// the compile cache's and CUDA graphs' counters. With --tf32 first, the
// products run on tensor cores in TF32 (ember::cuda::set_allow_tf32) and
// the lines start with `ember-tf32`.
// Run by scripts/gpu-check next to bench/gpu_torch.py.
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>
#include "ember/runtime/Cuda.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace ember;

namespace {

struct NeuralNetwork : nn::Module {
  nn::Flatten flatten;
  nn::Sequential stack{nn::Linear(28 * 28, 512), nn::ReLU(), nn::Linear(512, 512),
                       nn::ReLU(), nn::Linear(512, 10)};
  NeuralNetwork() { register_modules({{"flatten", flatten}, {"linear_relu_stack", stack}}); }
  Tensor forward(const Tensor &x) override { return stack(flatten(x)); }
};

/// Milliseconds per call of `f`: the median over `repeats` rounds of
/// `iterations` calls, after a warm-up. `total` waits for the device at the
/// end of each round; `host` is the time the calls themselves took (the
/// launches are asynchronous, so this is the host's cost of a step:
/// recording the graph, hashing it, the cache lookup, queueing).
struct Timing {
  double total = 0, host = 0;
};
template <typename F> Timing medianMs(F f, int iterations = 50, int repeats = 5) {
  rt::cuda::Device *device = *rt::cuda::Device::get(0);
  for (int i = 0; i < 5; ++i)
    f();
  (void)device->synchronize();
  std::vector<double> rounds, hostRounds;
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i)
      f();
    auto issued = Clock::now();
    (void)device->synchronize();
    rounds.push_back(ms(Clock::now() - start) / iterations);
    hostRounds.push_back(ms(issued - start) / iterations);
  }
  std::sort(rounds.begin(), rounds.end());
  std::sort(hostRounds.begin(), hostRounds.end());
  return {rounds[rounds.size() / 2], hostRounds[hostRounds.size() / 2]};
}

} // namespace

int main(int argc, char **argv) {
  if (!cuda::is_available()) {
    std::printf("ember gpu_step: skipped: %s\n",
                rt::cuda::unavailableReason().c_str());
    return 0;
  }
  std::vector<int64_t> batches;
  const char *who = "ember";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--tf32") {
      cuda::set_allow_tf32(true);
      who = "ember-tf32";
      continue;
    }
    batches.push_back(std::atoll(argv[i]));
  }
  if (batches.empty())
    batches = {64, 4096};
  for (int64_t batch : batches) {
    NeuralNetwork model;
    model.to(Device::cuda());
    optim::SGD opt(model.parameters(), {.lr = 1e-3});
    nn::CrossEntropyLoss lossFn;
    Tensor x = rand({batch, 1, 28, 28}).cuda();
    std::vector<int64_t> labels(batch);
    for (int64_t i = 0; i < batch; ++i)
      labels[i] = i % 10;
    Tensor y = tensor(labels, {batch}).cuda();
    Timing step = medianMs([&] {
      Tensor loss = lossFn(model(x), y);
      loss.backward();
      opt.step();
      opt.zero_grad();
    });
    Timing infer = medianMs([&] {
      NoGradGuard noGrad;
      model(x).realize();
    });
    std::printf("%s train_step batch=%lld ms=%.4f\n", who, (long long)batch,
                step.total);
    std::printf("%s inference batch=%lld ms=%.4f\n", who, (long long)batch,
                infer.total);
    std::printf("%s host_per_train_step batch=%lld ms=%.4f\n", who,
                (long long)batch, step.host);
  }
  CacheStats stats = cache_stats();
  std::printf("%s compiled_graphs=%llu cuda_graph_captures=%llu "
              "cuda_graph_replays=%llu kernel_by_kernel_runs=%llu\n",
              who, (unsigned long long)stats.compilations,
              (unsigned long long)stats.gpuGraphCaptures,
              (unsigned long long)stats.gpuGraphReplays,
              (unsigned long long)stats.gpuDirectRuns);
  return 0;
}
