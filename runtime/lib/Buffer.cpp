//===- Buffer.cpp - Aligned host buffers ----------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ember::rt {

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) {
  // aligned_alloc wants a multiple of the alignment.
  size_t rounded = (std::max<size_t>(bytes, 1) + kBufferAlignment - 1) /
                   kBufferAlignment * kBufferAlignment;
  if (rounded < bytes)
    throw std::bad_alloc();
  void *p = std::aligned_alloc(kBufferAlignment, rounded);
  if (!p)
    throw std::bad_alloc();
  std::memset(p, 0, rounded);
  return std::shared_ptr<Buffer>(new Buffer(p, bytes));
}

Buffer::~Buffer() { std::free(data_); }

} // namespace ember::rt
