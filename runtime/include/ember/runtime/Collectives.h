//===- Collectives.h - Collectives called by compiled code ------*- C++ -*-===//
//
// Part of Ember. A data-parallel job runs one process per rank, each with the
// same compiled graphs; an `ember.all_reduce` in a graph becomes, on the CPU,
// a call to ember_all_reduce_f32 (or _f64) on the tensor's buffer. The
// runtime knows no communication library: the process installs a backend
// (ember::distributed installs MPI's) and the calls go to it. Without one,
// the job is this process alone and the sum over ranks is the buffer as it
// is.
//
// Compiled code cannot unwind: a backend that fails (a rank that died, a
// timeout) reports it and ends the job itself (MPI_Abort), so that no rank
// waits for ever.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_COLLECTIVES_H
#define EMBER_RUNTIME_COLLECTIVES_H

#include "ember/runtime/DType.h"
#include "ember/runtime/Status.h"

#include <cstdint>

namespace ember::rt {

namespace cuda {
class Device;
}

/// What carries out the collectives of compiled code. Every rank calls the
/// same collectives in the same order.
class CollectiveBackend {
public:
  virtual ~CollectiveBackend() = default;
  /// This process's rank and the number of ranks.
  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  /// Replaces `data` (count elements of `dtype`, Float32 or Float64, in
  /// host memory) by its elementwise sum over all ranks. Returns only once
  /// done; on failure it does not return (see above).
  virtual void allReduceSum(void *data, int64_t count, DType dtype) = 0;

  /// The same on a GPU (a GPU graph's `allreduce` step): `data` is a
  /// device address of `device`, and the sum is queued on the device's
  /// stream, in order with its other work (an NCCL all-reduce,
  /// nccl::Communicators). A failure is returned; a backend whose other
  /// ranks would wait for ever ends the job instead. The default says the
  /// backend cannot reduce device memory.
  virtual Status allReduceOnDevice(cuda::Device &device, uint64_t data,
                                   int64_t count, DType dtype);

  /// Readies `device` for allReduceOnDevice (makes its NCCL communicator,
  /// which no CUDA graph capture may hold): called before every run of a
  /// GPU graph with an all-reduce (a replayed CUDA graph included), so by
  /// every rank at the same points; an error stops the run. The default
  /// does nothing.
  virtual Status prepareDevice(cuda::Device &device);
};

/// Installs `backend` (not owned; nullptr removes it). Not thread-safe
/// against running graphs: install before, remove after.
void setCollectiveBackend(CollectiveBackend *backend);
/// The installed backend, or nullptr.
CollectiveBackend *collectiveBackend();

/// How many all-reduces compiled code has asked for in this process, and
/// their elements (statistics, for tests and progress reports).
struct CollectiveStats {
  uint64_t allReduces = 0;
  uint64_t elements = 0;
};
CollectiveStats collectiveStats();

/// What a GPU graph's `allreduce` step calls: the installed backend's
/// allReduceOnDevice; with none, this process is the whole job and the
/// buffer is the sum already.
Status allReduceOnDevice(cuda::Device &device, uint64_t data, int64_t count,
                         DType dtype);
/// The installed backend's prepareDevice; nothing without one.
Status prepareDeviceCollectives(cuda::Device &device);
/// A number that changes whenever what a GPU graph's all-reduce would call
/// changes: another backend installed (setCollectiveBackend), a device's
/// communicators destroyed (nccl::Communicators::clear). A CUDA graph
/// captured with an all-reduce is not replayed under another epoch (it
/// would call a destroyed NCCL communicator).
uint64_t collectiveEpoch();
/// Moves collectiveEpoch() on.
void noteCollectivesChanged();
/// Counts all-reduces of GPU graphs in collectiveStats() (run by a CUDA
/// graph's replay, which calls nothing on the host).
void countAllReduces(uint64_t calls, uint64_t elements);

} // namespace ember::rt

extern "C" {
/// Called by compiled code (ember.all_reduce on the CPU): `data` holds
/// `count` elements, summed over the ranks in place.
void ember_all_reduce_f32(float *data, int64_t count);
void ember_all_reduce_f64(double *data, int64_t count);
}

#endif // EMBER_RUNTIME_COLLECTIVES_H
