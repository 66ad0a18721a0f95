//===- GraphCache.cpp - Compiled graphs, by their text --------------------===//
//
// Part of Ember. Each distinct graph text (per device and CPU target) is
// compiled once, through the compiler facade, and kept: in memory for the
// process, and on disk (DiskCache) for CPU code.
//
//===----------------------------------------------------------------------===//

#include "GraphCache.h"

#include "DiskCache.h"
#include "Realize.h"
#include "Recompiles.h"

#include "ember/Compiler/Compiler.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Tensor.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/GpuExecutable.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <span>
#include <unordered_map>

namespace ember::fe {

namespace {
// Never destroyed: cached graphs (and their slots) may outlive any other
// static at exit.
std::mutex &slotsMutex() {
  static auto *m = new std::mutex;
  return *m;
}
std::unordered_map<const rt::cuda::DeviceBuffer *, long> &holds() {
  static auto *h = new std::unordered_map<const rt::cuda::DeviceBuffer *, long>;
  return *h;
}
} // namespace

void ResultSlot::set(std::shared_ptr<rt::cuda::DeviceBuffer> buffer) {
  std::lock_guard lock(slotsMutex());
  if (buffer_ && --holds()[buffer_.get()] == 0)
    holds().erase(buffer_.get());
  buffer_ = std::move(buffer);
  if (buffer_)
    ++holds()[buffer_.get()];
}

long ResultSlot::holding(const rt::cuda::DeviceBuffer *buffer) {
  std::lock_guard lock(slotsMutex());
  auto it = holds().find(buffer);
  return it == holds().end() ? 0 : it->second;
}
namespace {
struct GraphCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<CompiledGraph>> entries;
  std::atomic<uint64_t> compilations{0}, hits{0}, loaded{0}, stored{0};
  uint64_t newShapes = 0, newTargets = 0;
  CompileHistory history;
};

GraphCache &cache() {
  static GraphCache instance;
  return instance;
}

/// set_cpu_target's value; EMBER_CPU until it is called.
struct CpuTarget {
  std::mutex mutex;
  std::string name;
  CpuTarget() {
    if (const char *env = std::getenv("EMBER_CPU"))
      name = env;
  }
};

CpuTarget &cpuTarget() {
  static CpuTarget instance;
  return instance;
}

std::string currentCpuTarget() {
  CpuTarget &t = cpuTarget();
  std::lock_guard<std::mutex> lock(t.mutex);
  return t.name;
}

} // namespace

int64_t cpuPanelWidth() {
  return compiler::prepackedPanelWidth(currentCpuTarget());
}

namespace {

/// The CPU graph `text`: from the on-disk cache when a matching entry is
/// there, else compiled (and written to that cache).
std::shared_ptr<CompiledGraph> compileForCPU(const std::string &text,
                                             const std::string &cpu,
                                             std::source_location loc) {
  GraphCache &c = cache();
  DiskCache &disk = DiskCache::instance();
  std::string diskKey;
  if (!disk.directory().empty()) {
    diskKey = compiler::compilerFingerprint() + "\ncpu " + cpu + "\n" + text;
    if (std::optional<CachedCode> cached = disk.load(diskKey)) {
      auto bytes = std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(cached->code.data()),
          cached->code.size());
      // An entry that does not load (it passed the checksum, so someone
      // wrote a bad one) is compiled again and overwritten.
      if (auto executable = rt::Executable::load(bytes, cached->entry)) {
        auto compiled = std::make_shared<CompiledGraph>();
        compiled->executable = std::move(*executable);
        ++c.loaded;
        return compiled;
      }
    }
  }

  compiler::Options options;
  options.cpu = cpu;
  compiler::Result result = compiler::compile(text, options);
  if (!result.ok)
    throw Error(fmt::format("ember: compiling the graph realised at {} "
                            "failed:\n{}",
                            formatLocation(loc), result.errorMessage()));
  auto bytes = std::span<const uint8_t>(
      reinterpret_cast<const uint8_t *>(result.output.data()),
      result.output.size());
  auto executable = rt::Executable::load(bytes, result.entrySymbol);
  if (!executable)
    throw Error(fmt::format("ember: loading the graph realised at {} "
                            "failed: {}",
                            formatLocation(loc),
                            executable.status().message()));
  auto compiled = std::make_shared<CompiledGraph>();
  compiled->executable = std::move(*executable);
  ++c.compilations;
  if (!diskKey.empty() &&
      disk.store(diskKey, CachedCode{result.entrySymbol, result.output}))
    ++c.stored;
  return compiled;
}

} // namespace

