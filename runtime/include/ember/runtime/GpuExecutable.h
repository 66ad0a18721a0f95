//===- GpuExecutable.h - Running compiled GPU graphs ------------*- C++ -*-===//
//
// Part of Ember. Loads a GpuPlan's kernels on a device once, then runs the
// plan on argument buffers: temporaries come from the device's caching
// allocator, kernels are launched on the device's stream, in order.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_GPUEXECUTABLE_H
#define EMBER_RUNTIME_GPUEXECUTABLE_H

#include "ember/runtime/Cuda.h"
#include "ember/runtime/GpuPlan.h"

#include <memory>
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
  /// the plan's numArgs. Does not wait; Device::synchronize() does.
  Status run(std::span<const DevicePtr> args) const;

  const GpuPlan &plan() const { return plan_; }

private:
  GpuExecutable(Device &device, GpuPlan plan)
      : device_(device), plan_(std::move(plan)) {}
  Device &device_;
  GpuPlan plan_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<Function> functions_;
};

} // namespace ember::rt::cuda

#endif // EMBER_RUNTIME_GPUEXECUTABLE_H
