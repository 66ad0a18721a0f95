//===- Cuda.cpp - NVIDIA GPUs through the CUDA driver API -----------------===//
//
// Part of Ember. The driver is reached only through a table of function
// pointers (Driver): filled by dlsym from libcuda.so.1, or with the fake
// driver below. Every call goes through Driver::check, which turns a failing
// CUresult into a Status naming the call and the driver's error, e.g.
// "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
//
// No CUDA header is included: the few driver types and constants used are
// declared below with the driver API's ABI, so building needs no toolkit.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Cuda.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <set>
#include <utility>

namespace ember::rt::cuda {

//===----------------------------------------------------------------------===//
// The driver API's ABI (from cuda.h, CUDA 12/13; 64-bit only)
//===----------------------------------------------------------------------===//

namespace {

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

static_assert(sizeof(CUdeviceptr) == sizeof(DevicePtr));

} // namespace

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
  X(cuModuleLoadData, (CUmodule * module, const void *image))                  \
  X(cuModuleGetFunction, (CUfunction * fn, CUmodule module, const char *name)) \
  X(cuModuleUnload, (CUmodule module))                                         \
  X(cuLaunchKernel,                                                            \
    (CUfunction fn, unsigned gridX, unsigned gridY, unsigned gridZ,            \
     unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,  \
     CUstream stream, void **params, void **extra))                            \
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

  /// The one checker: ok for CUDA_SUCCESS, otherwise
  /// "<call> failed: <error name> (<error string>)".
  Status check(CUresult result, const char *call) const {
    if (result == CUDA_SUCCESS)
      return Status::ok();
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
    return Status::error(std::move(message));
  }
};

/// Calls driver entry point `fn` of `driver` through the checker.
#define EMBER_CU(driver, fn, ...) (driver).check((driver).fn(__VA_ARGS__), #fn)

/// Returns from the enclosing function when `expr` is a failed Status.
#define EMBER_RETURN_IF_ERROR(expr)                                            \
  do {                                                                         \
    ::ember::rt::Status emberStatus_ = (expr);                                 \
    if (!emberStatus_)                                                         \
      return emberStatus_;                                                     \
  } while (false)

namespace {

/// Appends `context` to a failed status.
Status withContext(Status status, const std::string &context) {
  if (status)
    return status;
  return Status::error(status.message() + " " + context);
}

/// "2147483648 bytes (2.00 GiB)".
std::string formatBytes(size_t bytes) {
  char human[32];
  double b = static_cast<double>(bytes);
  if (bytes >= (size_t(1) << 30))
    std::snprintf(human, sizeof(human), "%.2f GiB", b / double(1 << 30));
  else if (bytes >= (size_t(1) << 20))
    std::snprintf(human, sizeof(human), "%.2f MiB", b / double(1 << 20));
  else if (bytes >= (size_t(1) << 10))
    std::snprintf(human, sizeof(human), "%.2f KiB", b / double(1 << 10));
  else
    return std::to_string(bytes) + " bytes";
  return std::to_string(bytes) + " bytes (" + human + ")";
}

//===----------------------------------------------------------------------===//
// The fake driver (EMBER_FAKE_CUDA=1)
//===----------------------------------------------------------------------===//

/// An in-process stand-in for libcuda with one device, "Ember Fake GPU"
/// (sm_90, 1 GiB). Device memory is host memory, so a CUdeviceptr is a host
/// address; work runs synchronously at the time it is queued. It checks what
/// the real driver checks where that is cheap (cuInit first, a current
/// context, addresses inside a live allocation) so the runtime's mistakes
/// show up here too. The only kernel is
///   ember_test_fill(float *out, float value)
/// which sets out[0 .. gridX*gridY*gridZ*blockX*blockY*blockZ) to value.
namespace fake {

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

} // namespace fake

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// cuInit and count the devices; records why the driver is unusable if so.
void initialize(Driver &d) {
  Status s = EMBER_CU(d, cuInit, 0);
  if (s)
    s = EMBER_CU(d, cuDeviceGetCount, &d.deviceCount);
  if (s && d.deviceCount <= 0)
    s = Status::error("no CUDA device found (cuDeviceGetCount reported " +
                      std::to_string(d.deviceCount) + ")");
  if (!s)
    d.deviceCount = 0;
  d.status = std::move(s);
}

Driver *loadSystemDriver() {
  auto *d = new Driver;
  d->kind = DriverKind::System;
  dlerror();
  d->library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!d->library) {
    const char *err = dlerror();
    d->status = Status::error(std::string("libcuda.so.1 not found: ") +
                              (err ? err : "unknown dlopen error"));
    return d;
  }
  // Resolve every entry point before calling any, so a driver too old for
  // Ember is reported as such instead of failing halfway.
#define EMBER_RESOLVE_ENTRY(name, params)                                      \
  if (void *sym = dlsym(d->library, #name)) {                                  \
    d->name = reinterpret_cast<decltype(d->name)>(sym);                        \
  } else {                                                                     \
    const char *err = dlerror();                                               \
    d->status = Status::error("libcuda.so.1 has no " #name ": " +              \
                              std::string(err ? err : "symbol not found"));    \
    return d;                                                                  \
  }
  EMBER_CUDA_DRIVER_API(EMBER_RESOLVE_ENTRY)
#undef EMBER_RESOLVE_ENTRY
  initialize(*d);
  return d;
}

Driver *loadFakeDriver() {
  auto *d = new Driver;
  d->kind = DriverKind::Fake;
#define EMBER_FAKE_ENTRY(name, params) d->name = fake::name;
  EMBER_CUDA_DRIVER_API(EMBER_FAKE_ENTRY)
#undef EMBER_FAKE_ENTRY
  initialize(*d);
  return d;
}

/// The driver of `kind`, loaded on first use. Never unloaded: device memory
/// and modules may be released during static destruction.
const Driver &driver(DriverKind kind) {
  if (kind == DriverKind::Fake) {
    static const Driver *fakeDriver = loadFakeDriver();
    return *fakeDriver;
  }
  static const Driver *systemDriver = loadSystemDriver();
  return *systemDriver;
}

} // namespace