std::shared_ptr<CompiledGraph>
compiledGraph(const std::string &text, const Device &device,
              rt::cuda::Device *gpu, std::source_location loc,
              const std::function<std::string(size_t)> &describeInput) {
  // The same graph compiles differently per device and CPU target.
  std::string cpu = device.is_cpu() ? currentCpuTarget() : "";
  bool tf32 = gpu && cuda::allow_tf32();
  std::string key =
      device.is_cpu()
          ? (cpu.empty() ? text : text + "// for cpu " + cpu)
          : text + "// on " + device.str() + (tf32 ? " with tf32" : "");

  GraphCache &c = cache();
  // Holding the lock while compiling makes every distinct graph compile
  // exactly once, at the cost of serialising compilations.
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.entries.find(key);
  if (it != c.entries.end()) {
    ++c.hits;
    return it->second;
  }
  auto started = std::chrono::steady_clock::now();
  uint64_t loadedBefore = c.loaded;
  std::shared_ptr<CompiledGraph> compiled;
  if (gpu) {
    compiler::Options options;
    options.target = "cuda";
    options.stopAfter = compiler::Stage::GPUPlan;
    // The emulated device (EMBER_FAKE_CUDA=1) runs the same kernels
    // compiled for the host.
    options.gpuHostCode = gpu->driverKind() == rt::cuda::DriverKind::Fake;
    options.allowTF32 = tf32;
    if (rt::StatusOr<rt::cuda::DeviceInfo> info = gpu->info())
      options.chip = info->arch();
    compiler::Result result = compiler::compile(text, options);
    if (!result.ok)
      throw Error(fmt::format("ember: compiling the graph realised at {} "
                              "for {} failed:\n{}",
                              formatLocation(loc), device.str(),
                              result.errorMessage()));
    rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(result.output);
    if (!plan)
      failAt(loc, plan.status().message());
    auto executable = rt::cuda::GpuExecutable::load(*gpu, std::move(*plan));
    if (!executable)
      failAt(loc, "loading the graph on " + device.str() +
                      " failed: " + executable.status().message());
    compiled = std::make_shared<CompiledGraph>();
    compiled->gpuExecutable = std::move(*executable);
    ++c.compilations;
  } else {
    compiled = compileForCPU(text, cpu, loc);
  }
  c.entries.emplace(key, compiled);
  std::string target = device.is_cpu()
                           ? (cpu.empty() ? "cpu" : "cpu " + cpu)
                           : device.str() + (tf32 ? " with tf32" : "");
  CompileHistory::Explanation why =
      c.history.record(text, target, describeInput);
  c.newShapes += why.kind == CompileHistory::Kind::NewShapes;
  c.newTargets += why.kind == CompileHistory::Kind::NewTarget;
  if (logging("recompiles")) {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count();
    fmt::print(
        stderr, "ember: graph {} for {} ({} in {:.2f} s), realised at {}: {}\n",
        why.id, target,
        c.loaded != loadedBefore ? "loaded from the on-disk cache" : "compiled",
        seconds, formatLocation(loc), why.reason);
  }
  return compiled;
}
} // namespace ember::fe

ember::CacheStats ember::cache_stats() {
  fe::GraphCache &c = fe::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  CacheStats stats{c.compilations.load(), c.hits.load(), c.entries.size(),
                   c.loaded.load(), c.stored.load()};
  stats.newShapes = c.newShapes;
  stats.newTargets = c.newTargets;
  for (const auto &[key, compiled] : c.entries)
    if (compiled->gpuExecutable) {
      auto g = compiled->gpuExecutable->graphStats();
      stats.gpuGraphCaptures += g.captures;
      stats.gpuGraphReplays += g.replays;
      stats.gpuDirectRuns += g.direct;
    }
  return stats;
}

void ember::clear_compile_cache() {
  fe::GraphCache &c = fe::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.clear();
}

void ember::set_compile_cache_dir(const std::string &dir) {
  fe::DiskCache::instance().setDirectory(dir);
}

void ember::set_cpu_target(const std::string &cpu) {
  fe::CpuTarget &t = fe::cpuTarget();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.name = cpu;
}

std::string ember::cpu_target() { return fe::currentCpuTarget(); }

std::string ember::compile_cache_dir() {
  return fe::DiskCache::instance().directory();
}
