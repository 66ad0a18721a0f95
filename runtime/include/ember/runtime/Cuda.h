//===- Cuda.h - NVIDIA GPUs through the CUDA driver API ---------*- C++ -*-===//
//
// Part of Ember. The runtime's CUDA layer. The driver (libcuda.so.1) is
// opened with dlopen the first time it is needed, so the runtime builds and
// runs on machines with no GPU, no driver and no CUDA toolkit: there,
// available() is false and unavailableReason() says why.
//
// Setting EMBER_FAKE_CUDA=1 swaps in an in-process fake driver (tinygrad's
// MOCKGPU, runtime/lib/cuda/FakeDriver.cpp) with one 1 GiB device backed by
// host memory, so allocation, copy and launch logic can be tested without
// hardware, and kernels compiled for the host (GpuPlan::hostCode) run on it.
// Every function that picks a driver also takes a DriverKind, so one process
// can use both.
//
// This header includes no CUDA header: driver handles are opaque here.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_CUDA_H
#define EMBER_RUNTIME_CUDA_H

#include "ember/runtime/Status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <functional>
#include <unordered_map>
#include <vector>

namespace ember::rt::cuda {

/// Which implementation of the driver API to use.
enum class DriverKind : uint8_t {
  /// libcuda.so.1, loaded with dlopen.
  System,
  /// The in-process fake: one device, "Ember Fake GPU" (sm_90, 1 GiB), whose
  /// memory is host memory. It runs kernels compiled for the host (an ELF
  /// module, GpuPlan.h's host-code ABI); a PTX module holds only the
  /// built-in `ember_test_fill`.
  Fake,
};

/// The driver used when none is named: Fake when the environment variable
/// EMBER_FAKE_CUDA is "1", System otherwise. Read on every call.
DriverKind defaultDriverKind();

/// The driver's name for `kind` ("libcuda.so.1" or "fake").
const char *driverKindName(DriverKind kind);

/// True when the driver loads, cuInit succeeds and there is at least one
/// device.
bool available(DriverKind kind = defaultDriverKind());

/// Why available() is false, e.g. "libcuda.so.1 not found: <dlerror>" or
/// "cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is
/// detected)". Empty when the driver is available.
std::string unavailableReason(DriverKind kind = defaultDriverKind());

/// Number of devices; 0 when the driver is not available.
int deviceCount(DriverKind kind = defaultDriverKind());

/// What one device is.
struct DeviceInfo {
  /// Ordinal of the device, as cuDeviceGet numbers them.
  int ordinal = 0;
  /// Marketing name, e.g. "NVIDIA H200".
  std::string name;
  /// Compute capability.
  int computeMajor = 0;
  int computeMinor = 0;
  /// Number of streaming multiprocessors.
  int multiprocessorCount = 0;
  /// Device memory, in bytes. `freeMemory` is what cuMemGetInfo reports when
  /// asked, so it does not count blocks the caching allocator holds.
  size_t totalMemory = 0;
  size_t freeMemory = 0;

  /// The PTX target name of the compute capability, e.g. "sm_90".
  std::string arch() const;
};

/// Describes device `ordinal`. This retains the device's primary context.
StatusOr<DeviceInfo> deviceInfo(int ordinal,
                                DriverKind kind = defaultDriverKind());

/// The size class the caching allocator rounds `bytes` up to: at least 256
/// bytes, then four classes per power of two (256, 320, 384, 448, 512, 640,
/// ...), so at most a quarter of a block is wasted.
size_t allocationSizeClass(size_t bytes);

/// A device address, as the driver's CUdeviceptr.
using DevicePtr = uint64_t;

class Device;
class Module;
struct Driver;

/// A block of device memory from a Device's caching allocator. Move-only;
/// destroying it returns the block to the device's free list (not to the
/// driver). The memory is not initialised.
class DeviceBuffer {
public:
  /// An empty buffer, owning nothing.
  DeviceBuffer() = default;
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;

  /// Device address of the first byte; 0 when empty.
  DevicePtr address() const { return address_; }
  /// Bytes asked for.
  size_t size() const { return size_; }
  /// Bytes actually reserved (the size class).
  size_t capacity() const { return capacity_; }
  /// The device owning the memory; null when empty.
  Device *device() const { return device_; }
  explicit operator bool() const { return device_ != nullptr; }

