//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of Ember. Reading and writing NumPy's .npy format (version 1.0 to
// 3.0, little-endian, C order), the ecosystem's tensor interchange. Loading
// validates the header strictly and rejects absurd sizes before allocating.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_NPY_H
#define EMBER_RUNTIME_NPY_H

#include "ember/runtime/Artifact.h"
#include "ember/runtime/Status.h"

#include <string>

namespace ember::rt {

struct NpyArray {
  TensorSignature signature;
  std::string data; ///< dense, row-major, little-endian elements
};

/// Reads `path`; errors name the file and what is wrong with it.
StatusOr<NpyArray> readNpy(const std::string &path);
/// Writes `array` to `path` (format 1.0), replacing a regular file
/// atomically (through a symbolic link: the file it names, created if
/// missing); any other
/// file there (/dev/null, /dev/stdout, a FIFO) is written as it is, never
/// replaced.
Status writeNpy(const std::string &path, const NpyArray &array);

} // namespace ember::rt

#endif // EMBER_RUNTIME_NPY_H
