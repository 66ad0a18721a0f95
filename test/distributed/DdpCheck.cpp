//===- DdpCheck.cpp - Data parallelism checked against one process --------===//
//
// Part of Ember. Run under mpirun (test/scripts/check-distributed.py): every
// rank trains a model wrapped in DistributedDataParallel on its share of a
// batch of 64 for a few steps, and next to it the same model without DDP on
// the whole batch, in the same process. Checked:
//   - the ranks start from rank 0's weights (rank 1 initialises its own
//     differently), and end with parameters identical bit for bit;
//   - those parameters are one process's on the whole batch, to 1e-5
//     relative (SGD with momentum and weight decay; one bucket, then a
//     bucket per parameter);
//   - the same when rank 0 alone reads a gradient before the step (the
//     bucket's all-reduce runs once however many graphs read it);
//   - DistributedSampler gives disjoint, equal shares; all_reduce, barrier,
//     broadcast.
// With --die-at-step K, --hang-at-step K or --fail-at-step K, rank 1 is
// killed (SIGKILL), stops answering or throws at step K: the job must stop
// with an error naming a rank, not hang.
// With --nccl, on the emulated device (EMBER_FAKE_CUDA=1): all-reduces of
// tensors on cuda:0 go through ember::distributed's NCCL path (a
// communicator per device, the id broadcast over MPI) to the fake NCCL,
// whose log is checked; the fake's jobs are of one rank, so with more the
// job must stop, naming NCCL's error.
//
//===----------------------------------------------------------------------===//

#include <ember/distributed/Distributed.h>
#include <ember/ember.h>
#include <ember/runtime/Cuda.h>
#include <ember/runtime/Nccl.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <thread>

using namespace ember;

namespace {

struct Net : nn::Module {
  nn::Sequential layers{nn::Linear(20, 24), nn::ReLU(), nn::Linear(24, 16),
                        nn::ReLU(), nn::Linear(16, 5)};
  Net() { register_modules({{"layers", layers}}); }
  Tensor forward(const Tensor &x) override { return layers(x); }
};

[[noreturn]] void failCheck(const std::string &what) {
  distributed::abort("ddp-check: " + what);
}

/// The largest |a - b| over the largest |b| of each tensor, over all.
double relativeDifference(const std::vector<Tensor> &a,
                          const std::vector<Tensor> &b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<float> x = a[i].to_vector<float>(), y = b[i].to_vector<float>();
    double diff = 0, scale = 0;
    for (size_t k = 0; k < x.size(); ++k) {
      diff = std::max(diff, std::fabs(double(x[k]) - double(y[k])));
      scale = std::max(scale, std::fabs(double(y[k])));
    }
    worst = std::max(worst, diff / std::max(scale, 1e-12));
  }
  return worst;
}

/// Whether every rank's `params` are rank 0's, bit for bit.
bool identicalOnEveryRank(const std::vector<Tensor> &params) {
  double mismatches = 0;
  for (const Tensor &p : params) {
    Tensor theirs = p.detach().clone();
    distributed::broadcast(theirs, 0);
    std::vector<float> a = p.to_vector<float>(), b = theirs.to_vector<float>();
    if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)
      ++mismatches;
  }
  Tensor total = distributed::all_reduce(
      tensor(std::vector<double>{mismatches}, {1}, DType::Float64));
  return total.to_vector<double>()[0] == 0;
}

/// Trains DDP(model) on this rank's share and `reference` on the whole
/// batch for `steps` steps; returns the relative difference at the end.
double trainBoth(double bucketCapMb, int steps, int dieAt, int hangAt,
                 int failAt, size_t *buckets) {
  int rank = distributed::rank(), world = distributed::world_size();
  // Different weights on every rank: DDP must take rank 0's.
  manual_seed(1000 + static_cast<uint64_t>(rank));
  Net net;
  distributed::DistributedDataParallel ddp(net, {.bucket_cap_mb = bucketCapMb});
  Net reference;
  reference.load_state_dict(net.state_dict());
  if (!identicalOnEveryRank(net.parameters()))
    failCheck("the ranks did not start from rank 0's parameters");

  optim::SGDOptions options{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3};
  optim::SGD optimizer(ddp.parameters(), options);
  optim::SGD referenceOptimizer(reference.parameters(), options);
  nn::CrossEntropyLoss lossFn;
  const int64_t batch = 64, share = batch / world;
  for (int step = 0; step < steps; ++step) {
    if (rank == 1 && step == dieAt)
      std::raise(SIGKILL);
    if (rank == 1 && step == hangAt)
      std::this_thread::sleep_for(std::chrono::hours(1));
    if (rank == 1 && step == failAt)
      throw Error("an error on rank 1 at step " + std::to_string(step));
    // The same batch on every rank (a seed per step); each takes its rows.
    manual_seed(77 + static_cast<uint64_t>(step));
    Tensor X = randn({batch, 20});
    Tensor y = (rand({batch}) * 5.0).to(DType::Int64);
    Tensor loss = lossFn(ddp(X.narrow(0, rank * share, share)),
                         y.narrow(0, rank * share, share));
    loss.backward();
    // Rank 0 alone reads a gradient before the step (logging its norm, as
    // users do): the bucket's all-reduce must still run once on every rank.
    if (rank == 0 && step % 2 == 0)
      (void)net.parameters()[0].grad().square().sum().item();
    optimizer.step();
    optimizer.zero_grad();
    Tensor referenceLoss = lossFn(reference(X), y);
    referenceLoss.backward();
    referenceOptimizer.step();
    referenceOptimizer.zero_grad();
  }
  *buckets = ddp.buckets().size();
  if (!identicalOnEveryRank(net.parameters()))
    failCheck("the ranks' parameters differ after training");
  return relativeDifference(net.parameters(), reference.parameters());
}

