//===- fuzz_image.cpp - PNG and JPEG files (ImageFolder) ------------------===//
//
// Part of Ember's fuzzers. Decodes the input as an image file: it either
// gives a uint8 [H, W, 3] tensor of that many bytes or throws ember::Error.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "ember/ember.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = ember::fuzz::writeFile("input.img", data, size);
  try {
    ember::Tensor image = ember::data::read_image_rgb(path);
    const ember::Shape &s = image.shape();
    if (image.dtype() != ember::DType::UInt8 || s.size() != 3 || s[2] != 3 ||
        s[0] < 1 || s[1] < 1 ||
        static_cast<int64_t>(image.to_vector<uint8_t>().size()) !=
            s[0] * s[1] * 3)
      std::abort();
  } catch (const ember::Error &) {
  }
  return 0;
}
