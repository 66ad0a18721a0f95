//===- fuzz_gpuplan.cpp - GPU plans (CUDA artifacts' code section) --------===//
//
// Part of Ember's fuzzers.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/GpuPlan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  (void)ember::rt::GpuPlan::parse(text);
  return 0;
}