//===----------------------------------------------------------------------===//
// Free functions
//===----------------------------------------------------------------------===//

DriverKind defaultDriverKind() {
  const char *fake = std::getenv("EMBER_FAKE_CUDA");
  return fake && std::strcmp(fake, "1") == 0 ? DriverKind::Fake
                                             : DriverKind::System;
}

const char *driverKindName(DriverKind kind) {
  return kind == DriverKind::Fake ? "fake" : "libcuda.so.1";
}

bool available(DriverKind kind) { return driver(kind).status.isOk(); }

std::string unavailableReason(DriverKind kind) {
  return driver(kind).status.message();
}

int deviceCount(DriverKind kind) { return driver(kind).deviceCount; }

std::string DeviceInfo::arch() const {
  return "sm_" + std::to_string(computeMajor * 10 + computeMinor);
}

StatusOr<DeviceInfo> deviceInfo(int ordinal, DriverKind kind) {
  StatusOr<Device *> device = Device::get(ordinal, kind);
  if (!device)
    return device.status();
  return (*device)->info();
}

size_t allocationSizeClass(size_t bytes) {
  constexpr size_t kMinimum = 256;
  if (bytes <= kMinimum)
    return kMinimum;
  size_t power = std::bit_floor(bytes);
  if (power == bytes)
    return bytes;
  size_t step = power / 4;
  if (bytes > SIZE_MAX - step)
    return bytes;
  return (bytes + step - 1) / step * step;
}

//===----------------------------------------------------------------------===//
// DeviceBuffer
//===----------------------------------------------------------------------===//

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, nullptr);
    address_ = std::exchange(other.address_, 0);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (device_)
    device_->release(address_, capacity_);
  device_ = nullptr;
  address_ = 0;
  size_ = 0;
  capacity_ = 0;
}

//===----------------------------------------------------------------------===//
// Module
//===----------------------------------------------------------------------===//

Module::~Module() {
  // A failure here cannot be reported; the checker still formats it, and the
  // result is dropped.
  if (device_->activate())
    (void)EMBER_CU(device_->driver_, cuModuleUnload,
                   static_cast<CUmodule>(handle_));
}

