//===- MemoryLibrary.h - Shared objects loaded from memory ------*- C++ -*-===//
//
// Part of Ember. Internal to the runtime: loads the bytes of an ELF shared
// object with dlopen without touching the disk. Used by Executable (compiled
// CPU graphs) and by the fake CUDA driver (kernels compiled for the host).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_LIB_MEMORYLIBRARY_H
#define EMBER_RUNTIME_LIB_MEMORYLIBRARY_H

#include "ember/runtime/Status.h"

#include <cstdint>
#include <span>
#include <string>

namespace ember::rt::detail {

/// A shared object loaded from memory: the dlopen handle and the memfd it
/// was loaded from, which stays open while the library is loaded (dlopen
/// recognises libraries by path, and a reused descriptor number would make
/// it hand back an earlier library loaded under the same /proc path).
struct MemoryLibrary {
  void *handle = nullptr;
  int fd = -1;
};

/// Writes `bytes` (an ELF shared object) to an anonymous in-memory file
/// (memfd_create) and dlopens it with RTLD_NOW | RTLD_LOCAL. `what` names the
/// object in messages ("executable", ...): "<what> is not an ELF shared
/// object", "writing the <what> to memory failed: ...", "dlopen failed: ...".
StatusOr<MemoryLibrary> loadLibraryFromMemory(std::span<const uint8_t> bytes,
                                              const std::string &what);

/// dlcloses the library and closes its memfd.
void unloadLibrary(const MemoryLibrary &library);

} // namespace ember::rt::detail

#endif // EMBER_RUNTIME_LIB_MEMORYLIBRARY_H