void checkSampler() {
  int world = distributed::world_size();
  for (int64_t n : {10, 11, 64}) {
    data::DistributedSampler sampler(n, {.seed = 5});
    sampler.set_epoch(3);
    std::vector<int64_t> mine = sampler.epoch();
    if (static_cast<int64_t>(mine.size()) != (n + world - 1) / world)
      failCheck("DistributedSampler: a share of the wrong size");
    // Each index's count over the ranks: 1 (2 for the padding).
    std::vector<double> mark(static_cast<size_t>(n), 0);
    for (int64_t i : mine)
      mark[static_cast<size_t>(i)] += 1;
    std::vector<double> total =
        distributed::all_reduce(tensor(mark, {n}, DType::Float64))
            .to_vector<double>();
    double sum = 0;
    for (double c : total) {
      if (c < 1)
        failCheck("DistributedSampler: an index no rank took");
      sum += c;
    }
    if (sum != static_cast<double>(mine.size() * world))
      failCheck("DistributedSampler: shares do not add up");
  }
}

/// --nccl: all-reduces on the emulated device, through NCCL.
void checkNccl() {
  if (rt::cuda::defaultDriverKind() != rt::cuda::DriverKind::Fake)
    failCheck("--nccl checks the fake NCCL's log: set EMBER_FAKE_CUDA=1");
  rt::nccl::fake::clearCalls();
  manual_seed(3);
  Tensor x = rand({5, 7}).to(Device::cuda());
  // A computed value (summed in place) and a leaf (summed in a copy).
  Tensor y = distributed::all_reduce(x * 2.0) + 1.0;
  Tensor z = distributed::all_reduce(x, distributed::ReduceOp::Avg);
  std::vector<float> xs = x.to_vector(), ys = y.to_vector(), zs = z.to_vector();
  int world = distributed::world_size();
  for (size_t i = 0; i < xs.size(); ++i)
    if (std::abs(ys[i] - (2 * world * xs[i] + 1)) > 1e-5f ||
        std::abs(zs[i] - xs[i]) > 1e-6f)
      failCheck("an all-reduce on the device is not the sum over ranks");
  std::vector<rt::nccl::fake::Call> calls = rt::nccl::fake::calls();
  if (calls.size() != 2)
    failCheck("expected 2 ncclAllReduce calls, the fake NCCL saw " +
              std::to_string(calls.size()));
  for (const rt::nccl::fake::Call &c : calls)
    if (c.count != 35 || c.dataType != 7 || c.reduction != 0 ||
        c.send != c.recv || !c.stream || c.worldSize != world)
      failCheck("an ncclAllReduce call is not an in-place float32 sum of "
                "35 elements on the device's stream");
  std::printf("ddp-check --nccl: %d rank(s): 2 all-reduces on cuda:0 through "
              "NCCL, in place: OK\n",
              world);
}

int parseStep(int argc, char **argv, const char *flag) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0)
      return std::stoi(argv[i + 1]);
  return -1;
}

} // namespace

int main(int argc, char **argv) {
  int dieAt = parseStep(argc, argv, "--die-at-step");
  int hangAt = parseStep(argc, argv, "--hang-at-step");
  int failAt = parseStep(argc, argv, "--fail-at-step");
  bool nccl = argc > 1 && std::strcmp(argv[1], "--nccl") == 0;
  try {
    distributed::init();
    if (nccl) {
      checkNccl();
      distributed::finalize();
      return 0;
    }
    int world = distributed::world_size();
    if (64 % world != 0)
      failCheck("the batch of 64 must divide between the ranks");
    checkSampler();
    distributed::barrier();
    size_t oneBucket = 0, manyBuckets = 0;
    double a = trainBoth(25, 6, dieAt, hangAt, failAt, &oneBucket);
    double b = trainBoth(1e-6, 6, -1, -1, -1, &manyBuckets);
    bool ok = a <= 1e-5 && b <= 1e-5 && (world == 1 || manyBuckets == 6) &&
              (world == 1 || oneBucket == 1);
    if (distributed::rank() == 0)
      std::printf("ddp-check: %d ranks x batch %d against 1 process x batch "
                  "64, 6 SGD steps: max relative difference %.3g (1 bucket), "
                  "%.3g (%zu buckets); parameters identical on every rank: "
                  "%s\n",
                  world, 64 / world, a, b, manyBuckets, ok ? "OK" : "FAILED");
    if (!ok)
      failCheck("the parameters differ from one process's, or the buckets "
                "are not as asked");
    distributed::finalize();
    return 0;
  } catch (const Error &e) {
    distributed::abort(std::string("ddp-check: ") + e.what());
  }
}
