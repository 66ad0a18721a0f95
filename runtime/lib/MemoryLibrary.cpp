//===- MemoryLibrary.cpp - Shared objects loaded from memory --------------===//
//
// Part of Ember. The bytes are written to an anonymous in-memory file
// (memfd_create), which dlopen then maps like any other library: nothing
// touches the disk and nothing is left behind.
//
//===----------------------------------------------------------------------===//

#include "MemoryLibrary.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace ember::rt::detail {

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
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *err = dlerror();
    ::close(fd);
    return Status::error(std::string("dlopen failed: ") +
                         (err ? err : "unknown error"));
  }
  return MemoryLibrary{handle, fd};
}

void unloadLibrary(const MemoryLibrary &library) {
  if (library.handle)
    dlclose(library.handle);
  if (library.fd >= 0)
    ::close(library.fd);
}

} // namespace ember::rt::detail
