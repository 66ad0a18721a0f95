//===- Nccl.h - Collectives between GPUs through NCCL -----------*- C++ -*-===//
//
// Part of Ember. The runtime's NCCL layer: what an `ember.all_reduce` in a
// GPU graph becomes (GpuPlan.h's `allreduce` step) once a collective backend
// hands it to a communicator. NCCL (libnccl.so.2) is opened with dlopen the
// first time it is needed, as libcuda is, so the runtime builds and runs
// where it is missing; there, available() is false and unavailableReason()
// says why. It is looked for at $EMBER_NCCL_LIBRARY when set, else on the
// loader's path, else in /usr/local/cuda/lib64 (where the CUDA toolkit puts
// it).
//
// The fake CUDA driver's device (DriverKind::Fake) has a fake NCCL beside
// it (runtime/lib/cuda/FakeNccl.cpp): jobs of one process, which keep a log
// of the calls made (fake::calls()) so tests can check them; other ranks
// may be simulated in that process (fake::setSimulatedPeers).
//
// This header includes no NCCL or CUDA header.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_NCCL_H
#define EMBER_RUNTIME_NCCL_H

#include "ember/runtime/Cuda.h"
#include "ember/runtime/DType.h"
#include "ember/runtime/Status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ember::rt::nccl {

/// True when the NCCL of devices of `kind` loads: libnccl.so.2 for the real
/// driver, the fake NCCL for the fake one.
bool available(cuda::DriverKind kind = cuda::defaultDriverKind());

/// Why available() is false, e.g. "libnccl.so.2 not found: <dlerror>".
/// Empty when NCCL is available.
std::string
unavailableReason(cuda::DriverKind kind = cuda::defaultDriverKind());

/// NCCL's version number (ncclGetVersion: 22803 for 2.28.3).
StatusOr<int> version(cuda::DriverKind kind = cuda::defaultDriverKind());

/// What the ranks of a job share to find each other (ncclUniqueId): made
/// by one rank (newUniqueId), sent to the others by other means (MPI).
struct UniqueId {
  std::array<char, 128> bytes{};
};

/// A fresh id (ncclGetUniqueId).
StatusOr<UniqueId>
newUniqueId(cuda::DriverKind kind = cuda::defaultDriverKind());

/// One rank's place in a job of `worldSize` ranks, on one device: an NCCL
/// communicator (ncclComm_t). Destroyed with the object.
class Communicator {
public:
  /// Joins the job with `id` as rank `rank` on `device` (ncclCommInitRank):
  /// a collective, which returns once every rank has called it.
  static StatusOr<std::unique_ptr<Communicator>>
  create(cuda::Device &device, int worldSize, int rank, const UniqueId &id);
  ~Communicator();
  Communicator(const Communicator &) = delete;
  Communicator &operator=(const Communicator &) = delete;

  int rank() const { return rank_; }
  int worldSize() const { return worldSize_; }
  cuda::Device &device() const { return device_; }

  /// Queues on the device's stream the replacement of `count` elements of
  /// `dtype` (Float32 or Float64) at `data` by their sum over the ranks
  /// (ncclAllReduce, in place); it runs after the work queued before it.
  /// Every rank calls the same collectives in the same order.
  Status allReduceSum(cuda::DevicePtr data, int64_t count, DType dtype);

private:
  Communicator(cuda::Device &device, void *comm, int worldSize, int rank)
      : device_(device), comm_(comm), worldSize_(worldSize), rank_(rank) {}
  cuda::Device &device_;
  void *comm_; // ncclComm_t
  int worldSize_, rank_;
};

/// A job's communicators, one per device, each made on first use: rank 0
/// makes the id, and `shareId` gives it to every rank (MPI_Bcast in
/// ember::distributed). Every rank asks for a device's communicator at the
/// same point of its work, as for any collective. get() and allReduceSum()
/// may be called from any thread; clear() must not race with them.
class Communicators {
public:
  /// Replaces `id` on every rank by rank 0's.
  using ShareId = std::function<Status(UniqueId &id)>;
  Communicators(int rank, int worldSize, ShareId shareId)
      : rank_(rank), worldSize_(worldSize), shareId_(std::move(shareId)) {}

  /// The communicator of `device`, made now if there is none yet.
  StatusOr<Communicator *> get(cuda::Device &device);

  /// get(device), for CollectiveBackend::prepareDevice.
  Status prepare(cuda::Device &device) { return get(device).status(); }
  /// get(device)->allReduceSum(...), for
  /// CollectiveBackend::allReduceOnDevice.
  Status allReduceSum(cuda::Device &device, cuda::DevicePtr data, int64_t count,
                      DType dtype);

  /// Destroys every communicator (before the job ends).
  void clear();

private:
  int rank_, worldSize_;
  ShareId shareId_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Communicator>> communicators_;
};

/// The fake NCCL of the emulated device (DriverKind::Fake): a test double.
namespace fake {

/// One call of ncclAllReduce the fake was asked for.
struct Call {
  const void *send = nullptr;
  void *recv = nullptr;
  size_t count = 0;
  int dataType = 0;  ///< ncclDataType_t: 7 float32, 8 float64
  int reduction = 0; ///< ncclRedOp_t: 0 sum
  int rank = 0, worldSize = 0;
  const void *stream = nullptr; ///< the CUstream it was queued on
  bool captured = false;        ///< recorded into a CUDA graph being captured
};

/// The all-reduces asked for since the last clearCalls(), in order.
std::vector<Call> calls();
void clearCalls();

/// Simulates `peers` more ranks in this process: a communicator of
/// 1 + peers ranks can then be made by rank 0 alone, and its all-reduce
/// adds the others' values with `add(data, count, dtype)` (in place, after
/// rank 0's own). peers = 0 (the default) removes them: the fake's jobs are
/// of one rank.
void setSimulatedPeers(
    int peers, std::function<void(void *data, int64_t count, DType dtype)> add);

} // namespace fake

} // namespace ember::rt::nccl

#endif // EMBER_RUNTIME_NCCL_H
