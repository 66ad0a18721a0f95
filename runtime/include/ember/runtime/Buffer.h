//===- Buffer.h - Aligned host buffers --------------------------*- C++ -*-===//
//
// Part of Ember. A reference-counted block of host memory, aligned for the
// widest vector loads the generated code issues (64 bytes, one AVX-512 line).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_BUFFER_H
#define EMBER_RUNTIME_BUFFER_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace ember::rt {

/// Alignment, in bytes, of every buffer the runtime hands out.
inline constexpr size_t kBufferAlignment = 64;

/// An owned, aligned block of host memory from the runtime's caching
/// allocator (HostAllocator.h).
class Buffer {
public:
  /// Allocates `bytes` bytes (at least one, so that data() is never null).
  /// Throws std::bad_alloc when the host is out of memory.
  static std::shared_ptr<Buffer> allocate(size_t bytes);
  /// The same without zeroing, for buffers about to be overwritten whole
  /// (the outputs of compiled graphs).
  static std::shared_ptr<Buffer> allocateUninitialized(size_t bytes);

  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  void *data() { return data_; }
  const void *data() const { return data_; }
  size_t size() const { return size_; }

  /// How many times a writer outside compiled code announced writing the
  /// contents (the frontend's data_ptr() does): values derived from the
  /// contents and cached are valid while this count stays the same.
  uint64_t writes() const { return writes_.load(std::memory_order_acquire); }
  void noteWrite() { writes_.fetch_add(1, std::memory_order_acq_rel); }

private:
  Buffer(void *data, size_t size) : data_(data), size_(size) {}
  void *data_;
  size_t size_;
  std::atomic<uint64_t> writes_{0};
};

} // namespace ember::rt

#endif // EMBER_RUNTIME_BUFFER_H
