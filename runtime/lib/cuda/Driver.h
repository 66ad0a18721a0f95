//===- Driver.h - The CUDA driver API as a table of pointers ----*- C++ -*-===//
//
// Part of Ember. Internal to the runtime, shared by the production driver
// code (Cuda.cpp) and the fake driver (cuda/FakeDriver.cpp). The driver is
// reached only through a table of function pointers (Driver): filled by dlsym
// from libcuda.so.1, or by the fake. Every call goes through Driver::check,
// which turns a failing CUresult into a Status naming the call and the
// driver's error, e.g.
// "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
//
// No CUDA header is included: the few driver types and constants used are
// declared below with the driver API's ABI, so building needs no toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_LIB_CUDA_DRIVER_H
#define EMBER_RUNTIME_LIB_CUDA_DRIVER_H

#include "ember/runtime/Cuda.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ember::rt::cuda {

//===----------------------------------------------------------------------===//
// The driver API's ABI (from cuda.h, CUDA 12/13; 64-bit only)
//===----------------------------------------------------------------------===//

/// cudaError_enum. Only the codes the fake driver returns are named; the real
/// driver's codes are passed through to cuGetErrorName unchanged.
enum CUresult : int {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_TIMEOUT = 702,
  CUDA_ERROR_ASSERT = 710,
  CUDA_ERROR_HARDWARE_STACK_ERROR = 714,
  CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
  CUDA_ERROR_MISALIGNED_ADDRESS = 716,
  CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
  CUDA_ERROR_INVALID_PC = 718,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
};

/// The cuModuleLoadDataEx options Ember passes.
/// The errors cuda.h documents as leaving "the process in an inconsistent
/// state": every later call in the process returns them again.
inline bool isStickyError(CUresult result) {
  switch (result) {
  case CUDA_ERROR_ILLEGAL_ADDRESS:
  case CUDA_ERROR_LAUNCH_TIMEOUT:
  case CUDA_ERROR_ASSERT:
  case CUDA_ERROR_HARDWARE_STACK_ERROR:
  case CUDA_ERROR_ILLEGAL_INSTRUCTION:
  case CUDA_ERROR_MISALIGNED_ADDRESS:
  case CUDA_ERROR_INVALID_ADDRESS_SPACE:
  case CUDA_ERROR_INVALID_PC:
  case CUDA_ERROR_LAUNCH_FAILED:
    return true;
  default:
    return false;
  }
}

enum CUjit_option : int {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

enum CUstreamCaptureMode : int {
  CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

/// CUdevice_attribute values used here.
enum CUdevice_attribute : int {
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

static_assert(sizeof(CUdeviceptr) == sizeof(DevicePtr));

/// Every driver entry point Ember uses, as X(symbol, parameter list). The
/// member of Driver is named after the exported symbol (with its _v2 suffix),
/// so the checker's messages name the function that actually ran.
#define EMBER_CUDA_DRIVER_API(X)                                               \
  X(cuInit, (unsigned int flags))                                              \
  X(cuDeviceGet, (CUdevice * device, int ordinal))                             \
  X(cuDeviceGetCount, (int *count))                                            \
  X(cuDeviceGetName, (char *name, int len, CUdevice dev))                      \
  X(cuDeviceGetAttribute, (int *value, CUdevice_attribute attr, CUdevice dev)) \
  X(cuDeviceTotalMem_v2, (size_t * bytes, CUdevice dev))                       \
  X(cuDevicePrimaryCtxRetain, (CUcontext * ctx, CUdevice dev))                 \
  X(cuCtxSetCurrent, (CUcontext ctx))                                          \
  X(cuMemAlloc_v2, (CUdeviceptr * ptr, size_t bytes))                          \
  X(cuMemFree_v2, (CUdeviceptr ptr))                                           \
  X(cuMemGetInfo_v2, (size_t * free, size_t * total))                          \
  X(cuMemcpyHtoDAsync_v2,                                                      \
    (CUdeviceptr dst, const void *src, size_t bytes, CUstream stream))         \
  X(cuMemcpyDtoHAsync_v2,                                                      \
    (void *dst, CUdeviceptr src, size_t bytes, CUstream stream))               \
  X(cuMemcpyDtoDAsync_v2,                                                      \
    (CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream))         \
  X(cuMemsetD8Async,                                                           \
    (CUdeviceptr dst, unsigned char value, size_t count, CUstream stream))     \
  X(cuStreamCreate, (CUstream * stream, unsigned int flags))                   \
  X(cuStreamSynchronize, (CUstream stream))                                    \
  X(cuStreamDestroy_v2, (CUstream stream))                                     \
  X(cuModuleLoadDataEx,                                                        \
    (CUmodule * module, const void *image, unsigned numOptions,                \
     CUjit_option *options, void **values))                                    \
  X(cuModuleGetFunction, (CUfunction * fn, CUmodule module, const char *name)) \
  X(cuModuleUnload, (CUmodule module))                                         \
  X(cuLaunchKernel,                                                            \
    (CUfunction fn, unsigned gridX, unsigned gridY, unsigned gridZ,            \
     unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,  \
     CUstream stream, void **params, void **extra))                            \
  X(cuStreamBeginCapture_v2, (CUstream stream, CUstreamCaptureMode mode))     \
  X(cuStreamEndCapture, (CUstream stream, CUgraph * graph))                    \
  X(cuGraphInstantiateWithFlags,                                               \
    (CUgraphExec * exec, CUgraph graph, unsigned long long flags))             \
  X(cuGraphLaunch, (CUgraphExec exec, CUstream stream))                        \
  X(cuGraphExecDestroy, (CUgraphExec exec))                                    \
  X(cuGraphDestroy, (CUgraph graph))                                           \
  X(cuGetErrorName, (CUresult error, const char **name))                       \
  X(cuGetErrorString, (CUresult error, const char **text))

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// One implementation of the driver API, loaded and initialised.
struct Driver {
  DriverKind kind = DriverKind::System;
  /// The dlopen handle of libcuda.so.1; null for the fake.
  void *library = nullptr;
  /// Why the driver cannot be used; ok when it can.
  Status status = Status::ok();
  /// Devices cuDeviceGetCount reported.
  int deviceCount = 0;

#define EMBER_DECLARE_ENTRY(name, params) CUresult(*name) params = nullptr;
  EMBER_CUDA_DRIVER_API(EMBER_DECLARE_ENTRY)
#undef EMBER_DECLARE_ENTRY

