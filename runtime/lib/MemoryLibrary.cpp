//===- MemoryLibrary.cpp - Shared objects loaded from memory --------------===//
//
// Part of Ember. The bytes are written to an anonymous in-memory file
// (memfd_create), which dlopen then maps like any other library: nothing
// touches the disk and nothing is left behind.
//
//===----------------------------------------------------------------------===//

#include "MemoryLibrary.h"
#include "ember/runtime/Threads.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

namespace ember::rt::detail {

namespace {

/// OpenMP's worker threads outlive any one graph: once a loaded graph has
/// brought libomp in, pin it (RTLD_NODELETE), or closing the last graph
/// would unmap the code those threads run. Its threads are stopped at exit
/// (omp_pause_resource_all with omp_pause_hard), before the exit handlers
/// registered earlier, such as LeakSanitizer's check, which cannot stop
/// them. Done once; until then, a no-op for graphs without parallel loops.
void pinOpenMP() {
  static std::atomic<bool> pinned{false};
  if (pinned.load(std::memory_order_acquire))
    return;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (pinned.load(std::memory_order_relaxed))
    return;
  void *omp = dlopen("libomp.so.5", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (!omp) {
    dlerror(); // not loaded (no parallel loops yet): nothing to pin
    return;
  }
  using PauseFn = int (*)(int);
  static PauseFn pause =
      reinterpret_cast<PauseFn>(dlsym(omp, "omp_pause_resource_all"));
  if (pause)
    std::atexit([] { pause(/*omp_pause_hard=*/2); });
  pinned.store(true, std::memory_order_release);
}

} // namespace

StatusOr<MemoryLibrary> loadLibraryFromMemory(std::span<const uint8_t> bytes,
                                              const std::string &what) {
  static const uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (bytes.size() < 64 || std::memcmp(bytes.data(), kElfMagic, 4) != 0)
    return Status::error(what + " is not an ELF shared object");

  int fd = memfd_create(("ember-" + what).c_str(), MFD_CLOEXEC);
  if (fd < 0)
    return Status::error(std::string("memfd_create failed: ") +
                         std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      std::string err = std::strerror(errno);
      ::close(fd);
      return Status::error("writing the " + what +
                           " to memory failed: " + err);
    }
    written += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  // Loading the code may load OpenMP, which reads its settings once.
  configureThreadEnvironment();
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *err = dlerror();
    ::close(fd);
    return Status::error(std::string("dlopen failed: ") +
                         (err ? err : "unknown error"));
  }
  pinOpenMP();
  return MemoryLibrary{handle, fd};
}

void unloadLibrary(const MemoryLibrary &library) {
  if (library.handle)
    dlclose(library.handle);
  if (library.fd >= 0)
    ::close(library.fd);
}

} // namespace ember::rt::detail
