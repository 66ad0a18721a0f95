//===- FakeDriver.cpp - An in-process CUDA driver for tests ---------------===//
//
// Part of Ember. The fake driver (EMBER_FAKE_CUDA=1, DriverKind::Fake): an
// in-process stand-in for libcuda with one device, "Ember Fake GPU" (sm_90,
// 1 GiB), that fills the same table of entry points (Driver, cuda/Driver.h)
// the production code in Cuda.cpp fills from libcuda.so.1.
//
// Device memory is host memory: a CUdeviceptr is the host address of the
// bytes, usable directly. Fresh allocations are filled with 0xFF bytes (NaN
// as float32), so reading memory nobody wrote shows up. Work runs
// synchronously at the time it is queued. It checks what the real driver
// checks where that is cheap (cuInit first, a current context, addresses
// inside a live allocation, sm_90's launch limits) so the runtime's mistakes
// show up here too; a failing call may leave a detail for the checker
// (Driver::takeErrorDetail), e.g. which launch limit was exceeded. A kernel
// fault (an illegal address, a failed emulated launch) is sticky as on the
// real driver: every later call that needs the context returns it, so tests
// that fault run in a process of their own.
//
// Modules are of two kinds:
// - an ELF shared object (the image starts with \x7fELF; its size comes
//   from the ELF header) is an emulated module: kernels compiled for the
//   host (GpuPlan.h: void <name>(void **params, const uint32_t ids[12],
//   void *shared), one call per thread, with the constants
//   <name>_shared_bytes and <name>_barriers beside it). It is loaded from
//   memory with dlopen, functions are its symbols, its
//   ember_emu_barrier_hook and ember_emu_shuffle_hook are set to the
//   emulator's barrier and warp shuffle, and a launch runs every thread of
//   every block as a GPU would, with each block's shared memory, barriers
//   and warp shuffles (Emulator.cpp); a launch also keeps sm_90's
//   limit on static shared memory (48 KiB per block);
// - anything else (PTX text) holds one built-in kernel,
//     ember_test_fill(float *out, float value)
//   which sets out[0 .. gridX*gridY*gridZ*blockX*blockY*blockZ) to value.
//
//===----------------------------------------------------------------------===//

#include "cuda/Driver.h"
#include "MemoryLibrary.h"
#include "cuda/Emulator.h"
#include "ember/runtime/GpuPlan.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <functional>
#include <link.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace ember::rt::cuda {

