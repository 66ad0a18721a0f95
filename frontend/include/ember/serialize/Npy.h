//===- Npy.h - Arrays in NumPy's .npy format --------------------*- C++ -*-===//
//
// Part of Ember. One tensor per file in the format numpy.save writes and
// numpy.load reads (https://numpy.org/doc/stable/reference/generated/
// numpy.lib.format.html): a magic string, a version, a Python dict literal
// giving the dtype, the order and the shape, then the elements.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SERIALIZE_NPY_H
#define EMBER_SERIALIZE_NPY_H

#include "ember/frontend/Tensor.h"

#include <string>

namespace ember {

/// Writes `tensor` (computed first; from a GPU through a host copy) to
/// `path` as a .npy file of format version 1.0, C order, little-endian, its
/// dtype as NumPy names it (float32 '<f4', float64 '<f8', int64 '<i8',
/// uint8 '|u1', bool '|b1'). Like save_safetensors, the file is replaced
/// whole or not at all. Throws ember::Error naming the path on failure.
void save_npy(const Tensor &tensor, const std::string &path,
              Tensor::Loc loc = Tensor::Loc::current());

/// Reads a .npy file (versions 1.0 to 3.0) into a tensor on the CPU:
/// C-order arrays of little-endian float32, float64, int64, uint8 or bool.
/// Any other dtype (int32, float16, ...; convert with astype() first),
/// Fortran order, a big-endian array, an empty one or a malformed or
/// truncated file is an ember::Error naming the file and the problem.
Tensor load_npy(const std::string &path,
                Tensor::Loc loc = Tensor::Loc::current());

} // namespace ember

#endif // EMBER_SERIALIZE_NPY_H
