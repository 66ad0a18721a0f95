//===- FakeNccl.cpp - An in-process NCCL for the emulated device ----------===//
//
// Part of Ember. The fake NCCL (nccl::available(DriverKind::Fake)): a test
// double filling the same table of entry points (nccl::Library,
// cuda/NcclApi.h) that Nccl.cpp fills from libnccl.so.2, for the fake CUDA
// driver's device (cuda/FakeDriver.cpp), whose memory is host memory.
//
// Its jobs are of one process. A communicator has one rank unless other
// ranks are simulated (nccl::fake::setSimulatedPeers): then rank 0 alone
// makes a communicator of 1 + peers ranks, and an all-reduce adds the
// peers' values to its own. Each ncclAllReduce is checked as NCCL checks it
// (a live communicator, a known data type and reduction, device memory
// inside live allocations on a known stream of the fake driver), queued on
// the stream as one operation of the fake driver (so that a CUDA graph
// being captured records it, and each launch runs it again), and logged
// (nccl::fake::calls) so that tests can check what the runtime asked for.
// The last error's detail is kept per thread (ncclGetLastError).
//
//===----------------------------------------------------------------------===//

#include "cuda/Driver.h"
#include "cuda/NcclApi.h"
#include "ember/runtime/Nccl.h"

#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace ember::rt::nccl {

namespace {

struct FakeComm {
  int rank = 0, worldSize = 1;
};

/// Everything the fake holds, behind one lock.
struct State {
  std::mutex mutex;
  std::set<FakeComm *> comms;
  std::vector<fake::Call> calls;
  int peers = 0;
  std::function<void(void *, int64_t, DType)> addPeers;
  uint64_t nextId = 1;
};

State &state() {
  // Leaked, as the fake driver's: graphs replayed during static
  // destruction still reach it.
  static State *s = new State;
  return *s;
}

std::string &lastError() {
  thread_local std::string detail;
  return detail;
}

ncclResult_t fail(ncclResult_t result, std::string detail) {
  lastError() = std::move(detail);
  return result;
}

ncclResult_t ncclGetVersion(int *version) {
  if (!version)
    return fail(ncclInvalidArgument, "version is null");
  *version = 22800; // the NCCL whose ABI NcclApi.h declares
  return ncclSuccess;
}

ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
  if (!id)
    return fail(ncclInvalidArgument, "uniqueId is null");
  State &s = state();
  std::lock_guard lock(s.mutex);
  std::memset(id->internal, 0, sizeof id->internal);
  std::string text = "ember-fake-nccl " + std::to_string(s.nextId++);
  std::memcpy(id->internal, text.data(), text.size());
  return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id,
                              int rank) {
  if (!comm)
    return fail(ncclInvalidArgument, "comm is null");
  if (std::strncmp(id.internal, "ember-fake-nccl ", 16) != 0)
    return fail(ncclInvalidArgument,
                "the unique id was not made by the fake NCCL's "
                "ncclGetUniqueId");
  if (nranks < 1 || rank < 0 || rank >= nranks)
    return fail(ncclInvalidArgument, "rank " + std::to_string(rank) + " of " +
                                         std::to_string(nranks) + " ranks");
  // NCCL's set-up synchronises the device: no capture may be under way.
  if (cuda::fakeCapturing())
    return fail(ncclInvalidUsage, "ncclCommInitRank while a stream is "
                                  "captured (make communicators before)");
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (rank != 0 || nranks != 1 + s.peers)
    return fail(ncclInvalidUsage,
                "the fake NCCL runs jobs of one process: a communicator of " +
                    std::to_string(nranks) + " ranks (this is rank " +
                    std::to_string(rank) + ") needs " +
                    std::to_string(nranks - 1) +
                    " other ranks simulated (nccl::fake::setSimulatedPeers); " +
                    std::to_string(s.peers) + " are");
  auto *c = new FakeComm{rank, nranks};
  s.comms.insert(c);
  *comm = reinterpret_cast<ncclComm_t>(c);
  return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  auto *c = reinterpret_cast<FakeComm *>(comm);
  if (!s.comms.erase(c))
    return fail(ncclInvalidArgument, "not a live communicator");
  delete c;
  return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count,
                           ncclDataType_t type, ncclRedOp_t op, ncclComm_t comm,
                           cudaStream_t stream) {
  State &s = state();
  std::unique_lock lock(s.mutex);
  auto *c = reinterpret_cast<FakeComm *>(comm);
  if (!s.comms.count(c))
    return fail(ncclInvalidArgument, "not a live communicator");
  if (type != ncclFloat32 && type != ncclFloat64)
    return fail(ncclInvalidArgument,
                "the fake takes float32 and float64 only, not data type " +
                    std::to_string(type));
  if (op != ncclSum)
    return fail(ncclInvalidArgument,
                "the fake sums only, not reduction " + std::to_string(op));
  if (count == 0)
    return ncclSuccess;
  if (count > (size_t(1) << 40))
    return fail(ncclInvalidArgument,
                "count " + std::to_string(count) + " is past any device");
  size_t bytes = count * (type == ncclFloat64 ? 8 : 4);
  DType dtype = type == ncclFloat64 ? DType::Float64 : DType::Float32;
  std::function<void(void *, int64_t, DType)> addPeers =
      c->worldSize > 1 ? s.addPeers : nullptr;
  fake::Call call{send,    recv,         count,  type, op,
                  c->rank, c->worldSize, stream, false};
  lock.unlock(); // the driver's lock comes first
  auto run = [=] {
    if (send != recv)
      std::memmove(recv, send, bytes);
    if (addPeers)
      addPeers(recv, static_cast<int64_t>(count), dtype);
  };
  auto address = [](const void *p) {
    return static_cast<cuda::CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
  };
  bool captured = false;
  cuda::CUresult r = cuda::fakeStreamOperation(
      reinterpret_cast<cuda::CUstream>(stream),
      {{address(send), bytes}, {address(recv), bytes}}, run, &captured);
  if (r != cuda::CUDA_SUCCESS)
    return fail(ncclUnhandledCudaError,
                "the fake CUDA driver refused the operation (CUresult " +
                    std::to_string(r) +
                    "): an unknown stream, no current context, or memory "
                    "outside every live allocation");
  call.captured = captured;
  lock.lock();
  s.calls.push_back(call);
  return ncclSuccess;
}

