//===- Executable.cpp - Loading shared objects from memory ----------------===//
//
// Part of Ember. The bytes are loaded from memory (MemoryLibrary.cpp:
// memfd_create, then dlopen): nothing touches the disk and nothing is left
// behind.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Executable.h"
#include "MemoryLibrary.h"
#include "ember/runtime/HostAllocator.h"

#include <dlfcn.h>
#include <string>

namespace ember::rt {

StatusOr<std::unique_ptr<Executable>>
Executable::load(std::span<const uint8_t> sharedObject,
                 const std::string &entry) {
  StatusOr<detail::MemoryLibrary> library =
      detail::loadLibraryFromMemory(sharedObject, "executable");
  if (!library)
    return library.status();
  void *sym = dlsym(library->handle, entry.c_str());
  if (!sym) {
    detail::unloadLibrary(*library);
    return Status::error("executable has no entry point '" + entry + "'");
  }
  return std::unique_ptr<Executable>(new Executable(
      library->handle, library->fd, reinterpret_cast<EntryFn>(sym)));
}

Executable::~Executable() { detail::unloadLibrary({handle_, fd_}); }

Status Executable::run(void **args) const {
  size_t failed = callCatchingOutOfMemory(entry_, args);
  if (failed == 0)
    return Status::ok();
  return Status::error("out of memory: the compiled graph asked for " +
                       std::to_string(failed) +
                       " bytes for a temporary, and the system refused");
}

} // namespace ember::rt
