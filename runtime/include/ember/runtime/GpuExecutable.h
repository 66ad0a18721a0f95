//===- GpuExecutable.h - Running compiled GPU graphs ------------*- C++ -*-===//
//
// Part of Ember. Loads a GpuPlan's kernels on a device once, then runs the
// plan on argument buffers, on the device's stream, in order.
//
// Each distinct set of argument addresses is captured once as a CUDA graph
// (Device::capture) and replayed after that with one cuGraphLaunch: a
// training step whose buffers come back to the same addresses (the caching
// allocator's free lists make them cycle) costs one launch, not one per
// kernel. The temporaries of graph runs are the executable's own, allocated
// once. Up to kMaxGraphs graphs are kept (least recently used goes); after
// kMaxMisses captures in a row with no replay the executable stops
// capturing and launches its kernels one by one, as it always does with
// EMBER_CUDA_GRAPHS=0.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_GPUEXECUTABLE_H
#define EMBER_RUNTIME_GPUEXECUTABLE_H

#include "ember/runtime/Cuda.h"
#include "ember/runtime/GpuPlan.h"

#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ember::rt::cuda {

class GpuExecutable {
public:
  /// Loads every kernel of `plan` on `device`: each PTX module once, then
  /// each kernel by name from its module, or, on the fake driver's emulated
  /// device, the plan's host code (kernel i is its
  /// symbol hostKernelSymbol(i)). A plan without host code cannot run on the
  /// emulated device, and loading it says so.
  static StatusOr<std::unique_ptr<GpuExecutable>> load(Device &device,
                                                       GpuPlan plan);

  /// Queues the plan on the device's stream. `args` are the device
  /// addresses of the graph's arguments (inputs, then outputs), as many as
  /// the plan's numArgs, each a multiple of kGpuBufferAlignment (an error
  /// otherwise). Does not wait; Device::synchronize() does.
  Status run(std::span<const DevicePtr> args) const;

  const GpuPlan &plan() const { return plan_; }

  /// How the runs so far went.
  struct GraphStats {
    size_t captures = 0; ///< graphs captured (and launched)
    size_t replays = 0;  ///< runs that launched a captured graph
    size_t direct = 0;   ///< runs that launched kernel by kernel
  };
  GraphStats graphStats() const;

  static constexpr size_t kMaxGraphs = 4, kMaxMisses = 8;

private:
  GpuExecutable(Device &device, GpuPlan plan)
      : device_(device), plan_(std::move(plan)) {}
  /// Queues the plan's steps on `address` (arguments filled in); with
  /// `persistent`, temporaries are the executable's own (for a capture),
  /// else they come from the caching allocator and go back to it.
  Status issue(std::vector<DevicePtr> address, bool persistent) const;

  Device &device_;
  GpuPlan plan_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<Function> functions_;
  /// The plan's all-reduce steps and their elements (counted at load).
  uint64_t collectives_ = 0, collectiveElements_ = 0;

  struct CachedGraph {
    std::vector<DevicePtr> args;
    std::unique_ptr<Graph> graph;
    uint64_t lastUse = 0;
  };
  mutable std::mutex graphMutex_;
  mutable std::vector<CachedGraph> graphs_;
  /// The graphs' temporaries, by buffer index (empty for arguments).
  mutable std::vector<DeviceBuffer> temporaries_;
  mutable GraphStats stats_;
  mutable uint64_t clock_ = 0;
  mutable size_t missesInARow_ = 0;
  mutable bool capturing_ = true;
  /// collectiveEpoch() when graphs_ were captured (plans with all-reduces).
  mutable uint64_t collectiveEpoch_ = 0;
};

} // namespace ember::rt::cuda

#endif // EMBER_RUNTIME_GPUEXECUTABLE_H
