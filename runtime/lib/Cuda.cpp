//===- Cuda.cpp - NVIDIA GPUs through the CUDA driver API -----------------===//
//
// Part of Ember. The driver is reached only through a table of function
// pointers (Driver, cuda/Driver.h): filled here by dlsym from libcuda.so.1,
// or by the fake driver (cuda/FakeDriver.cpp, a test double that lives
// apart). Every call goes through Driver::check, which turns a failing
// CUresult into a Status naming the call and the driver's error, e.g.
// "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
//
// No CUDA header is included: the few driver types and constants used are
// declared in cuda/Driver.h with the driver API's ABI, so building needs no
// toolkit.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Cuda.h"
#include "cuda/Driver.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <utility>

namespace ember::rt::cuda {

/// Calls driver entry point `fn` from a Device method through Device::checked,
/// which remembers a sticky error.
#define EMBER_DEVICE_CU(fn, ...) checked(driver_.fn(__VA_ARGS__), #fn)

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
  installFakeDriver(*d);
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
  EMBER_RETURN_IF_ERROR(device_->checked(
      device_->driver_.cuModuleGetFunction(&fn, static_cast<CUmodule>(handle_),
                                           name.c_str()),
      "cuModuleGetFunction", "(looking up kernel '" + name + "')"));
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
  {
    std::lock_guard lock(faultMutex_);
    if (!fault_.empty())
      return Status::error("CUDA device " + std::to_string(ordinal_) + " (" +
                           name_ +
                           ") cannot be used any more in this process: an "
                           "earlier call reported an error that the driver "
                           "makes sticky (" +
                           fault_ +
                           "). Every later CUDA call fails; restart the "
                           "process.");
  }
  return EMBER_DEVICE_CU(cuCtxSetCurrent, static_cast<CUcontext>(context_));
}

Status Device::checked(int result, const char *call,
                       const std::string &context) {
  Status status = driver_.check(static_cast<CUresult>(result), call);
  if (!context.empty())
    status = withContext(std::move(status), context);
  if (status || !isStickyError(static_cast<CUresult>(result)))
    return status;
  std::lock_guard lock(faultMutex_);
  if (fault_.empty())
    fault_ = status.message();
  return Status::error(
      status.message() + ". This error is sticky: CUDA device " +
      std::to_string(ordinal_) + " (" + name_ +
      ") cannot run anything more in this process, so restart it. To find "
      "the faulting kernel, run the program under compute-sanitizer "
      "(scripts/gpu-check runs each GPU test so, in its own process)");
}

StatusOr<DeviceInfo> Device::info() {
  DeviceInfo info;
  info.ordinal = ordinal_;
  info.name = name_;
  EMBER_RETURN_IF_ERROR(
      EMBER_DEVICE_CU(cuDeviceGetAttribute, &info.computeMajor,
               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_DEVICE_CU(cuDeviceGetAttribute, &info.computeMinor,
               CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_DEVICE_CU(cuDeviceGetAttribute, &info.multiprocessorCount,
               CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device_));
  EMBER_RETURN_IF_ERROR(
      EMBER_DEVICE_CU(cuDeviceTotalMem_v2, &info.totalMemory, device_));
  EMBER_RETURN_IF_ERROR(activate());
  size_t total = 0;
  EMBER_RETURN_IF_ERROR(
      EMBER_DEVICE_CU(cuMemGetInfo_v2, &info.freeMemory, &total));
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
  Status status = checked(result, "cuMemAlloc_v2");
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    std::string message =
        status.message() + ": asked for " + formatBytes(bytes);
    if (capacity != bytes)
      message += " (size class " + std::to_string(capacity) + ")";
    message += " on device " + std::to_string(ordinal_) + " (" + name_ + "); ";
    size_t free = 0, total = 0;
    Status memInfo = EMBER_DEVICE_CU(cuMemGetInfo_v2, &free, &total);
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
      EMBER_DEVICE_CU(cuStreamSynchronize, static_cast<CUstream>(stream_)));
  Status first = Status::ok();
  for (auto &[capacity, blocks] : freeLists_) {
    for (DevicePtr address : blocks) {
      Status s = EMBER_DEVICE_CU(cuMemFree_v2, address);
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
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(
      checkRange(dst, dstOffset, bytes, "copyToDevice destination"));
  if (bytes == 0)
    return Status::ok();
  if (!src)
    return Status::error("copyToDevice: the host source is null");
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuMemcpyHtoDAsync_v2, dst.address() + dstOffset, src,
                  bytes, static_cast<CUstream>(stream_));
}

Status Device::copyToHost(void *dst, const DeviceBuffer &src, size_t bytes,
                          size_t srcOffset) {
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(checkRange(src, srcOffset, bytes, "copyToHost source"));
  if (bytes == 0)
    return Status::ok();
  if (!dst)
    return Status::error("copyToHost: the host destination is null");
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuMemcpyDtoHAsync_v2, dst, src.address() + srcOffset,
                  bytes, static_cast<CUstream>(stream_));
}

Status Device::copyDeviceToDevice(DevicePtr dst, DevicePtr src, size_t bytes) {
  std::lock_guard stream(streamMutex_);
  if (bytes == 0)
    return Status::ok();
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuMemcpyDtoDAsync_v2, dst, src, bytes,
                  static_cast<CUstream>(stream_));
}