namespace {

constexpr size_t kTotalMemory = size_t(1) << 30;
constexpr const char *kDeviceName = "Ember Fake GPU";
constexpr const char *kFillKernel = "ember_test_fill";

struct FakeFunction {
  /// An emulated kernel: its name, host code and constants; a null entry for
  /// ember_test_fill.
  emu::Kernel kernel;
  /// The bytes of each parameter's value (ember_emu_kernel_<i>_param_bytes),
  /// for copying kernelParams into a graph; unknown (a launch cannot be
  /// captured) for host code without them.
  std::optional<std::vector<uint32_t>> paramBytes;
};

/// One operation recorded while a stream is captured, with copies of its
/// kernel arguments' values.
struct Recorded {
  enum class Kind : uint8_t { Launch, Copy, Set, Host } kind = Kind::Launch;
  CUfunction fn = nullptr;
  unsigned grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
  std::vector<std::vector<uint8_t>> params;
  CUdeviceptr dst = 0, src = 0;
  size_t bytes = 0;
  unsigned char value = 0;
  /// Host: another library's operation (fakeStreamOperation) and the
  /// memory it touches.
  std::function<void()> run;
  std::vector<std::pair<CUdeviceptr, size_t>> ranges;
};

/// A captured graph (CUgraph) and an instantiated one (CUgraphExec) alike.
struct FakeGraph {
  std::vector<Recorded> ops;
};

struct FakeModule {
  /// An emulated module's shared object; empty for a text module.
  detail::MemoryLibrary library;
  /// The emulated module's functions looked up so far, by name.
  std::map<std::string, std::unique_ptr<FakeFunction>> functions;
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
  /// Functions of live emulated modules.
  std::set<CUfunction> functions;
  /// Streams being captured, and what they recorded so far.
  std::map<CUstream, FakeGraph> capturing;
  /// Live CUgraph and CUgraphExec handles.
  std::set<FakeGraph *> graphs, execs;
  /// The first sticky error (a kernel fault), returned by every later call
  /// that needs the context, as the real driver does; CUDA_SUCCESS until one.
  CUresult sticky = CUDA_SUCCESS;
};

State &state() {
  // Leaked, so that buffers freed during static destruction still work.
  static State *s = new State;
  return *s;
}

/// What the last failing call on this thread had to say beyond its CUresult.
std::string &errorDetail() {
  thread_local std::string detail;
  return detail;
}

/// Records `detail` for the checker and returns `result`.
CUresult fail(CUresult result, std::string detail) {
  errorDetail() = std::move(detail);
  return result;
}

std::string takeErrorDetail() { return std::exchange(errorDetail(), {}); }

/// The primary context: any unique non-null address serves as its handle.
int contextTag;
CUcontext primaryContext() { return reinterpret_cast<CUcontext>(&contextTag); }
thread_local CUcontext currentContext = nullptr;

FakeFunction fillFunction{{kFillKernel}};

/// The checks every call after cuInit makes.
CUresult ready(State &s, bool needsContext) {
  if (!s.initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (needsContext && currentContext != primaryContext())
    return CUDA_ERROR_INVALID_CONTEXT;
  if (needsContext && s.sticky != CUDA_SUCCESS)
    return fail(s.sticky, "a sticky error from an earlier kernel fault");
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

/// What `stream` records into while it is captured; null otherwise.
FakeGraph *captureOf(State &s, CUstream stream) {
  auto it = s.capturing.find(stream);
  return it == s.capturing.end() ? nullptr : &it->second;
}

/// The error of an operation a capture cannot record (as the real driver's
/// for pageable host copies and synchronisation).
CUresult notCapturable(const char *what) {
  return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
              std::string(what) + " on a stream being captured");
}

//===----------------------------------------------------------------------===//
// Device, context, memory and streams
//===----------------------------------------------------------------------===//

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
  // Uninitialised device memory reads as 0xFF bytes: NaN as float32, -1 as
  // an integer, so a kernel reading what nobody wrote is caught.
  std::memset(p, 0xff, rounded);
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
  if (captureOf(s, stream))
    return notCapturable("a copy from host memory");
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
  if (captureOf(s, stream))
    return notCapturable("a copy to host memory");
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
  if (FakeGraph *g = captureOf(s, stream)) {
    Recorded op;
    op.kind = Recorded::Kind::Copy;
    op.dst = dst;
    op.src = src;
    op.bytes = bytes;
    g->ops.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
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
  if (FakeGraph *g = captureOf(s, stream)) {
    Recorded op;
    op.kind = Recorded::Kind::Set;
    op.dst = dst;
    op.bytes = count;
    op.value = value;
    g->ops.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
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
  if (CUresult r = streamReady(s, stream))
    return r;
  if (captureOf(s, stream))
    return notCapturable("synchronising");
  // Work already ran when it was queued.
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!s.streams.erase(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  s.capturing.erase(stream);
  delete reinterpret_cast<char *>(stream);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

/// The largest emulated module accepted.
constexpr uint64_t kMaxImageBytes = uint64_t(1) << 30;

/// True when `image` starts with the ELF magic. Compares byte by byte, so a
/// shorter NUL-terminated text is never read past its end.
bool isElf(const void *image) {
  const auto *p = static_cast<const unsigned char *>(image);
  return p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
}

/// The size of the ELF shared object at `image`, which cuModuleLoadDataEx is
/// not told: the end of the section header table, which linkers write last.
/// The header is sanity-checked first and the program headers and every
/// section must lie inside that size. 0, with the reason in `why`, when the
/// header is not sane.
uint64_t elfImageSize(const void *image, std::string &why) {
  Elf64_Ehdr h;
  std::memcpy(&h, image, sizeof h);
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB) {
    why = "not a 64-bit little-endian ELF object";
    return 0;
  }
  if (h.e_type != ET_DYN) {
    why = "not a shared object (e_type " + std::to_string(h.e_type) + ")";
    return 0;
  }
  if (h.e_ehsize != sizeof(Elf64_Ehdr) ||
      h.e_shentsize != sizeof(Elf64_Shdr) || h.e_shnum == 0 ||
      h.e_shnum >= SHN_LORESERVE || h.e_shoff < sizeof(Elf64_Ehdr) ||
      (h.e_phnum != 0 && h.e_phentsize != sizeof(Elf64_Phdr))) {
    why = "invalid header sizes or section header table";
    return 0;
  }
  uint64_t tableBytes = uint64_t(h.e_shnum) * h.e_shentsize;
  if (h.e_shoff > kMaxImageBytes || tableBytes > kMaxImageBytes - h.e_shoff) {
    why = "the section header table ends past 1 GiB";
    return 0;
  }
  uint64_t size = h.e_shoff + tableBytes;
  if (h.e_phoff > size ||
      uint64_t(h.e_phnum) * h.e_phentsize > size - h.e_phoff) {
    why = "the program headers lie past the section header table";
    return 0;
  }
  const auto *bytes = static_cast<const unsigned char *>(image);
  for (unsigned i = 0; i < h.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, bytes + h.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    if (sh.sh_type == SHT_NOBITS)
      continue;
    if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset) {
      why = "section " + std::to_string(i) +
            " lies past the section header table";
      return 0;
    }
  }
  return size;
}

/// The address of `name` when the emulated module `handle` itself defines it
/// (dlsym also searches its dependencies, libc's symbols say); null if not.
void *ownSymbol(void *handle, const std::string &name) {
  dlerror();
  void *sym = dlsym(handle, name.c_str());
  Dl_info info;
  void *owner = nullptr;
  void *self = nullptr;
  if (!sym || !dladdr1(sym, &info, &owner, RTLD_DL_LINKMAP) ||
      dlinfo(handle, RTLD_DI_LINKMAP, &self) != 0 || owner != self) {
    dlerror();
    return nullptr;
  }
  return sym;
}

/// Where cuModuleLoadDataEx's caller wants the error log: the buffer and
/// its size, from the options; null when none was given.
struct JitLog {
  char *buffer = nullptr;
  size_t size = 0;
};

CUresult loadModule(CUmodule *module, const void *image);

CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                            unsigned numOptions, CUjit_option *options,
                            void **values) {
  JitLog log;
  if (numOptions && (!options || !values))
    return CUDA_ERROR_INVALID_VALUE;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      log.buffer = static_cast<char *>(values[i]);
    else if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      log.size = reinterpret_cast<uintptr_t>(values[i]);
    else
      return fail(CUDA_ERROR_INVALID_VALUE,
                  "the fake driver knows no JIT option " +
                      std::to_string(options[i]));
  }
  CUresult r = loadModule(module, image);
  // As the real JIT does, the reason goes to the log the caller gave.
  if (r != CUDA_SUCCESS && log.buffer && log.size) {
    std::string why = std::exchange(errorDetail(), {});
    size_t n = std::min(why.size(), log.size - 1);
    std::memcpy(log.buffer, why.data(), n);
    log.buffer[n] = '\0';
  }
  return r;
}

CUresult loadModule(CUmodule *module, const void *image) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!module || !image)
    return CUDA_ERROR_INVALID_VALUE;
  auto m = std::make_unique<FakeModule>();
  if (isElf(image)) {
    // Kernels compiled for the host: load them.
    std::string why;
    uint64_t size = elfImageSize(image, why);
    if (size == 0)
      return fail(CUDA_ERROR_INVALID_IMAGE,
                  "the emulated module's ELF header is not sane: " + why);
    StatusOr<detail::MemoryLibrary> library = detail::loadLibraryFromMemory(
        {static_cast<const uint8_t *>(image), size}, "emulated module");
    if (!library)
      return fail(CUDA_ERROR_INVALID_IMAGE,
                  "the emulated module did not load: " +
                      library.status().message());
    m->library = *library;
    // Kernels with barriers call the emulator's through this variable.
    using Hook = void (*)();
    if (void *hook = ownSymbol(m->library.handle, kHostBarrierHook))
      *static_cast<Hook *>(hook) = &emu::barrier;
    // And warp shuffles the emulator's shuffle through this one.
    using ShuffleHook = uint64_t (*)(uint32_t, uint32_t, uint32_t, uint32_t);
    if (void *hook = ownSymbol(m->library.handle, kHostShuffleHook))
      *static_cast<ShuffleHook *>(hook) = &emu::shuffle;
    // And tensor-core mmas the emulator's mma through this one.
    using MmaHook =
        void (*)(const float *, const float *, const float *, float *);
    if (void *hook = ownSymbol(m->library.handle, kHostMmaHook))
      *static_cast<MmaHook *>(hook) = &emu::mmaTf32;
  }
  // Otherwise any text is accepted: nothing is compiled, and the module
  // holds the built-in ember_test_fill.
  *module = reinterpret_cast<CUmodule>(m.release());
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
  auto *m = reinterpret_cast<FakeModule *>(module);
  if (!m->library.handle) {
    if (std::strcmp(name, kFillKernel) != 0)
      return fail(CUDA_ERROR_NOT_FOUND,
                  std::string("a text module on the fake driver holds only ") +
                      kFillKernel);
    *fn = reinterpret_cast<CUfunction>(&fillFunction);
    return CUDA_SUCCESS;
  }
  auto it = m->functions.find(name);
  if (it == m->functions.end()) {
    // Only a symbol the module itself defines is a kernel.
    void *sym = ownSymbol(m->library.handle, name);
    if (!sym)
      return fail(CUDA_ERROR_NOT_FOUND, "the emulated module defines no '" +
                                            std::string(name) + "'");
    auto function = std::make_unique<FakeFunction>();
    emu::Kernel &kernel = function->kernel;
    kernel.name = name;
    kernel.entry = reinterpret_cast<emu::KernelEntry>(sym);
    // The constants beside it; host code without them has neither.
    if (void *bytes = ownSymbol(m->library.handle, kernel.name + "_shared_bytes"))
      std::memcpy(&kernel.sharedBytes, bytes, sizeof(uint64_t));
    if (void *flag = ownSymbol(m->library.handle, kernel.name + "_barriers")) {
      uint32_t barriers;
      std::memcpy(&barriers, flag, sizeof barriers);
      kernel.barriers = barriers != 0;
    }
    void *count = ownSymbol(m->library.handle, kernel.name + "_params");
    void *sizes = ownSymbol(m->library.handle, kernel.name + "_param_bytes");
    if (count && sizes) {
      uint32_t n;
      std::memcpy(&n, count, sizeof n);
      function->paramBytes.emplace(n);
      std::memcpy(function->paramBytes->data(), sizes, n * sizeof(uint32_t));
    }
    it = m->functions.emplace(name, std::move(function)).first;
    s.functions.insert(reinterpret_cast<CUfunction>(it->second.get()));
  }
  *fn = reinterpret_cast<CUfunction>(it->second.get());
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule module) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  if (!s.modules.erase(module))
    return CUDA_ERROR_INVALID_HANDLE;
  std::unique_ptr<FakeModule> m(reinterpret_cast<FakeModule *>(module));
  for (auto &[name, function] : m->functions)
    s.functions.erase(reinterpret_cast<CUfunction>(function.get()));
  detail::unloadLibrary(m->library);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

