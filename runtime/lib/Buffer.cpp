//===- Buffer.cpp - Aligned host buffers ----------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Buffer.h"

#include "ember/runtime/HostAllocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ember::rt {

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) {
  std::shared_ptr<Buffer> buffer = allocateUninitialized(bytes);
  std::memset(buffer->data(), 0, bytes);
  return buffer;
}

std::shared_ptr<Buffer> Buffer::allocateUninitialized(size_t bytes) {
  void *p = hostAllocate(bytes);
  if (!p)
    throw std::bad_alloc();
  return std::shared_ptr<Buffer>(new Buffer(p, bytes));
}

Buffer::~Buffer() { hostFree(data_); }

} // namespace ember::rt
