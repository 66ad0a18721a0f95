//===- HostAllocator.cpp - The runtime's caching host allocator -----------===//
//
// Part of Ember. Each block carries a 64-byte header holding its size class,
// so that free() needs no size; the user part starts 64 bytes in and is
// therefore 64-byte aligned.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/HostAllocator.h"

#include "ember/runtime/Parallel.h"

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <unordered_set>
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

void hostReleaseCached() {
  Cache &c = cache();
  std::unordered_map<size_t, std::vector<void *>> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    blocks.swap(c.free);
    c.stats.bytesCached = 0;
  }
  for (auto &[cls, list] : blocks)
    for (void *block : list)
      std::free(block);
}

namespace {

/// A call into compiled code on this thread (callCatchingOutOfMemory).
struct CompiledCall {
  std::jmp_buf jump;
  size_t failedBytes = 0;
  /// The temporaries this call allocated on this thread and has not freed.
  std::unordered_set<void *> live;
};
thread_local CompiledCall *currentCall = nullptr;

/// The allocation hooks' common path: the cache, then the system, then the
/// system again after the cache is returned to it; then the end of the call.
void *allocateForCompiledCode(size_t size) {
  void *p = hostAllocate(size);
  if (!p) {
    hostReleaseCached();
    p = hostAllocate(size);
  }
  CompiledCall *call = currentCall;
  if (p) {
    if (call) {
      // Compiled code frees its temporaries on the thread that allocated
      // them; an insert the system refuses only loses the clean-up.
      try {
        call->live.insert(p);
      } catch (const std::bad_alloc &) {
      }
    }
    return p;
  }
  if (call && !inParallelRegion()) {
    call->failedBytes = size;
    std::longjmp(call->jump, 1);
  }
  std::fprintf(stderr,
               "ember: out of memory: compiled code asked for %zu bytes inside "
               "a parallel loop, where the call cannot be ended cleanly; "
               "stopping\n",
               size);
  std::abort();
}

} // namespace

size_t callCatchingOutOfMemory(void (*entry)(void **), void **args) {
  CompiledCall call;
  CompiledCall *outer = currentCall;
  currentCall = &call;
  if (setjmp(call.jump) == 0) {
    entry(args);
    currentCall = outer;
    return 0;
  }
  // Back from a refused allocation: the call's frames are gone; its
  // temporaries are not.
  currentCall = outer;
  for (void *p : call.live)
    hostFree(p);
  return call.failedBytes == 0 ? 1 : call.failedBytes;
}

} // namespace ember::rt

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return ember::rt::allocateForCompiledCode(size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // Every block is 64-byte aligned; larger alignments are not requested by
  // the CPU pipeline (its allocations ask for 64).
  if (alignment > 64)
    return nullptr;
  return ember::rt::allocateForCompiledCode(size);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (ember::rt::CompiledCall *call = ember::rt::currentCall)
    call->live.erase(ptr);
  ember::rt::hostFree(ptr);
}