StatusOr<Function> Module::function(const std::string &name) const {
  EMBER_RETURN_IF_ERROR(device_->activate());
  CUfunction fn = nullptr;
  EMBER_RETURN_IF_ERROR(
      withContext(EMBER_CU(device_->driver_, cuModuleGetFunction, &fn,
                           static_cast<CUmodule>(handle_), name.c_str()),
                  "(looking up kernel '" + name + "')"));
  return Function(this, fn, name);
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

StatusOr<Device *> Device::get(int ordinal, DriverKind kind) {
  static std::mutex mutex;
  // Leaked: devices outlive every buffer, including static ones.
  static auto *devices = new std::map<std::pair<DriverKind, int>, Device *>;
  std::lock_guard lock(mutex);
  if (auto it = devices->find({kind, ordinal}); it != devices->end())
    return it->second;

  const Driver &d = driver(kind);
  if (!d.status)
    return Status::error(std::string("CUDA is not available (") +
                         driverKindName(kind) + "): " + d.status.message());
  if (ordinal < 0 || ordinal >= d.deviceCount)
    return Status::error("CUDA device " + std::to_string(ordinal) +
                         " does not exist: the driver reports " +
                         std::to_string(d.deviceCount) + " device(s)");

  std::unique_ptr<Device> device(new Device(d, kind, ordinal));
  CUdevice dev = 0;
  EMBER_RETURN_IF_ERROR(EMBER_CU(d, cuDeviceGet, &dev, ordinal));
  device->device_ = dev;
  CUcontext ctx = nullptr;
  EMBER_RETURN_IF_ERROR(EMBER_CU(d, cuDevicePrimaryCtxRetain, &ctx, dev));
  device->context_ = ctx;
  EMBER_RETURN_IF_ERROR(EMBER_CU(d, cuCtxSetCurrent, ctx));
  CUstream stream = nullptr;
  EMBER_RETURN_IF_ERROR(EMBER_CU(d, cuStreamCreate, &stream, 0u));
  device->stream_ = stream;
  char name[256] = {};
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(d, cuDeviceGetName, name, int(sizeof(name)), dev));
  device->name_ = name;

  Device *result = device.release();
  devices->emplace(std::make_pair(kind, ordinal), result);
  return result;
}

Status Device::activate() {
  return EMBER_CU(driver_, cuCtxSetCurrent, static_cast<CUcontext>(context_));
}

StatusOr<DeviceInfo> Device::info() {
  DeviceInfo info;
  info.ordinal = ordinal_;
  info.name = name_;
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuDeviceGetAttribute, &info.computeMajor,
               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuDeviceGetAttribute, &info.computeMinor,
               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuDeviceGetAttribute, &info.multiprocessorCount,
               CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuDeviceTotalMem_v2, &info.totalMemory, device_));
  EMBER_RETURN_IF_ERROR(activate());
  size_t total = 0;
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuMemGetInfo_v2, &info.freeMemory, &total));
  return info;
}

StatusOr<DeviceBuffer> Device::allocate(size_t bytes) {
  size_t capacity = allocationSizeClass(bytes);
  std::lock_guard lock(allocatorMutex_);
  if (auto it = freeLists_.find(capacity);
      it != freeLists_.end() && !it->second.empty()) {
    DevicePtr address = it->second.back();
    it->second.pop_back();
    stats_.cacheHits++;
    stats_.bytesCached -= capacity;
    stats_.bytesInUse += capacity;
    return DeviceBuffer(this, address, bytes, capacity);
  }

  EMBER_RETURN_IF_ERROR(activate());
  CUdeviceptr address = 0;
  CUresult result = driver_.cuMemAlloc_v2(&address, capacity);
  if (result == CUDA_ERROR_OUT_OF_MEMORY && stats_.bytesCached > 0) {
    // Blocks of other size classes may be what is missing.
    EMBER_RETURN_IF_ERROR(emptyCacheLocked());
    result = driver_.cuMemAlloc_v2(&address, capacity);
  }
  Status status = driver_.check(result, "cuMemAlloc_v2");
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    std::string message =
        status.message() + ": asked for " + formatBytes(bytes);
    if (capacity != bytes)
      message += " (size class " + std::to_string(capacity) + ")";
    message += " on device " + std::to_string(ordinal_) + " (" + name_ + "); ";
    size_t free = 0, total = 0;
    Status memInfo = EMBER_CU(driver_, cuMemGetInfo_v2, &free, &total);
    if (memInfo)
      message += formatBytes(free) + " free of " + formatBytes(total) +
                 " per cuMemGetInfo";
    else
      message += "free memory unknown: " + memInfo.message();
    return Status::error(std::move(message));
  }
  EMBER_RETURN_IF_ERROR(status);
  stats_.driverAllocations++;
  stats_.bytesInUse += capacity;
  return DeviceBuffer(this, address, bytes, capacity);
}

void Device::release(DevicePtr address, size_t capacity) {
  // Reuse is safe without waiting: all work is on the one stream, so anything
  // queued later runs after whatever still reads or writes the block.
  std::lock_guard lock(allocatorMutex_);
  freeLists_[capacity].push_back(address);
  stats_.bytesInUse -= capacity;
  stats_.bytesCached += capacity;
}

Status Device::emptyCache() {
  std::lock_guard lock(allocatorMutex_);
  return emptyCacheLocked();
}

