//===- fuzz_safetensors.cpp - Checkpoints (load_safetensors) --------------===//
//
// Part of Ember's fuzzers. A file either loads or throws ember::Error;
// anything else (a crash, another exception, a huge allocation) is a bug.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "ember/ember.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path =
      ember::fuzz::writeFile("model.safetensors", data, size);
  try {
    std::map<std::string, std::string> metadata;
    ember::StateDict tensors = ember::load_safetensors(path, &metadata);
    for (auto &[name, t] : tensors)
      (void)t.numel();
  } catch (const ember::Error &) {
  }
  return 0;
}
