//===- NcclApi.h - NCCL as a table of pointers ------------------*- C++ -*-===//
//
// Part of Ember. Internal to the runtime, shared by the production code
// (Nccl.cpp, which fills the table by dlsym from libnccl.so.2) and the fake
// NCCL (cuda/FakeNccl.cpp, the emulated device's). As with the driver
// (cuda/Driver.h), no NCCL header is included: the few types and constants
// used are declared below with NCCL 2's ABI (nccl.h, 2.x), so building needs
// no NCCL.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_LIB_CUDA_NCCLAPI_H
#define EMBER_RUNTIME_LIB_CUDA_NCCLAPI_H

#include "ember/runtime/Cuda.h"
#include "ember/runtime/Status.h"

#include <string>

namespace ember::rt::nccl {

enum ncclResult_t : int {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1,
  ncclSystemError = 2,
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
  ncclRemoteError = 6,
  ncclInProgress = 7,
};

/// The element types and the reduction Ember uses.
enum ncclDataType_t : int { ncclFloat32 = 7, ncclFloat64 = 8 };
enum ncclRedOp_t : int { ncclSum = 0 };

/// NCCL_UNIQUE_ID_BYTES; passed by value, as nccl.h's struct is.
struct ncclUniqueId {
  char internal[128];
};

using ncclComm_t = struct ncclComm *;
/// cudaStream_t and CUstream are the same handle.
using cudaStream_t = struct CUstream_st *;

/// Every NCCL entry point Ember uses, as X(symbol, result, parameter list).
#define EMBER_NCCL_API(X)                                                      \
  X(ncclGetVersion, ncclResult_t, (int *version))                              \
  X(ncclGetUniqueId, ncclResult_t, (ncclUniqueId * id))                        \
  X(ncclCommInitRank, ncclResult_t,                                            \
    (ncclComm_t * comm, int nranks, ncclUniqueId id, int rank))                \
  X(ncclCommDestroy, ncclResult_t, (ncclComm_t comm))                          \
  X(ncclAllReduce, ncclResult_t,                                               \
    (const void *send, void *recv, size_t count, ncclDataType_t type,          \
     ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream))                    \
  X(ncclGetErrorString, const char *, (ncclResult_t result))                   \
  X(ncclGetLastError, const char *, (ncclComm_t comm))

/// One implementation of NCCL, loaded.
struct Library {
  /// The dlopen handle of libnccl.so.2; null for the fake.
  void *handle = nullptr;
  /// Why it cannot be used; ok when it can.
  Status status = Status::ok();

#define EMBER_NCCL_DECLARE(name, result, params) result(*name) params = nullptr;
  EMBER_NCCL_API(EMBER_NCCL_DECLARE)
#undef EMBER_NCCL_DECLARE

  /// Ok for ncclSuccess, otherwise "<call> failed: <NCCL's error string>",
  /// followed by ": <NCCL's last error>" where it has one.
  Status check(ncclResult_t result, const char *call,
               ncclComm_t comm = nullptr) const {
    if (result == ncclSuccess)
      return Status::ok();
    std::string message = std::string(call) + " failed: ";
    const char *text =
        ncclGetErrorString ? ncclGetErrorString(result) : nullptr;
    message += text ? text : "NCCL error " + std::to_string(result);
    const char *last = ncclGetLastError ? ncclGetLastError(comm) : nullptr;
    if (last && *last)
      message += std::string(": ") + last;
    return Status::error(std::move(message));
  }
};

/// Calls entry point `fn` of `library` through the checker.
#define EMBER_NCCL(library, fn, ...)                                           \
  (library).check((library).fn(__VA_ARGS__), #fn)

/// Fills `library`'s table with the fake NCCL's entry points
/// (cuda/FakeNccl.cpp).
void installFakeNccl(Library &library);

} // namespace ember::rt::nccl

#endif // EMBER_RUNTIME_LIB_CUDA_NCCLAPI_H
