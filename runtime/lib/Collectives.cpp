//===- Collectives.cpp - Collectives called by compiled code --------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Collectives.h"

#include <atomic>

namespace ember::rt {

namespace {
std::atomic<CollectiveBackend *> installed{nullptr};
std::atomic<uint64_t> allReduces{0}, elements{0};

void allReduce(void *data, int64_t count, DType dtype) {
  allReduces.fetch_add(1, std::memory_order_relaxed);
  elements.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
  if (CollectiveBackend *backend = installed.load(std::memory_order_acquire))
    backend->allReduceSum(data, count, dtype);
  // Without a backend this process is the whole job: the sum is the data.
}
} // namespace

void setCollectiveBackend(CollectiveBackend *backend) {
  installed.store(backend, std::memory_order_release);
}

CollectiveBackend *collectiveBackend() {
  return installed.load(std::memory_order_acquire);
}

CollectiveStats collectiveStats() {
  return {allReduces.load(std::memory_order_relaxed),
          elements.load(std::memory_order_relaxed)};
}

} // namespace ember::rt

extern "C" void ember_all_reduce_f32(float *data, int64_t count) {
  ember::rt::allReduce(data, count, ember::DType::Float32);
}

extern "C" void ember_all_reduce_f64(double *data, int64_t count) {
  ember::rt::allReduce(data, count, ember::DType::Float64);
}