  /// Returns the block to the device's cache and leaves this buffer empty.
  void reset();

private:
  friend class Device;
  DeviceBuffer(Device *device, DevicePtr address, size_t size, size_t capacity)
      : device_(device), address_(address), size_(size), capacity_(capacity) {}
  Device *device_ = nullptr;
  DevicePtr address_ = 0;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// A kernel in a loaded Module. Valid while its Module is alive.
class Function {
public:
  /// The kernel's name, as in the PTX `.entry`.
  const std::string &name() const { return name_; }
  /// The module the kernel lives in.
  const Module *module() const { return module_; }

private:
  friend class Module;
  friend class Device;
  Function(const Module *module, void *handle, std::string name)
      : module_(module), handle_(handle), name_(std::move(name)) {}
  const Module *module_;
  void *handle_;
  std::string name_;
};

/// Code loaded onto one device with cuModuleLoadData. Unloaded on
/// destruction.
class Module {
public:
  ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// Looks up the kernel called `name` (cuModuleGetFunction).
  StatusOr<Function> function(const std::string &name) const;

  /// The device the module is loaded on.
  Device &device() const { return *device_; }

private:
  friend class Device;
  Module(Device *device, void *handle) : device_(device), handle_(handle) {}
  Device *device_;
  void *handle_;
};

/// A recorded sequence of a device's stream operations, instantiated
/// (a CUDA graph's executable form, CUgraphExec): Device::capture makes one,
/// Device::launch(const Graph &) replays it. Destroyed with the object.
class Graph {
public:
  ~Graph();
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

private:
  friend class Device;
  Graph(Device *device, void *exec) : device_(device), exec_(exec) {}
  Device *device_;
  void *exec_; // CUgraphExec
};

/// Counters of a Device's caching allocator.
struct AllocatorStats {
  /// Bytes (by size class) in live DeviceBuffers.
  size_t bytesInUse = 0;
  /// Bytes held in the free lists, allocated from the driver but unused.
  size_t bytesCached = 0;
  /// Calls to cuMemAlloc_v2 that succeeded.
  size_t driverAllocations = 0;
  /// Allocations served from the free lists.
  size_t cacheHits = 0;
};

/// One GPU: its primary context, one stream every operation is queued on, and
/// a caching allocator. Devices are created on first use and live until the
/// process exits. All methods may be called from any thread; each makes the
/// device's context current on the calling thread first.
class Device {
public:
  /// The device `ordinal` of driver `kind`, created on first use.
  static StatusOr<Device *> get(int ordinal,
                                DriverKind kind = defaultDriverKind());

  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  int ordinal() const { return ordinal_; }
  DriverKind driverKind() const { return kind_; }

  /// Name, compute capability and memory of this device.
  StatusOr<DeviceInfo> info();

  //===--------------------------------------------------------------------===//
  // Memory
  //===--------------------------------------------------------------------===//

  /// Allocates at least `bytes` bytes, reusing a freed block of the same size
  /// class when there is one. When the driver is out of memory the cache is
  /// emptied and the allocation retried once; if it still fails, the Status
  /// names the bytes asked for and the bytes cuMemGetInfo reports free.
  StatusOr<DeviceBuffer> allocate(size_t bytes);

  /// Gives every cached (free) block back to the driver.
  Status emptyCache();

  /// The allocator's counters.
  AllocatorStats allocatorStats() const;

  //===--------------------------------------------------------------------===//
  // Work on the stream. Everything below is asynchronous: host memory passed
  // in must stay valid, and results copied to the host must not be read,
  // until synchronize() returns.
  //===--------------------------------------------------------------------===//

  /// Queues a copy of `bytes` bytes from host `src` to `dst` at `dstOffset`.
  Status copyToDevice(const DeviceBuffer &dst, const void *src, size_t bytes,
                      size_t dstOffset = 0);