/// sm_90's launch limits (cudaDeviceProp maxThreadsDim, maxThreadsPerBlock,
/// maxGridSize, sharedMemPerBlock), as the real driver enforces them with
/// CUDA_ERROR_INVALID_VALUE; the detail names the limit. `sharedBytes` is
/// the launch's dynamic shared memory, `staticSharedBytes` the kernel's.
CUresult checkLaunchLimits(const unsigned grid[3], const unsigned block[3],
                           unsigned sharedBytes, uint64_t staticSharedBytes,
                           bool emulated) {
  static constexpr const char *kAxis[3] = {"x", "y", "z"};
  static constexpr uint64_t kMaxBlock[3] = {1024, 1024, 64};
  static constexpr uint64_t kMaxGrid[3] = {0x7fffffffu, 65535, 65535};
  constexpr uint64_t kMaxThreadsPerBlock = 1024;
  constexpr uint64_t kMaxSharedBytes = 48 * 1024;
  auto dims = [](const unsigned d[3]) {
    return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" +
           std::to_string(d[2]);
  };
  for (int i = 0; i < 3; ++i) {
    if (block[i] == 0 || grid[i] == 0)
      return fail(CUDA_ERROR_INVALID_VALUE,
                  std::string(block[i] == 0 ? "blockDim." : "gridDim.") +
                      kAxis[i] + " is 0 (gridDim " + dims(grid) +
                      ", blockDim " + dims(block) + ")");
    if (block[i] > kMaxBlock[i])
      return fail(CUDA_ERROR_INVALID_VALUE,
                  std::string("blockDim.") + kAxis[i] + " = " +
                      std::to_string(block[i]) + " exceeds sm_90's limit of " +
                      std::to_string(kMaxBlock[i]));
    if (grid[i] > kMaxGrid[i])
      return fail(CUDA_ERROR_INVALID_VALUE,
                  std::string("gridDim.") + kAxis[i] + " = " +
                      std::to_string(grid[i]) + " exceeds sm_90's limit of " +
                      std::to_string(kMaxGrid[i]));
  }
  uint64_t threads = uint64_t(block[0]) * block[1] * block[2];
  if (threads > kMaxThreadsPerBlock)
    return fail(CUDA_ERROR_INVALID_VALUE,
                "a block of " + std::to_string(threads) + " threads (blockDim " +
                    dims(block) + ") exceeds sm_90's limit of " +
                    std::to_string(kMaxThreadsPerBlock) +
                    " threads per block");
  if (emulated && sharedBytes != 0)
    return fail(CUDA_ERROR_INVALID_VALUE,
                "dynamic shared memory (" + std::to_string(sharedBytes) +
                    " bytes) is not supported by the emulated device");
  if (staticSharedBytes > kMaxSharedBytes)
    return fail(CUDA_ERROR_INVALID_VALUE,
                "the kernel's " + std::to_string(staticSharedBytes) +
                    " bytes of static shared memory exceed sm_90's limit of "
                    "49152 (48 KiB) per block");
  if (sharedBytes > kMaxSharedBytes)
    return fail(CUDA_ERROR_INVALID_VALUE,
                std::to_string(sharedBytes) +
                    " bytes of dynamic shared memory exceed sm_90's limit of "
                    "49152 (48 KiB) per block");
  return CUDA_SUCCESS;
}

