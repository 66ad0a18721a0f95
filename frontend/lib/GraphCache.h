//===- GraphCache.h - Compiled graphs, by their text ------------*- C++ -*-===//
//
// Part of Ember. Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_GRAPHCACHE_H
#define EMBER_FRONTEND_LIB_GRAPHCACHE_H

#include "ember/frontend/Device.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/GpuExecutable.h"

#include <functional>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::fe {

/// A compiled GPU graph's hold on a result's last buffer (see
/// CompiledGraph). Buffers so held are counted, so that updating one in
/// place (InPlace) can tell the slot's hold from another tensor's.
class ResultSlot {
public:
  ResultSlot() = default;
  ResultSlot(const ResultSlot &) = delete;
  ResultSlot &operator=(const ResultSlot &) = delete;
  ~ResultSlot() { set(nullptr); }

  const std::shared_ptr<rt::cuda::DeviceBuffer> &get() const { return buffer_; }
  void set(std::shared_ptr<rt::cuda::DeviceBuffer> buffer);
  /// How many slots hold `buffer`.
  static long holding(const rt::cuda::DeviceBuffer *buffer);

private:
  std::shared_ptr<rt::cuda::DeviceBuffer> buffer_;
};

/// One compiled graph, shared by every realisation with the same text (and
/// device): native code for the CPU, or a plan of kernels for a GPU.
struct CompiledGraph {
  std::unique_ptr<rt::Executable> executable;
  std::unique_ptr<rt::cuda::GpuExecutable> gpuExecutable;
  /// A GPU graph's buffers planned ahead, so that a run's addresses are
  /// the last run's (and a captured CUDA graph replays): each host input's
  /// (a scalar's) device buffer, and each result's last buffer, which the
  /// next run reuses once nothing else holds it (the caller dropped the
  /// result). Runs of the graph take turns (`gpuMutex`).
  std::mutex gpuMutex;
  std::vector<std::shared_ptr<rt::cuda::DeviceBuffer>> hostInputSlots;
  std::vector<std::unique_ptr<ResultSlot>> resultSlots;
};

/// The graph `text` (emitGraph's) compiled for `device`: for the CPU target
/// set_cpu_target chose, or for `gpu` (the runtime device behind `device`;
/// null for the CPU) with tf32 as cuda::allow_tf32 says. From the cache
/// when it holds it, else compiled (CPU code: loaded from or written to the
/// on-disk cache) and kept; every distinct graph compiles once. Throws
/// ember::Error naming `loc` when compiling or loading fails.
/// `describeInput(i)` names the graph's argument i in the recompile log.
std::shared_ptr<CompiledGraph>
compiledGraph(const std::string &text, const Device &device,
              rt::cuda::Device *gpu, std::source_location loc,
              const std::function<std::string(size_t)> &describeInput);

/// The column-panel width in which the code for set_cpu_target's CPU reads
/// a product's B passed in prepacked (compiler::prepackedPanelWidth), or 0.
int64_t cpuPanelWidth();

} // namespace ember::fe

#endif // EMBER_FRONTEND_LIB_GRAPHCACHE_H
