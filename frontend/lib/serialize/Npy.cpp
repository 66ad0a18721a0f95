//===- Npy.cpp - Arrays in NumPy's .npy format ----------------------------===//
//
// Part of Ember. The frontend's side of the runtime's .npy reader and
// writer (ember/runtime/Npy.h, which ember-run uses too).
//
//===----------------------------------------------------------------------===//

#include "ember/serialize/Npy.h"

#include "../Realize.h"
#include "ember/runtime/Npy.h"

#include <fmt/format.h>

#include <cstring>

namespace ember {

void save_npy(const Tensor &tensor, const std::string &path, Tensor::Loc loc) {
  if (!tensor.defined())
    throw Error(fmt::format("save_npy: '{}': the tensor is undefined (at {})",
                            path, fe::formatLocation(loc)));
  tensor.realize(loc);
  std::shared_ptr<rt::Buffer> host = fe::hostData(*tensor.node(), loc);
  rt::NpyArray array;
  array.signature.dtype = tensor.dtype();
  array.signature.shape = tensor.shape();
  array.data.assign(static_cast<const char *>(host->data()),
                    static_cast<size_t>(tensor.numel()) *
                        dtypeSize(tensor.dtype()));
  if (rt::Status s = rt::writeNpy(path, array); !s.isOk())
    throw Error(fmt::format("save_npy: {} (at {})", s.message(),
                            fe::formatLocation(loc)));
}

Tensor load_npy(const std::string &path, Tensor::Loc loc) {
  rt::StatusOr<rt::NpyArray> array = rt::readNpy(path);
  if (!array.isOk())
    throw Error(fmt::format("load_npy: {} (at {})", array.status().message(),
                            fe::formatLocation(loc)));
  const rt::TensorSignature &sig = array->signature;
  if (sig.numel() == 0)
    throw Error(fmt::format("load_npy: '{}': the array {} is empty, and "
                            "Ember's tensors have no empty dimensions (at {})",
                            path, sig.str(), fe::formatLocation(loc)));
  Tensor t = empty(sig.shape, sig.dtype);
  std::memcpy(t.node()->data->data(), array->data.data(), array->data.size());
  return t;
}

} // namespace ember