CUresult runLaunch(State &s, CUfunction fn, const unsigned grid[3],
                   const unsigned block[3], void **params);

/// Makes `result` the device's sticky error when it is one (a kernel fault).
CUresult fault(State &s, CUresult result) {
  if (isStickyError(result) && s.sticky == CUDA_SUCCESS)
    s.sticky = result;
  return result;
}

CUresult cuLaunchKernel(CUfunction fn, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned sharedBytes, CUstream stream,
                        void **params, void **extra) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  bool fill = fn == reinterpret_cast<CUfunction>(&fillFunction);
  if (!fill && !s.functions.count(fn))
    return CUDA_ERROR_INVALID_HANDLE;
  if (!validStream(s, stream))
    return CUDA_ERROR_INVALID_HANDLE;
  const unsigned grid[3] = {gridX, gridY, gridZ};
  const unsigned block[3] = {blockX, blockY, blockZ};
  const emu::Kernel &kernel = reinterpret_cast<FakeFunction *>(fn)->kernel;
  if (CUresult r = checkLaunchLimits(grid, block, sharedBytes,
                                     kernel.sharedBytes, !fill))
    return r;
  if (extra)
    return fail(CUDA_ERROR_INVALID_VALUE,
                "the fake driver takes kernel arguments in kernelParams only, "
                "not in 'extra'");
  if (FakeGraph *g = captureOf(s, stream)) {
    // The values are copied now, as the real driver copies them.
    Recorded op;
    op.fn = fn;
    std::copy(grid, grid + 3, op.grid);
    std::copy(block, block + 3, op.block);
    const std::vector<uint32_t> fillBytes = {sizeof(CUdeviceptr), sizeof(float)};
    const auto &bytes = fill ? std::optional(fillBytes)
                             : reinterpret_cast<FakeFunction *>(fn)->paramBytes;
    if (!bytes)
      return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
                  "kernel '" + kernel.name +
                      "' has no <name>_param_bytes: its launches cannot be "
                      "captured (compile the graph again)");
    if (!bytes->empty() && !params)
      return CUDA_ERROR_INVALID_VALUE;
    for (size_t j = 0; j < bytes->size(); ++j) {
      const auto *value = static_cast<const uint8_t *>(params[j]);
      op.params.emplace_back(value, value + (*bytes)[j]);
    }
    g->ops.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
  return fault(s, runLaunch(s, fn, grid, block, params));
}

