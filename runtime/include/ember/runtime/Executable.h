//===- Executable.h - Loaded compiled code ----------------------*- C++ -*-===//
//
// Part of Ember. Compiled CPU code arrives as the bytes of an ELF shared
// object (made by the compiler, or read from an artifact). The runtime loads
// it from memory with dlopen and calls its entry point.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_EXECUTABLE_H
#define EMBER_RUNTIME_EXECUTABLE_H

#include "ember/runtime/Status.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ember::rt {

/// The kernel ABI: every graph's entry point takes one array holding a pointer
/// to each argument's data (inputs first, then outputs, in declaration
/// order). Buffers are dense, row-major and at least 16-byte aligned.
using EntryFn = void (*)(void **args);

/// A shared object loaded into this process, with its entry point resolved.
class Executable {
public:
  /// Loads `sharedObject` (ELF bytes) and looks up the symbol `entry`.
  static StatusOr<std::unique_ptr<Executable>>
  load(std::span<const uint8_t> sharedObject, const std::string &entry);

  ~Executable();
  Executable(const Executable &) = delete;
  Executable &operator=(const Executable &) = delete;

  /// Runs the entry point on `args` (see EntryFn). Fails, naming the bytes,
  /// when the compiled code could not get memory for a temporary (the call
  /// is ended and its temporaries freed: see callCatchingOutOfMemory).
  Status run(void **args) const;

private:
  Executable(void *handle, int fd, EntryFn entry)
      : handle_(handle), fd_(fd), entry_(entry) {}
  void *handle_;
  int fd_;
  EntryFn entry_;
};

} // namespace ember::rt

#endif // EMBER_RUNTIME_EXECUTABLE_H
