//===- distributed.cpp - What data parallelism costs, measured ------------===//
//
// Part of Ember. Under `mpirun -np N` (bench/run-distributed.sh):
//   1. all-reduce time against message size: the collective backend alone
//      (MPI on this machine's shared memory) and through a compiled graph
//      (ember.all_reduce, what training steps run);
//   2. the Quickstart MLP's training step per rank, at several per-rank
//      batch sizes: with DistributedDataParallel (compute plus the bucket's
//      all-reduce) and the same model without it (compute alone).
// Prints one JSON object per measurement (rank 0), which
// bench/distributed_model.py fits and extrapolates (docs/distributed.md).
//
//===----------------------------------------------------------------------===//

#include <ember/distributed/Distributed.h>
#include <ember/ember.h>
#include <ember/runtime/Collectives.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace ember;
using Clock = std::chrono::steady_clock;

namespace {

struct Mlp : nn::Module {
  nn::Flatten flatten;
  nn::Sequential stack{nn::Linear(28 * 28, 512), nn::ReLU(),
                       nn::Linear(512, 512), nn::ReLU(), nn::Linear(512, 10)};
  Mlp() { register_modules({{"flatten", flatten}, {"stack", stack}}); }
  Tensor forward(const Tensor &x) override { return stack(flatten(x)); }
};

/// The median of `reps` timings of fn(), in milliseconds, after a warm-up.
template <class Fn> double medianMs(int reps, Fn &&fn) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    distributed::barrier();
    auto start = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

/// Seconds per step of `steps` training steps of `model` at `batch`.
double stepMs(nn::Module &trained, int64_t batch, int steps) {
  optim::SGD optimizer(trained.parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss lossFn;
  Tensor X = rand({batch, 1, 28, 28});
  Tensor y = (rand({batch}) * 10.0).to(DType::Int64);
  auto step = [&] {
    Tensor loss = lossFn(trained(X), y);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    loss.item();
  };
  for (int i = 0; i < 3; ++i) // compile, warm up
    step();
  distributed::barrier();
  auto start = Clock::now();
  for (int i = 0; i < steps; ++i)
    step();
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
             .count() /
         steps;
}

} // namespace

int main() {
  distributed::init();
  int rank = distributed::rank(), world = distributed::world_size();
  bool print = rank == 0;
  if (print)
    std::printf("{\"what\": \"machine\", \"cpu\": \"%s\", \"ranks\": %d, "
                "\"ranks_here\": %d, \"threads_per_rank\": %d}\n",
                cpuModel().c_str(), world, distributed::local_world_size(),
                get_num_threads());

  // 1. All-reduce against size.
  rt::CollectiveBackend *backend = rt::collectiveBackend();
  for (int64_t n : {1LL << 10, 1LL << 13, 1LL << 16, 1LL << 18, 669706LL,
                    1LL << 21, 1LL << 23}) {
    std::vector<float> buffer(static_cast<size_t>(n), 1.0f);
    int reps = n > (1 << 20) ? 20 : 100;
    double raw = medianMs(
        reps, [&] { backend->allReduceSum(buffer.data(), n, DType::Float32); });
    Tensor x = ones({n});
    double graph =
        medianMs(reps, [&] { distributed::all_reduce(x * 1.0).realize(); });
    double alone = medianMs(reps, [&] { (x * 1.0).realize(); });
    if (print)
      std::printf("{\"what\": \"all_reduce\", \"bytes\": %lld, \"ms\": %.4f, "
                  "\"graph_ms\": %.4f, \"graph_without_ms\": %.4f}\n",
                  static_cast<long long>(n * 4), raw, graph, alone);
  }

  // 2. The Quickstart step per rank, with and without DDP.
  for (int64_t batch : {8, 16, 32, 64, 128}) {
    manual_seed(1);
    Mlp net;
    distributed::DistributedDataParallel ddp(net);
    double with = stepMs(ddp, batch, 100);
    Mlp alone;
    double without = stepMs(alone, batch, 100);
    if (print)
      std::printf("{\"what\": \"step\", \"batch_per_rank\": %lld, "
                  "\"ddp_ms\": %.4f, \"compute_ms\": %.4f}\n",
                  static_cast<long long>(batch), with, without);
  }
  distributed::finalize();
  return 0;
}
