//===- GpuExecutable.cpp - Running compiled GPU graphs --------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/GpuExecutable.h"
#include "ember/runtime/Collectives.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ember::rt::cuda {

StatusOr<std::unique_ptr<GpuExecutable>> GpuExecutable::load(Device &device,
                                                             GpuPlan plan) {
  std::unique_ptr<GpuExecutable> exe(new GpuExecutable(device, std::move(plan)));
  for (const GpuStep &s : exe->plan_.steps)
    if (s.kind == GpuStep::Kind::AllReduce) {
      ++exe->collectives_;
      exe->collectiveElements_ += static_cast<uint64_t>(s.count);
    }
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

namespace {

/// False when EMBER_CUDA_GRAPHS is "0": every run launches kernel by kernel.
bool graphsEnabled() {
  const char *env = std::getenv("EMBER_CUDA_GRAPHS");
  return !env || std::strcmp(env, "0") != 0;
}

} // namespace

GpuExecutable::GraphStats GpuExecutable::graphStats() const {
  std::lock_guard lock(graphMutex_);
  return stats_;
}

Status GpuExecutable::run(std::span<const DevicePtr> args) const {
  if (static_cast<int64_t>(args.size()) != plan_.numArgs)
    return Status::error("GPU graph takes " + std::to_string(plan_.numArgs) +
                         " buffers, got " + std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i] % kGpuBufferAlignment != 0) {
      char address[32];
      std::snprintf(address, sizeof address, "0x%llx",
                    static_cast<unsigned long long>(args[i]));
      return Status::error("GPU graph argument " + std::to_string(i) +
                           " is at " + address + ", not a multiple of " +
                           std::to_string(kGpuBufferAlignment) +
                           " bytes (its kernels load and store 16-byte "
                           "vectors)");
    }
  std::vector<DevicePtr> address(plan_.numBuffers(), 0);
  std::copy(args.begin(), args.end(), address.begin());
  // A graph with collectives: the backend sets up what they need (an NCCL
  // communicator) first, outside any capture. Every rank runs the same
  // graphs in the same order, so all get here together.
  if (collectives_)
    if (Status st = prepareDeviceCollectives(device_); !st)
      return st;
  std::unique_lock lock(graphMutex_);
  if (collectives_) {
    // Graphs captured for another backend or communicator call what may
    // be gone.
    uint64_t epoch = collectiveEpoch();
    if (epoch != collectiveEpoch_) {
      graphs_.clear();
      collectiveEpoch_ = epoch;
    }
    countAllReduces(collectives_, collectiveElements_);
  }
  if (!capturing_ || !graphsEnabled() || plan_.steps.empty()) {
    ++stats_.direct;
    lock.unlock();
    return issue(std::move(address), /*persistent=*/false);
  }
  ++clock_;
  std::vector<DevicePtr> key(args.begin(), args.end());
  for (CachedGraph &g : graphs_)
    if (g.args == key) {
      g.lastUse = clock_;
      ++stats_.replays;
      missesInARow_ = 0;
      return device_.launch(*g.graph);
    }
  if (missesInARow_ >= kMaxMisses) {
    // The addresses do not come back: capturing costs more than it saves.
    capturing_ = false;
    graphs_.clear();
    ++stats_.direct;
    lock.unlock();
    return issue(std::move(address), /*persistent=*/false);
  }
  // The graph's temporaries must outlive it: the executable holds them.
  if (temporaries_.empty()) {
    temporaries_.resize(address.size());
    for (const GpuStep &s : plan_.steps)
      if (s.kind == GpuStep::Kind::Alloc) {
        StatusOr<DeviceBuffer> buffer = device_.allocate(s.bytes);
        if (!buffer) {
          temporaries_.clear();
          return buffer.status();
        }
        temporaries_[s.buffer] = std::move(*buffer);
      }
  }
  StatusOr<std::unique_ptr<Graph>> graph = device_.capture(
      [&] { return issue(address, /*persistent=*/true); });
  if (!graph)
    return graph.status();
  ++stats_.captures;
  ++missesInARow_;
  if (graphs_.size() == kMaxGraphs)
    graphs_.erase(std::min_element(graphs_.begin(), graphs_.end(),
                                   [](const CachedGraph &a, const CachedGraph &b) {
                                     return a.lastUse < b.lastUse;
                                   }));
  graphs_.push_back({std::move(key), std::move(*graph), clock_});
  return device_.launch(*graphs_.back().graph);
}

Status GpuExecutable::issue(std::vector<DevicePtr> address,
                            bool persistent) const {
  std::vector<DeviceBuffer> owned(address.size());
  for (const GpuStep &s : plan_.steps) {
    switch (s.kind) {
    case GpuStep::Kind::Alloc: {
      if (persistent) {
        address[s.buffer] = temporaries_[s.buffer].address();
        break;
      }
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
      if (!persistent)
        address[s.buffer] = 0;
      break;
    case GpuStep::Kind::Copy:
      if (Status st = device_.copyDeviceToDevice(address[s.buffer],
                                                 address[s.source], s.bytes);
          !st)
        return st;
      break;
    case GpuStep::Kind::AllReduce:
      if (Status st =
              allReduceOnDevice(device_, address[s.buffer], s.count, s.dtype);
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
