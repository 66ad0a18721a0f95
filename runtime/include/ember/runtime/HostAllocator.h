//===- HostAllocator.h - The runtime's caching host allocator ---*- C++ -*-===//
//
// Part of Ember. Host memory for tensors and for the temporaries of compiled
// code comes from here. Freed blocks are kept in size classes and handed
// out again, so a training loop that allocates the same buffers every step
// reaches a steady state with no calls to the system allocator (and no page
// faults from glibc returning memory to the kernel and taking it back).
// Thread-safe.
//
// Compiled code reaches it through the MLIR runtime hooks
// _mlir_memref_to_llvm_{alloc,aligned_alloc,free}, which this library
// exports (the CPU pipeline lowers memref.alloc with use-generic-functions).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_HOSTALLOCATOR_H
#define EMBER_RUNTIME_HOSTALLOCATOR_H

#include <cstddef>

namespace ember::rt {

/// At least `bytes` bytes, 64-byte aligned; nullptr when the system is out
/// of memory.
void *hostAllocate(size_t bytes);
/// Returns a block from hostAllocate (nullptr is ignored).
void hostFree(void *block);

struct HostAllocatorStats {
  size_t systemAllocations = 0; ///< blocks obtained from the system
  size_t cacheHits = 0;         ///< allocations served from the cache
  size_t bytesCached = 0;       ///< bytes held in the free lists
};
HostAllocatorStats hostAllocatorStats();

/// Returns every cached block to the system (what an allocation that the
/// system refused does before trying again).
void hostReleaseCached();

/// Calls `entry(args)`, compiled code, so that an allocation it cannot get
/// ends the call instead of handing it a null pointer to write through
/// (generated code cannot unwind, and checks no allocation). The failing
/// hook jumps back here (longjmp: compiled code holds nothing a destructor
/// would release), the temporaries the call had allocated on this thread
/// are freed, and the bytes asked are returned; 0 when the call completed.
/// A refusal inside a parallel loop (a region on the runtime's threads,
/// from which no jump may leave) stops the process with a message naming the
/// bytes instead.
size_t callCatchingOutOfMemory(void (*entry)(void **), void **args);

} // namespace ember::rt

extern "C" {
/// The allocation hooks MLIR's memref-to-LLVM lowering calls with
/// use-generic-functions.
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);
}

#endif // EMBER_RUNTIME_HOSTALLOCATOR_H
