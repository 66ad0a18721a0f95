//===- Executable.cpp - Loading shared objects from memory ----------------===//
//
// Part of Ember. The bytes are written to an anonymous in-memory file
// (memfd_create), which dlopen then maps like any other library: nothing
// touches the disk and nothing is left behind.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Executable.h"
#include "ember/runtime/HostAllocator.h"
#include "ember/runtime/Threads.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <dlfcn.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace ember::rt {

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

StatusOr<std::unique_ptr<Executable>>
Executable::load(std::span<const uint8_t> sharedObject,
                 const std::string &entry) {
  static const uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (sharedObject.size() < 64 ||
      std::memcmp(sharedObject.data(), kElfMagic, 4) != 0)
    return Status::error("executable is not an ELF shared object");

  int fd = memfd_create("ember-executable", MFD_CLOEXEC);
  if (fd < 0)
    return Status::error(std::string("memfd_create failed: ") +
                         std::strerror(errno));
  size_t written = 0;
  while (written < sharedObject.size()) {
    ssize_t n = ::write(fd, sharedObject.data() + written,
                        sharedObject.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      std::string err = std::strerror(errno);
      ::close(fd);
      return Status::error("writing the executable to memory failed: " + err);
    }
    written += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  // The descriptor stays open while the library is loaded: dlopen
  // recognises libraries by path, and a reused descriptor number would make
  // it hand back an earlier library loaded under the same /proc path.
  // Loading the code may load OpenMP, which reads its settings once.
  configureThreadEnvironment();
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::string err = dlerror();
    ::close(fd);
    return Status::error("dlopen failed: " + err);
  }
  pinOpenMP();
  void *sym = dlsym(handle, entry.c_str());
  if (!sym) {
    dlclose(handle);
    ::close(fd);
    return Status::error("executable has no entry point '" + entry + "'");
  }
  return std::unique_ptr<Executable>(
      new Executable(handle, fd, reinterpret_cast<EntryFn>(sym)));
}

Executable::~Executable() {
  dlclose(handle_);
  ::close(fd_);
}

Status Executable::run(void **args) const {
  size_t failed = callCatchingOutOfMemory(entry_, args);
  if (failed == 0)
    return Status::ok();
  return Status::error("out of memory: the compiled graph asked for " +
                       std::to_string(failed) +
                       " bytes for a temporary, and the system refused");
}

} // namespace ember::rt
