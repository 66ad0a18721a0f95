//===- FakeDriver.cpp - An in-process CUDA driver for tests ---------------===//
//
// Part of Ember. The fake driver (EMBER_FAKE_CUDA=1, DriverKind::Fake): an
// in-process stand-in for libcuda with one device, "Ember Fake GPU" (sm_90,
// 1 GiB), that fills the same table of entry points (Driver, cuda/Driver.h)
// the production code in Cuda.cpp fills from libcuda.so.1.
//
// Device memory is host memory, so a CUdeviceptr is a host address; work runs
// synchronously at the time it is queued. It checks what the real driver
// checks where that is cheap (cuInit first, a current context, addresses
// inside a live allocation) so the runtime's mistakes show up here too. The
// only kernel is
//   ember_test_fill(float *out, float value)
// which sets out[0 .. gridX*gridY*gridZ*blockX*blockY*blockZ) to value.
//
//===----------------------------------------------------------------------===//

#include "cuda/Driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace ember::rt::cuda {

namespace {

constexpr size_t kTotalMemory = size_t(1) << 30;
constexpr const char *kDeviceName = "Ember Fake GPU";
constexpr const char *kFillKernel = "ember_test_fill";

struct FakeModule {
  std::string image;
};
struct FakeFunction {
  std::string name;
};

/// Everything the fake driver holds, behind one lock.
struct State {
  std::mutex mutex;
  bool initialized = false;
  /// Live allocations: base address -> bytes.
  std::map<CUdeviceptr, size_t> allocations;
  size_t used = 0;
  std::set<CUstream> streams;
  std::set<CUmodule> modules;
};

State &state() {
  // Leaked, so that buffers freed during static destruction still work.
  static State *s = new State;
  return *s;
}

/// The primary context: any unique non-null address serves as its handle.
int contextTag;
CUcontext primaryContext() { return reinterpret_cast<CUcontext>(&contextTag); }
thread_local CUcontext currentContext = nullptr;

FakeFunction fillFunction{kFillKernel};

/// The checks every call after cuInit makes.
CUresult ready(State &s, bool needsContext) {
  if (!s.initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (needsContext && currentContext != primaryContext())
    return CUDA_ERROR_INVALID_CONTEXT;
  return CUDA_SUCCESS;
}

/// True when [address, address + bytes) lies inside one live allocation.
bool inAllocation(State &s, CUdeviceptr address, size_t bytes) {
  auto it = s.allocations.upper_bound(address);
  if (it == s.allocations.begin())
    return false;
  --it;
  CUdeviceptr offset = address - it->first;
  return offset <= it->second && bytes <= it->second - offset;
}

bool validStream(State &s, CUstream stream) {
  return stream == nullptr || s.streams.count(stream);
}

/// The checks every fake operation on a stream starts with: an initialised
/// driver with a current context, and a known stream.
CUresult streamReady(State &s, CUstream stream) {
  if (CUresult r = ready(s, true))
    return r;
  return validStream(s, stream) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuInit(unsigned int flags) {
  if (flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  State &s = state();
  std::lock_guard lock(s.mutex);
  s.initialized = true;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (!device)
    return CUDA_ERROR_INVALID_VALUE;
  if (ordinal != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (!count)
    return CUDA_ERROR_INVALID_VALUE;
  *count = 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!name || len <= 0)
    return CUDA_ERROR_INVALID_VALUE;
  std::snprintf(name, static_cast<size_t>(len), "%s", kDeviceName);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attr,
                              CUdevice dev) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!value)
    return CUDA_ERROR_INVALID_VALUE;
  switch (attr) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *value = 9;
    break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *value = 0;
    break;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
    *value = 132;
    break;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!bytes)
    return CUDA_ERROR_INVALID_VALUE;
  *bytes = kTotalMemory;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!ctx)
    return CUDA_ERROR_INVALID_VALUE;
  *ctx = primaryContext();
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext ctx) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, false))
    return r;
  if (ctx != nullptr && ctx != primaryContext())
    return CUDA_ERROR_INVALID_CONTEXT;
  currentContext = ctx;
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!ptr || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (bytes > kTotalMemory - s.used)
    return CUDA_ERROR_OUT_OF_MEMORY;
  // The real driver aligns allocations to at least 256 bytes.
  size_t rounded = (bytes + 255) / 256 * 256;
  void *p = std::aligned_alloc(256, rounded);
  if (!p)
    return CUDA_ERROR_OUT_OF_MEMORY;
  *ptr = reinterpret_cast<CUdeviceptr>(p);
  s.allocations.emplace(*ptr, bytes);
  s.used += bytes;
  return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  auto it = s.allocations.find(ptr);
  if (it == s.allocations.end())
    return CUDA_ERROR_INVALID_VALUE;
  s.used -= it->second;
  s.allocations.erase(it);
  std::free(reinterpret_cast<void *>(ptr));
  return CUDA_SUCCESS;
}

CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!free || !total)
    return CUDA_ERROR_INVALID_VALUE;
  *free = kTotalMemory - s.used;
  *total = kTotalMemory;
  return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  if (!src || !inAllocation(s, dst, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  if (!dst || !inAllocation(s, src, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  if (!inAllocation(s, dst, bytes) || !inAllocation(s, src, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<const void *>(src),
               bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count,
                         CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  if (!inAllocation(s, dst, count))
    return CUDA_ERROR_INVALID_VALUE;
  std::memset(reinterpret_cast<void *>(dst), value, count);
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream *stream, unsigned int flags) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!stream || flags > 1)
    return CUDA_ERROR_INVALID_VALUE;
  // A fresh heap address is a unique handle; it is never dereferenced.
  *stream = reinterpret_cast<CUstream>(new char);
  s.streams.insert(*stream);
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  // Work already ran when it was queued.
  return streamReady(s, stream);
}

CUresult cuStreamDestroy_v2(CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!s.streams.erase(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<char *>(stream);
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!module || !image)
    return CUDA_ERROR_INVALID_VALUE;
  // Any text is accepted: nothing is compiled.
  auto *m = new FakeModule{static_cast<const char *>(image)};
  *module = reinterpret_cast<CUmodule>(m);
  s.modules.insert(*module);
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *fn, CUmodule module,
                             const char *name) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!fn || !name)
    return CUDA_ERROR_INVALID_VALUE;
  if (!s.modules.count(module))
    return CUDA_ERROR_INVALID_HANDLE;
  if (std::strcmp(name, kFillKernel) != 0)
    return CUDA_ERROR_NOT_FOUND;
  *fn = reinterpret_cast<CUfunction>(&fillFunction);
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule module) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!s.modules.erase(module))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<FakeModule *>(module);
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction fn, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned sharedBytes, CUstream stream,
                        void **params, void **extra) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (fn != reinterpret_cast<CUfunction>(&fillFunction))
    return CUDA_ERROR_INVALID_HANDLE;
  if (!validStream(s, stream))
    return CUDA_ERROR_INVALID_HANDLE;
  // The limits of sm_90.
  uint64_t threadsPerBlock = uint64_t(blockX) * blockY * blockZ;
  if (gridX == 0 || gridY == 0 || gridZ == 0 || gridX > 0x7fffffffu ||
      gridY > 65535 || gridZ > 65535 || threadsPerBlock == 0 ||
      threadsPerBlock > 1024 || blockZ > 64 || sharedBytes > 48 * 1024 ||
      extra || !params || !params[0] || !params[1])
    return CUDA_ERROR_INVALID_VALUE;
  CUdeviceptr out = *static_cast<CUdeviceptr *>(params[0]);
  float value = *static_cast<float *>(params[1]);
  // Every thread writes one float; more than the whole memory cannot fit.
  constexpr uint64_t kMaxCount = kTotalMemory / sizeof(float);
  uint64_t count = threadsPerBlock;
  for (uint64_t dim : {gridX, gridY, gridZ}) {
    if (dim > kMaxCount / count)
      return CUDA_ERROR_ILLEGAL_ADDRESS;
    count *= dim;
  }
  if (!inAllocation(s, out, count * sizeof(float)))
    return CUDA_ERROR_ILLEGAL_ADDRESS;
  std::fill_n(reinterpret_cast<float *>(out), count, value);
  return CUDA_SUCCESS;
}

/// The real driver's names and descriptions of the codes the fake returns.
const std::pair<const char *, const char *> *describe(CUresult error) {
  static const std::map<int, std::pair<const char *, const char *>> table = {
      {CUDA_SUCCESS, {"CUDA_SUCCESS", "no error"}},
      {CUDA_ERROR_INVALID_VALUE,
       {"CUDA_ERROR_INVALID_VALUE", "invalid argument"}},
      {CUDA_ERROR_OUT_OF_MEMORY, {"CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}},
      {CUDA_ERROR_NOT_INITIALIZED,
       {"CUDA_ERROR_NOT_INITIALIZED", "initialization error"}},
      {CUDA_ERROR_NO_DEVICE,
       {"CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"}},
      {CUDA_ERROR_INVALID_DEVICE,
       {"CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}},
      {CUDA_ERROR_INVALID_IMAGE,
       {"CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"}},
      {CUDA_ERROR_INVALID_CONTEXT,
       {"CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}},
      {CUDA_ERROR_INVALID_HANDLE,
       {"CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}},
      {CUDA_ERROR_NOT_FOUND,
       {"CUDA_ERROR_NOT_FOUND", "named symbol not found"}},
      {CUDA_ERROR_ILLEGAL_ADDRESS,
       {"CUDA_ERROR_ILLEGAL_ADDRESS",
        "an illegal memory access was encountered"}},
  };
  auto it = table.find(error);
  return it == table.end() ? nullptr : &it->second;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  if (!name)
    return CUDA_ERROR_INVALID_VALUE;
  auto *d = describe(error);
  *name = d ? d->first : nullptr;
  return d ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  if (!text)
    return CUDA_ERROR_INVALID_VALUE;
  auto *d = describe(error);
  *text = d ? d->second : nullptr;
  return d ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

} // namespace

void installFakeDriver(Driver &d) {
#define EMBER_FAKE_ENTRY(name, params) d.name = &name;
  EMBER_CUDA_DRIVER_API(EMBER_FAKE_ENTRY)
#undef EMBER_FAKE_ENTRY
}

} // namespace ember::rt::cuda
