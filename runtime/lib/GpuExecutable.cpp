//===- GpuExecutable.cpp - Running compiled GPU graphs --------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/GpuExecutable.h"

#include <cstring>
#include <string>

namespace ember::rt::cuda {

StatusOr<std::unique_ptr<GpuExecutable>> GpuExecutable::load(Device &device,
                                                             GpuPlan plan) {
  std::unique_ptr<GpuExecutable> exe(new GpuExecutable(device, std::move(plan)));
  const GpuPlan &p = exe->plan_;
  if (device.driverKind() == DriverKind::Fake && !p.kernels.empty()) {
    // The emulated device runs the kernels compiled for the host: one
    // shared object holding kernel i as hostKernelSymbol(i).
    if (p.hostCode.empty())
      return Status::error(
          "the plan has no host code for the emulated device (the fake CUDA "
          "driver, EMBER_FAKE_CUDA=1, runs kernels compiled for the host, "
          "not PTX): compile with gpuHostCode");
    StatusOr<std::unique_ptr<Module>> module = device.loadModule(p.hostCode);
    if (!module)
      return Status::error("loading the plan's host code: " +
                           module.status().message());
    for (size_t i = 0; i < p.kernels.size(); ++i) {
      StatusOr<Function> fn =
          (*module)->function(hostKernelSymbol(static_cast<int64_t>(i)));
      if (!fn)
        return Status::error("the host code of kernel '" + p.kernels[i].name +
                             "': " + fn.status().message());
      exe->functions_.push_back(*fn);
    }
    exe->modules_.push_back(std::move(*module));
    return exe;
  }
  // Each PTX module is loaded (JIT-compiled) once; then each kernel is
  // looked up in its module.
  std::vector<Module *> loaded;
  for (size_t i = 0; i < p.modules.size(); ++i) {
    StatusOr<std::unique_ptr<Module>> module = device.loadModule(p.modules[i]);
    if (!module)
      return Status::error("loading PTX module " + std::to_string(i) + ": " +
                           module.status().message());
    loaded.push_back(module->get());
    exe->modules_.push_back(std::move(*module));
  }
  for (const GpuKernel &k : p.kernels) {
    StatusOr<Function> fn = loaded.at(k.module)->function(k.name);
    if (!fn)
      return fn.status();
    exe->functions_.push_back(*fn);
  }
  return exe;
}

Status GpuExecutable::run(std::span<const DevicePtr> args) const {
  if (static_cast<int64_t>(args.size()) != plan_.numArgs)
    return Status::error("GPU graph takes " + std::to_string(plan_.numArgs) +
                         " buffers, got " + std::to_string(args.size()));
  std::vector<DevicePtr> address(plan_.numBuffers(), 0);
  std::vector<DeviceBuffer> owned(address.size());
  for (size_t i = 0; i < args.size(); ++i)
    address[i] = args[i];
  for (const GpuStep &s : plan_.steps) {
    switch (s.kind) {
    case GpuStep::Kind::Alloc: {
      StatusOr<DeviceBuffer> buffer = device_.allocate(s.bytes);
      if (!buffer)
        return buffer.status();
      address[s.buffer] = buffer->address();
      owned[s.buffer] = std::move(*buffer);
      break;
    }
    case GpuStep::Kind::Free:
      // The caching allocator reuses the block; work already queued on the
      // same stream that reads it runs first.
      owned[s.buffer].reset();
      address[s.buffer] = 0;
      break;
    case GpuStep::Kind::Copy:
      if (Status st = device_.copyDeviceToDevice(address[s.buffer],
                                                 address[s.source], s.bytes);
          !st)
        return st;
      break;
    case GpuStep::Kind::Launch: {
      // cuLaunchKernel takes a pointer to each argument's value.
      std::vector<uint64_t> values(s.args.size());
      std::vector<void *> pointers(s.args.size());
      for (size_t i = 0; i < s.args.size(); ++i) {
        const GpuArg &a = s.args[i];
        if (a.kind == GpuArg::Kind::Buffer) {
          values[i] = address[a.value];
        } else if (a.kind == GpuArg::Kind::I64) {
          values[i] = static_cast<uint64_t>(a.value);
        } else {
          uint32_t bits = static_cast<uint32_t>(a.value);
          std::memcpy(&values[i], &bits, sizeof bits);
        }
        pointers[i] = &values[i];
      }
      if (Status st = device_.launch(functions_[s.kernel], s.grid, s.block, 0,
                                     std::move(pointers));
          !st)
        return st;
      break;
    }
    }
  }
  return Status::ok();
}

} // namespace ember::rt::cuda
