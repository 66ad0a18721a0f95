//===- fuzz_npy.cpp - NumPy .npy files (ember-run's inputs) ---------------===//
//
// Part of Ember's fuzzers. Reads the input as a .npy file; one that loads
// must hold exactly its signature's bytes and write back loadable.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "ember/runtime/Npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = ember::fuzz::writeFile("input.npy", data, size);
  ember::rt::StatusOr<ember::rt::NpyArray> a = ember::rt::readNpy(path);
  if (!a)
    return 0;
  size_t expected = static_cast<size_t>(a->signature.numel()) *
                    ember::dtypeSize(a->signature.dtype);
  if (a->data.size() != expected)
    std::abort();
  std::string out = ember::fuzz::scratchDir() + "/output.npy";
  if (!ember::rt::writeNpy(out, *a))
    std::abort();
  ember::rt::StatusOr<ember::rt::NpyArray> b = ember::rt::readNpy(out);
  if (!b || b->data != a->data || b->signature.shape != a->signature.shape)
    std::abort();
  return 0;
}