/// Runs a launch cuLaunchKernel (or a graph) has checked.
CUresult runLaunch(State &s, CUfunction fn, const unsigned grid[3],
                   const unsigned block[3], void **params) {
  bool fill = fn == reinterpret_cast<CUfunction>(&fillFunction);
  const emu::Kernel &kernel = reinterpret_cast<FakeFunction *>(fn)->kernel;
  if (!fill) {
    // EMBER_FAKE_CUDA_KERNELS=skip: launches are checked but not run, so
    // that a benchmark on the fake driver times the host's side alone
    // (bench/gpu_step's host_per_train_step); results are garbage.
    static const bool skip = [] {
      const char *env = std::getenv("EMBER_FAKE_CUDA_KERNELS");
      return env && std::strcmp(env, "skip") == 0;
    }();
    if (skip)
      return CUDA_SUCCESS;
    // The stream is synchronous: the kernel runs now, under the lock, so its
    // module cannot be unloaded meanwhile.
    std::string why = emu::run(kernel, params, grid, block);
    if (!why.empty())
      return fail(CUDA_ERROR_LAUNCH_FAILED, std::move(why));
    return CUDA_SUCCESS;
  }
  if (!params || !params[0] || !params[1])
    return CUDA_ERROR_INVALID_VALUE;
  CUdeviceptr out = *static_cast<CUdeviceptr *>(params[0]);
  float value = *static_cast<float *>(params[1]);
  // Every thread writes one float; more than the whole memory cannot fit.
  constexpr uint64_t kMaxCount = kTotalMemory / sizeof(float);
  uint64_t count = uint64_t(block[0]) * block[1] * block[2];
  for (uint64_t dim : {grid[0], grid[1], grid[2]}) {
    if (dim > kMaxCount / count)
      return CUDA_ERROR_ILLEGAL_ADDRESS;
    count *= dim;
  }
  if (!inAllocation(s, out, count * sizeof(float)))
    return CUDA_ERROR_ILLEGAL_ADDRESS;
  std::fill_n(reinterpret_cast<float *>(out), count, value);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Graphs: a capture records the stream's launches, copies and memsets; a
// graph launch replays them, each checked again (a module may be gone).
//===----------------------------------------------------------------------===//

CUresult cuStreamBeginCapture_v2(CUstream stream, CUstreamCaptureMode mode) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  if (!stream)
    return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
                "the legacy default stream cannot be captured");
  if (mode < CU_STREAM_CAPTURE_MODE_GLOBAL ||
      mode > CU_STREAM_CAPTURE_MODE_RELAXED)
    return CUDA_ERROR_INVALID_VALUE;
  if (!s.capturing.emplace(stream, FakeGraph()).second)
    return fail(CUDA_ERROR_INVALID_VALUE, "the stream is already captured");
  return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph *graph) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  auto it = s.capturing.find(stream);
  if (!graph || it == s.capturing.end())
    return CUDA_ERROR_INVALID_VALUE;
  auto *g = new FakeGraph(std::move(it->second));
  s.capturing.erase(it);
  s.graphs.insert(g);
  *graph = reinterpret_cast<CUgraph>(g);
  return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *exec, CUgraph graph,
                                     unsigned long long flags) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = ready(s, true))
    return r;
  auto *g = reinterpret_cast<FakeGraph *>(graph);
  if (!exec || flags != 0 || !s.graphs.count(g))
    return CUDA_ERROR_INVALID_VALUE;
  auto *e = new FakeGraph(*g);
  s.execs.insert(e);
  *exec = reinterpret_cast<CUgraphExec>(e);
  return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  auto *e = reinterpret_cast<FakeGraph *>(exec);
  if (!s.execs.count(e))
    return CUDA_ERROR_INVALID_HANDLE;
  if (captureOf(s, stream))
    return notCapturable("a graph launch");
  for (Recorded &op : e->ops) {
    switch (op.kind) {
    case Recorded::Kind::Copy:
      if (!inAllocation(s, op.dst, op.bytes) || !inAllocation(s, op.src, op.bytes))
        return fault(s, fail(CUDA_ERROR_ILLEGAL_ADDRESS,
                             "a graph's copy names memory freed since its "
                             "capture"));
      std::memmove(reinterpret_cast<void *>(op.dst),
                   reinterpret_cast<const void *>(op.src), op.bytes);
      break;
    case Recorded::Kind::Set:
      if (!inAllocation(s, op.dst, op.bytes))
        return fault(s, fail(CUDA_ERROR_ILLEGAL_ADDRESS,
                             "a graph's memset names memory freed since its "
                             "capture"));
      std::memset(reinterpret_cast<void *>(op.dst), op.value, op.bytes);
      break;
    case Recorded::Kind::Host:
      for (auto [address, bytes] : op.ranges)
        if (!inAllocation(s, address, bytes))
          return fault(s, fail(CUDA_ERROR_ILLEGAL_ADDRESS,
                               "a graph's library operation names memory "
                               "freed since its capture"));
      op.run();
      break;
    case Recorded::Kind::Launch: {
      bool fill = op.fn == reinterpret_cast<CUfunction>(&fillFunction);
      if (!fill && !s.functions.count(op.fn))
        return fail(CUDA_ERROR_INVALID_HANDLE,
                    "a graph's kernel was unloaded since its capture");
      std::vector<void *> params;
      for (std::vector<uint8_t> &value : op.params)
        params.push_back(value.data());
      if (CUresult r = runLaunch(s, op.fn, op.grid, op.block, params.data()))
        return fault(s, r);
      break;
    }
    }
  }
  return CUDA_SUCCESS;
}

