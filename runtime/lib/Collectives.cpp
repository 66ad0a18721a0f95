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
std::atomic<uint64_t> allReduces{0}, elements{0}, epoch{0};

void allReduce(void *data, int64_t count, DType dtype) {
  countAllReduces(1, static_cast<uint64_t>(count));
  if (CollectiveBackend *backend = installed.load(std::memory_order_acquire))
    backend->allReduceSum(data, count, dtype);
  // Without a backend this process is the whole job: the sum is the data.
}
} // namespace

Status CollectiveBackend::allReduceOnDevice(cuda::Device &, uint64_t, int64_t,
                                            DType) {
  return Status::error(
      "the process's collective backend cannot sum GPU memory across ranks "
      "(it has no allReduceOnDevice; ember::distributed's uses NCCL)");
}

Status CollectiveBackend::prepareDevice(cuda::Device &) { return Status::ok(); }

Status allReduceOnDevice(cuda::Device &device, uint64_t data, int64_t count,
                         DType dtype) {
  if (CollectiveBackend *backend = installed.load(std::memory_order_acquire))
    return backend->allReduceOnDevice(device, data, count, dtype);
  return Status::ok(); // this process is the whole job: the sum is the data
}

Status prepareDeviceCollectives(cuda::Device &device) {
  if (CollectiveBackend *backend = installed.load(std::memory_order_acquire))
    return backend->prepareDevice(device);
  return Status::ok();
}

void countAllReduces(uint64_t calls, uint64_t count) {
  allReduces.fetch_add(calls, std::memory_order_relaxed);
  elements.fetch_add(count, std::memory_order_relaxed);
}

void setCollectiveBackend(CollectiveBackend *backend) {
  installed.store(backend, std::memory_order_release);
  noteCollectivesChanged();
}

uint64_t collectiveEpoch() { return epoch.load(std::memory_order_acquire); }

void noteCollectivesChanged() { epoch.fetch_add(1, std::memory_order_acq_rel); }

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