  /// The fake only: what the last failing call on this thread had to say
  /// beyond its CUresult (e.g. which launch limit was exceeded), cleared by
  /// reading it and by every call. Null for the real driver.
  std::string (*takeErrorDetail)() = nullptr;

  /// The one checker: ok for CUDA_SUCCESS, otherwise
  /// "<call> failed: <error name> (<error string>)", followed by
  /// ": <detail>" where the fake gives one.
  Status check(CUresult result, const char *call) const {
    if (result == CUDA_SUCCESS)
      return Status::ok();
    std::string detail = takeErrorDetail ? takeErrorDetail() : std::string();
    const char *name = nullptr;
    const char *text = nullptr;
    if (cuGetErrorName && cuGetErrorName(result, &name) != CUDA_SUCCESS)
      name = nullptr;
    if (cuGetErrorString && cuGetErrorString(result, &text) != CUDA_SUCCESS)
      text = nullptr;
    std::string message = std::string(call) + " failed: ";
    message += name ? name : "CUDA error " + std::to_string(result);
    if (text)
      message += std::string(" (") + text + ")";
    if (!detail.empty())
      message += ": " + detail;
    return Status::error(std::move(message));
  }
};

/// Calls driver entry point `fn` of `driver` through the checker.
#define EMBER_CU(driver, fn, ...) (driver).check((driver).fn(__VA_ARGS__), #fn)

/// The fake driver only, for test doubles of libraries that queue work on
/// its streams (the fake NCCL, cuda/FakeNccl.cpp): queues `run` on `stream`
/// as one operation, after the checks every fake stream operation makes (an
/// initialised driver, a current context, a known stream, each of `ranges`
/// inside a live allocation). It runs now, or, while the stream is captured,
/// at every launch of the graph (which checks the ranges again first);
/// `captured` says which. `run` is called under the fake driver's lock: it
/// must not call the driver.
CUresult fakeStreamOperation(CUstream stream,
                             std::vector<std::pair<CUdeviceptr, size_t>> ranges,
                             std::function<void()> run, bool *captured);

/// The fake driver only: whether any stream is being captured.
bool fakeCapturing();

/// Fills `driver`'s table with the fake driver's entry points
/// (cuda/FakeDriver.cpp); the caller then initialises it like the real one.
void installFakeDriver(Driver &driver);

} // namespace ember::rt::cuda

#endif // EMBER_RUNTIME_LIB_CUDA_DRIVER_H
