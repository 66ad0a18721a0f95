//===- HostAllocator.cpp - The runtime's caching host allocator -----------===//
//
// Part of Ember. Each block carries a 64-byte header holding its size class,
// so that free() needs no size; the user part starts 64 bytes in and is
// therefore 64-byte aligned.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/HostAllocator.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ember::rt {
namespace {

constexpr size_t kHeader = 64;
/// Cached bytes beyond this go back to the system.
constexpr size_t kMaxCached = size_t(2) << 30;

/// The size class of `bytes`: multiples of 64 up to 4 KiB, then four
/// classes per power of two (at most 25% waste).
size_t sizeClass(size_t bytes) {
  if (bytes <= 4096)
    return (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  size_t power = size_t(1) << (63 - __builtin_clzll(bytes));
  size_t step = power / 4;
  return (bytes + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  HostAllocatorStats stats;
};

/// Never destroyed: blocks may be freed during static destruction.
Cache &cache() {
  static Cache *instance = new Cache();
  return *instance;
}

} // namespace

void *hostAllocate(size_t bytes) {
  if (bytes > (size_t(1) << 48))
    return nullptr;
  size_t cls = sizeClass(bytes);
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(cls);
    if (it != c.free.end() && !it->second.empty()) {
      void *block = it->second.back();
      it->second.pop_back();
      c.stats.bytesCached -= cls;
      ++c.stats.cacheHits;
      return static_cast<char *>(block) + kHeader;
    }
    ++c.stats.systemAllocations;
  }
  void *block = std::aligned_alloc(kHeader, cls + kHeader);
  if (!block)
    return nullptr;
  *static_cast<size_t *>(block) = cls;
  return static_cast<char *>(block) + kHeader;
}

void hostFree(void *user) {
  if (!user)
    return;
  void *block = static_cast<char *>(user) - kHeader;
  size_t cls = *static_cast<size_t *>(block);
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.stats.bytesCached + cls <= kMaxCached) {
      c.free[cls].push_back(block);
      c.stats.bytesCached += cls;
      return;
    }
  }
  std::free(block);
}

HostAllocatorStats hostAllocatorStats() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

} // namespace ember::rt

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return ember::rt::hostAllocate(size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // Every block is 64-byte aligned; larger alignments are not requested by
  // the CPU pipeline (its allocations ask for 64).
  if (alignment > 64)
    return nullptr;
  return ember::rt::hostAllocate(size);
}

void _mlir_memref_to_llvm_free(void *ptr) { ember::rt::hostFree(ptr); }