const char *ncclGetErrorString(ncclResult_t result) {
  switch (result) {
  case ncclSuccess:
    return "no error";
  case ncclUnhandledCudaError:
    return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
  case ncclSystemError:
    return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
  case ncclInternalError:
    return "internal error - please report this issue to the NCCL developers";
  case ncclInvalidArgument:
    return "invalid argument (run with NCCL_DEBUG=WARN for details)";
  case ncclInvalidUsage:
    return "invalid usage (run with NCCL_DEBUG=WARN for details)";
  case ncclRemoteError:
    return "remote process exited or there was a network error";
  case ncclInProgress:
    return "NCCL operation in progress";
  }
  return "unknown result code";
}

const char *ncclGetLastError(ncclComm_t) { return lastError().c_str(); }

/// Every entry point clears the detail of an earlier failure first (but
/// the two that read errors).
template <auto Fn> struct Entry;
template <typename... Args, ncclResult_t (*Fn)(Args...)> struct Entry<Fn> {
  static ncclResult_t call(Args... args) {
    lastError().clear();
    return Fn(args...);
  }
};

} // namespace

void installFakeNccl(Library &library) {
#define EMBER_FAKE_NCCL_ENTRY(name, result, params)                            \
  library.name = &Entry<&name>::call;
  EMBER_FAKE_NCCL_ENTRY(ncclGetVersion, , )
  EMBER_FAKE_NCCL_ENTRY(ncclGetUniqueId, , )
  EMBER_FAKE_NCCL_ENTRY(ncclCommInitRank, , )
  EMBER_FAKE_NCCL_ENTRY(ncclCommDestroy, , )
  EMBER_FAKE_NCCL_ENTRY(ncclAllReduce, , )
#undef EMBER_FAKE_NCCL_ENTRY
  library.ncclGetErrorString = &ncclGetErrorString;
  library.ncclGetLastError = &ncclGetLastError;
}

namespace fake {

std::vector<Call> calls() {
  State &s = state();
  std::lock_guard lock(s.mutex);
  return s.calls;
}

void clearCalls() {
  State &s = state();
  std::lock_guard lock(s.mutex);
  s.calls.clear();
}

void setSimulatedPeers(
    int peers,
    std::function<void(void *data, int64_t count, DType dtype)> add) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  s.peers = peers > 0 ? peers : 0;
  s.addPeers = s.peers ? std::move(add) : nullptr;
}

} // namespace fake

} // namespace ember::rt::nccl