Status Device::emptyCacheLocked() {
  if (stats_.bytesCached == 0)
    return Status::ok();
  EMBER_RETURN_IF_ERROR(activate());
  // Pending work may still use a cached block.
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuStreamSynchronize, static_cast<CUstream>(stream_)));
  Status first = Status::ok();
  for (auto &[capacity, blocks] : freeLists_) {
    for (DevicePtr address : blocks) {
      Status s = EMBER_CU(driver_, cuMemFree_v2, address);
      if (first && !s)
        first = std::move(s);
    }
    blocks.clear();
  }
  freeLists_.clear();
  stats_.bytesCached = 0;
  return first;
}

AllocatorStats Device::allocatorStats() const {
  std::lock_guard lock(allocatorMutex_);
  return stats_;
}

Status Device::checkRange(const DeviceBuffer &buffer, size_t offset,
                          size_t bytes, const char *what) const {
  if (!buffer)
    return Status::error(std::string(what) + " is an empty DeviceBuffer");
  if (buffer.device() != this)
    return Status::error(std::string(what) + " belongs to CUDA device " +
                         std::to_string(buffer.device()->ordinal()) +
                         " of another driver or ordinal, not device " +
                         std::to_string(ordinal_));
  if (offset > buffer.size() || bytes > buffer.size() - offset)
    return Status::error(std::string(what) + ": bytes [" +
                         std::to_string(offset) + ", " +
                         std::to_string(offset + bytes) + ") are outside the " +
                         std::to_string(buffer.size()) + "-byte buffer");
  return Status::ok();
}

Status Device::copyToDevice(const DeviceBuffer &dst, const void *src,
                            size_t bytes, size_t dstOffset) {
  EMBER_RETURN_IF_ERROR(
      checkRange(dst, dstOffset, bytes, "copyToDevice destination"));
  if (bytes == 0)
    return Status::ok();
  if (!src)
    return Status::error("copyToDevice: the host source is null");
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_CU(driver_, cuMemcpyHtoDAsync_v2, dst.address() + dstOffset, src,
                  bytes, static_cast<CUstream>(stream_));
}

Status Device::copyToHost(void *dst, const DeviceBuffer &src, size_t bytes,
                          size_t srcOffset) {
  EMBER_RETURN_IF_ERROR(checkRange(src, srcOffset, bytes, "copyToHost source"));
  if (bytes == 0)
    return Status::ok();
  if (!dst)
    return Status::error("copyToHost: the host destination is null");
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_CU(driver_, cuMemcpyDtoHAsync_v2, dst, src.address() + srcOffset,
                  bytes, static_cast<CUstream>(stream_));
}

Status Device::copyDeviceToDevice(DevicePtr dst, DevicePtr src, size_t bytes) {
  if (bytes == 0)
    return Status::ok();
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_CU(driver_, cuMemcpyDtoDAsync_v2, dst, src, bytes,
                  static_cast<CUstream>(stream_));
}

Status Device::setBytes(const DeviceBuffer &dst, uint8_t value, size_t bytes,
                        size_t offset) {
  EMBER_RETURN_IF_ERROR(checkRange(dst, offset, bytes, "setBytes destination"));
  if (bytes == 0)
    return Status::ok();
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_CU(driver_, cuMemsetD8Async, dst.address() + offset, value,
                  bytes, static_cast<CUstream>(stream_));
}

StatusOr<std::unique_ptr<Module>> Device::loadModule(const std::string &image) {
  EMBER_RETURN_IF_ERROR(activate());
  CUmodule module = nullptr;
  // PTX must be NUL-terminated; std::string guarantees it.
  EMBER_RETURN_IF_ERROR(
      EMBER_CU(driver_, cuModuleLoadData, &module, image.c_str()));
  return std::unique_ptr<Module>(new Module(this, module));
}

Status Device::launch(const Function &function, std::array<unsigned, 3> grid,
                      std::array<unsigned, 3> block, unsigned sharedBytes,
                      std::vector<void *> args) {
  if (!function.module_ || &function.module_->device() != this)
    return Status::error("kernel '" + function.name() +
                         "' was loaded on another device");
  EMBER_RETURN_IF_ERROR(activate());
  return withContext(EMBER_CU(driver_, cuLaunchKernel,
                              static_cast<CUfunction>(function.handle_),
                              grid[0], grid[1], grid[2], block[0], block[1],
                              block[2], sharedBytes,
                              static_cast<CUstream>(stream_),
                              args.empty() ? nullptr : args.data(), nullptr),
                     "(launching kernel '" + function.name() + "')");
}

Status Device::synchronize() {
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_CU(driver_, cuStreamSynchronize, static_cast<CUstream>(stream_));
}

} // namespace ember::rt::cuda
