//===- Distributed.h - Data-parallel training across processes --*- C++ -*-===//
//
// Part of Ember. torch.distributed and DistributedDataParallel for C++: one
// process per rank, launched by `mpirun`, each training the same model on
// its own share of every batch; the gradients are averaged across ranks
// inside the compiled training step (an `ember.all_reduce` in the step's
// graph, on one flat bucket of gradients), so every rank takes the same
// step. docs/distributed.md has the design, how to run on several machines
// and a model of how it scales.
//
//   ember::distributed::init();                 // MPI, from mpirun's env
//   NeuralNetwork net;
//   ember::distributed::DistributedDataParallel model(net); // rank 0's
//                                               // weights on every rank
//   auto sampler = std::make_shared<ember::data::DistributedSampler>(
//       train.size());                          // this rank's share
//   ember::data::DataLoader loader(train, {.batch_size = 32,
//                                          .sampler = sampler});
//   for (int epoch = 0; ...) {
//     sampler->set_epoch(epoch);
//     for (auto [X, y] : loader) {
//       loss_fn(model(X), y).backward();        // gradients averaged
//       optimizer.step(); optimizer.zero_grad();
//     }
//   }
//
// The job-wide functions (init, barrier, broadcast, DistributedDataParallel)
// are in the library `ember_distributed` (CMake: Ember::distributed), which
// links Open MPI; the rest (rank, world_size, all_reduce and the sampler)
// is in Ember's core library and sees a job of one process until init()
// has run.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DISTRIBUTED_DISTRIBUTED_H
#define EMBER_DISTRIBUTED_DISTRIBUTED_H

#include "ember/frontend/Tensor.h"
#include "ember/nn/Module.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ember::distributed {

//===-- In the core library -----------------------------------------------===//

/// Whether init() has set up a job (of any size; finalized or not).
bool is_initialized();
/// This process's rank in the job, 0 .. world_size() - 1 (0 before init()).
int rank();
/// The number of processes in the job (1 before init()).
int world_size();

enum class ReduceOp { Sum, Avg };

/// The elementwise sum (or mean) of `tensor` over every rank: recorded like
/// any other op (an ember.all_reduce node), computed inside the graph that
/// needs it, and differentiable (the gradient is summed, or averaged, over
/// ranks too). Every rank must compute the same all-reduces in the same
/// order. float32 and float64 on the CPU; an error otherwise.
Tensor all_reduce(const Tensor &tensor, ReduceOp op = ReduceOp::Sum,
                  Tensor::Loc loc = Tensor::Loc::current());
/// The same, in place, as torch.distributed.all_reduce(tensor).
void all_reduce_(Tensor &tensor, ReduceOp op = ReduceOp::Sum,
                 Tensor::Loc loc = Tensor::Loc::current());

//===-- In ember_distributed (MPI) ----------------------------------------===//

struct InitOptions {
  /// The longest any collective may wait for the other ranks before the job
  /// is stopped with an error (a rank that died, or hangs); 0 (or more than
  /// 1e9, or inf) waits for ever. EMBER_DIST_TIMEOUT (seconds) overrides
  /// it.
  double timeout_seconds = 600;
  /// Threads each rank's compiled code uses: 0 divides the machine's cores
  /// between the ranks on it (unless EMBER_NUM_THREADS or OMP_NUM_THREADS
  /// says otherwise).
  int threads_per_rank = 0;
};

/// Joins the job `mpirun` started (MPI_Init; rank and size from it) and
/// makes the compiled graphs' all-reduces go to it. Called once, before any
/// other function here; a process not started by mpirun is a job of one.
void init(InitOptions options = {});
/// Leaves the job (a barrier, then MPI_Finalize), at the end of a
/// successful run, on every rank. A rank that exits without it (an
/// exception, an early return) is taken to have failed: it stops the whole
/// job, naming itself, so that the others do not wait for it (a job of one
/// is finalized at exit). rank() and world_size() keep their values after
/// it; a collective after it ends the process with an error.
void finalize();
/// This process's rank among those on its machine, and their number.
int local_rank();
int local_world_size();
/// Returns once every rank has called it (same timeout as the
/// collectives).
void barrier();
/// Replaces `tensor`'s value on every rank by `root`'s (realising it).
void broadcast(Tensor &tensor, int root = 0,
               Tensor::Loc loc = Tensor::Loc::current());
/// Stops the whole job: prints "rank R: <why>" and ends every process
/// (MPI_Abort). For an error one rank cannot recover from, so that the
/// others do not wait for it until their timeout.
[[noreturn]] void abort(const std::string &why, int exit_code = 1);

struct DDPOptions {
  /// Gradients are summed in buckets of at most this size (PyTorch's
  /// bucket_cap_mb), last parameters first, as PyTorch's DDP does; the
  /// Quickstart's 2.7 MB of gradients fit one.
  double bucket_cap_mb = 25;
  /// Broadcast the wrapped module's buffers (batch norm's running
  /// statistics) from rank 0 with the parameters at construction.
  bool broadcast_buffers = true;
};

/// Wraps a module for data-parallel training: at construction every rank
/// takes rank 0's parameters (and buffers); from then on, every backward()
/// that reaches the module's parameters averages their gradients over the
/// ranks (inside the step's graph, no host loop), so each rank's optimizer
/// takes the same step. The module's state_dict is the wrapped module's
/// under "module." (as PyTorch's); save `ddp.module()`'s. With one rank it
/// changes nothing.
class DistributedDataParallel : public nn::Module {
public:
  explicit DistributedDataParallel(nn::Module &module, DDPOptions options = {},
                                   Tensor::Loc loc = Tensor::Loc::current());
  ~DistributedDataParallel() override;
  DistributedDataParallel(DistributedDataParallel &&) = delete;

  Tensor forward(const Tensor &input) override {
    return module_.forward(input);
  }
  std::string name() const override { return "DistributedDataParallel"; }
  nn::Module &module() { return module_; }
  const DDPOptions &options() const { return options_; }

  /// The buckets of the last backward(): each a list of parameter indices
  /// (into module().parameters()), in the order their sums are taken.
  const std::vector<std::vector<size_t>> &buckets() const { return buckets_; }

private:
  nn::Module &module_;
  DDPOptions options_;
  std::vector<std::vector<size_t>> buckets_;
  uint64_t hook_ = 0;
};

} // namespace ember::distributed

#endif // EMBER_DISTRIBUTED_DISTRIBUTED_H