/// Destroys a CUgraph or CUgraphExec: `handle`, if `live` holds it.
CUresult destroyGraph(std::set<FakeGraph *> State::*live, void *handle) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  auto *g = static_cast<FakeGraph *>(handle);
  if (!(s.*live).erase(g))
    return CUDA_ERROR_INVALID_HANDLE;
  delete g;
  return CUDA_SUCCESS;
}

CUresult cuGraphExecDestroy(CUgraphExec exec) {
  return destroyGraph(&State::execs, exec);
}

CUresult cuGraphDestroy(CUgraph graph) {
  return destroyGraph(&State::graphs, graph);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

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
      {CUDA_ERROR_LAUNCH_FAILED,
       {"CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"}},
      {CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
       {"CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
        "operation not permitted when stream is capturing"}},
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

/// Every entry point clears the detail of an earlier failure first, so a
/// detail always belongs to the call that failed.
template <auto Fn> struct Entry;
template <typename... Args, CUresult (*Fn)(Args...)> struct Entry<Fn> {
  static CUresult call(Args... args) {
    errorDetail().clear();
    return Fn(args...);
  }
};

} // namespace

bool fakeCapturing() {
  State &s = state();
  std::lock_guard lock(s.mutex);
  return !s.capturing.empty();
}

CUresult fakeStreamOperation(CUstream stream,
                             std::vector<std::pair<CUdeviceptr, size_t>> ranges,
                             std::function<void()> run, bool *captured) {
  State &s = state();
  std::lock_guard lock(s.mutex);
  if (CUresult r = streamReady(s, stream))
    return r;
  for (auto [address, bytes] : ranges)
    if (!inAllocation(s, address, bytes))
      return fail(CUDA_ERROR_INVALID_VALUE,
                  "a library operation names memory outside every live "
                  "allocation");
  if (FakeGraph *g = captureOf(s, stream)) {
    Recorded op;
    op.kind = Recorded::Kind::Host;
    op.run = std::move(run);
    op.ranges = std::move(ranges);
    g->ops.push_back(std::move(op));
    *captured = true;
    return CUDA_SUCCESS;
  }
  *captured = false;
  run();
  return CUDA_SUCCESS;
}

void installFakeDriver(Driver &d) {
#define EMBER_FAKE_ENTRY(name, params) d.name = &Entry<&name>::call;
  EMBER_CUDA_DRIVER_API(EMBER_FAKE_ENTRY)
#undef EMBER_FAKE_ENTRY
  d.takeErrorDetail = &takeErrorDetail;
}

} // namespace ember::rt::cuda