  /// Queues a copy of `bytes` bytes from `src` at `srcOffset` to host `dst`.
  Status copyToHost(void *dst, const DeviceBuffer &src, size_t bytes,
                    size_t srcOffset = 0);

  /// Queues a copy of `bytes` bytes between two device addresses.
  Status copyDeviceToDevice(DevicePtr dst, DevicePtr src, size_t bytes);

  /// Queues setting `bytes` bytes of `dst` from `offset` to `value`.
  Status setBytes(const DeviceBuffer &dst, uint8_t value, size_t bytes,
                  size_t offset = 0);

  /// Loads PTX (or a cubin/fatbin image) with cuModuleLoadData. The fake
  /// driver also takes an ELF shared object of kernels compiled for the host
  /// (the emulated device).
  StatusOr<std::unique_ptr<Module>> loadModule(const std::string &image);

  /// Queues `function` on a `grid` of blocks of `block` threads with
  /// `sharedBytes` bytes of dynamic shared memory. As with cuLaunchKernel,
  /// `args` holds one pointer per kernel parameter, pointing at the value:
  /// for a buffer parameter, a pointer to a DevicePtr.
  Status launch(const Function &function, std::array<unsigned, 3> grid,
                std::array<unsigned, 3> block, unsigned sharedBytes,
                std::vector<void *> args);

  /// Waits until all queued work on the stream has finished and reports the
  /// first error it raised.
  Status synchronize();

  /// Records what `issue` queues on the stream (launches, device-to-device
  /// copies, memsets; cuStreamBeginCapture in relaxed mode) instead of
  /// running it, and instantiates it. The stream is held for the whole
  /// capture: other threads' work on this device waits rather than join the
  /// graph. Kernel arguments are copied at capture; the buffers they name
  /// must be alive whenever the graph is launched.
  StatusOr<std::unique_ptr<Graph>> capture(const std::function<Status()> &issue);

  /// Queues `graph` (cuGraphLaunch), which must have been captured here.
  Status launch(const Graph &graph);

  /// Queues another library's work on this device's stream (NCCL's
  /// collectives, nccl::Communicator): `queue` is called with the stream (a
  /// CUstream), the device's context current on this thread and the stream
  /// held, and returns what that library said. While a capture is under way
  /// the work joins the graph, as the library's stream operations do.
  Status queueOnStream(const std::function<Status(void *stream)> &queue);

private:
  friend class DeviceBuffer;
  friend class Module;
  friend class Graph;
  Device(const Driver &driver, DriverKind kind, int ordinal)
      : driver_(driver), kind_(kind), ordinal_(ordinal) {}

  /// Makes the context current on this thread; fails, naming the first
  /// fault, once a call has reported a sticky error.
  Status activate();
  /// Driver::check for a Device's calls: a sticky error (a kernel fault,
  /// after which the driver fails every call in the process) is remembered,
  /// and the message says the device is lost and how to find the kernel.
  /// `result` is a CUresult; `context`, when given, is appended to a failure
  /// (e.g. which kernel was launched).
  Status checked(int result, const char *call, const std::string &context = {});
  /// Rejects a buffer of another device or a range outside it.
  Status checkRange(const DeviceBuffer &buffer, size_t offset, size_t bytes,
                    const char *what) const;
  /// Puts a block back on its free list (DeviceBuffer::reset).
  void release(DevicePtr address, size_t capacity);
  /// emptyCache() with the allocator lock already held.
  Status emptyCacheLocked();

  const Driver &driver_;
  DriverKind kind_;
  int ordinal_;
  int device_ = 0;          // CUdevice
  void *context_ = nullptr; // CUcontext
  void *stream_ = nullptr;  // CUstream
  std::string name_;
  /// The message of the first sticky error; empty while there is none.
  std::mutex faultMutex_;
  std::string fault_;

  /// Held by every operation that queues work on the stream, and across a
  /// whole capture (recursive: the capture's own operations take it too).
  std::recursive_mutex streamMutex_;
  mutable std::mutex allocatorMutex_;
  std::unordered_map<size_t, std::vector<DevicePtr>> freeLists_;
  AllocatorStats stats_;
};

} // namespace ember::rt::cuda

#endif // EMBER_RUNTIME_CUDA_H