Status Device::queueOnStream(const std::function<Status(void *)> &queue) {
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(activate());
  return queue(stream_);
}

Status Device::setBytes(const DeviceBuffer &dst, uint8_t value, size_t bytes,
                        size_t offset) {
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(checkRange(dst, offset, bytes, "setBytes destination"));
  if (bytes == 0)
    return Status::ok();
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuMemsetD8Async, dst.address() + offset, value,
                  bytes, static_cast<CUstream>(stream_));
}

StatusOr<std::unique_ptr<Module>> Device::loadModule(const std::string &image) {
  EMBER_RETURN_IF_ERROR(activate());
  CUmodule module = nullptr;
  // The JIT's error log says what is wrong with PTX it rejects (ptxas's
  // messages); the driver writes the size it used back into the option.
  std::string log(16 * 1024, '\0');
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log.data(), reinterpret_cast<void *>(log.size())};
  // PTX must be NUL-terminated; std::string guarantees it.
  Status loaded = EMBER_DEVICE_CU(cuModuleLoadDataEx, &module, image.c_str(),
                           2, options, values);
  if (!loaded) {
    log.resize(std::strlen(log.c_str()));
    return log.empty() ? loaded
                       : Status::error(loaded.message() +
                                       "; the JIT's error log:\n" + log);
  }
  return std::unique_ptr<Module>(new Module(this, module));
}

Status Device::launch(const Function &function, std::array<unsigned, 3> grid,
                      std::array<unsigned, 3> block, unsigned sharedBytes,
                      std::vector<void *> args) {
  std::lock_guard stream(streamMutex_);
  if (!function.module_ || &function.module_->device() != this)
    return Status::error("kernel '" + function.name() +
                         "' was loaded on another device");
  EMBER_RETURN_IF_ERROR(activate());
  return checked(driver_.cuLaunchKernel(
                     static_cast<CUfunction>(function.handle_), grid[0],
                     grid[1], grid[2], block[0], block[1], block[2],
                     sharedBytes, static_cast<CUstream>(stream_),
                     args.empty() ? nullptr : args.data(), nullptr),
                 "cuLaunchKernel",
                 "(launching kernel '" + function.name() + "')");
}

Status Device::synchronize() {
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuStreamSynchronize, static_cast<CUstream>(stream_));
}

Graph::~Graph() {
  if (exec_)
    (void)EMBER_CU(device_->driver_, cuGraphExecDestroy,
                   static_cast<CUgraphExec>(exec_));
}

StatusOr<std::unique_ptr<Graph>>
Device::capture(const std::function<Status()> &issue) {
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(activate());
  auto s = static_cast<CUstream>(stream_);
  // Relaxed: the caller may allocate (cuMemAlloc) while capturing.
  EMBER_RETURN_IF_ERROR(EMBER_DEVICE_CU(cuStreamBeginCapture_v2, s,
                                 CU_STREAM_CAPTURE_MODE_RELAXED));
  Status issued = issue();
  CUgraph graph = nullptr;
  Status ended = EMBER_DEVICE_CU(cuStreamEndCapture, s, &graph);
  if (!issued || !ended) {
    if (graph)
      (void)EMBER_DEVICE_CU(cuGraphDestroy, graph);
    return !issued ? issued : ended;
  }
  CUgraphExec exec = nullptr;
  Status made = EMBER_DEVICE_CU(cuGraphInstantiateWithFlags, &exec, graph, 0);
  (void)EMBER_DEVICE_CU(cuGraphDestroy, graph);
  EMBER_RETURN_IF_ERROR(made);
  return std::unique_ptr<Graph>(new Graph(this, exec));
}

Status Device::launch(const Graph &graph) {
  if (graph.device_ != this)
    return Status::error("the CUDA graph was captured on another device");
  std::lock_guard stream(streamMutex_);
  EMBER_RETURN_IF_ERROR(activate());
  return EMBER_DEVICE_CU(cuGraphLaunch, static_cast<CUgraphExec>(graph.exec_),
                  static_cast<CUstream>(stream_));
}

} // namespace ember::rt::cuda
