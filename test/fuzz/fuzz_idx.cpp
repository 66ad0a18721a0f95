//===- fuzz_idx.cpp - IDX files, plain and gzipped (FashionMNIST) ---------===//
//
// Part of Ember's fuzzers. The first byte picks the file the rest of the
// input becomes (the images or the labels of the training set); the other
// file is a valid one-sample file. The dataset either loads (and its first
// sample and a batch are read) or throws ember::Error.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "ember/ember.h"

#include <vector>

namespace {

std::vector<uint8_t> validImages() {
  std::vector<uint8_t> f = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
  f.resize(f.size() + 28 * 28, 7);
  return f;
}

std::vector<uint8_t> validLabels() { return {0, 0, 8, 1, 0, 0, 0, 1, 3}; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  bool fuzzImages = data[0] % 2 == 0;
  std::vector<uint8_t> images = validImages(), labels = validLabels();
  std::vector<uint8_t> &fuzzed = fuzzImages ? images : labels;
  fuzzed.assign(data + 1, data + size);
  ember::fuzz::writeFile("train-images-idx3-ubyte", images.data(), images.size());
  ember::fuzz::writeFile("train-labels-idx1-ubyte", labels.data(), labels.size());
  try {
    ember::data::FashionMNIST set(ember::fuzz::scratchDir(),
                                  {.train = true, .download = false});
    if (set.size() > 0) {
      (void)set.get(0);
      std::vector<int64_t> batch = {0, set.size() - 1, 0};
      (void)set.get_batch(batch);
    }
  } catch (const ember::Error &) {
  }
  return 0;
}
