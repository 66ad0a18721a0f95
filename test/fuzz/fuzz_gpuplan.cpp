//===- fuzz_gpuplan.cpp - GPU plans (CUDA artifacts' code section) --------===//
//
// Part of Ember's fuzzers. A plan that parses must name only modules that
// are there, and its serialized form must parse to the same plan.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/GpuPlan.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  ember::rt::StatusOr<ember::rt::GpuPlan> plan =
      ember::rt::GpuPlan::parse(text);
  if (!plan)
    return 0;
  for (const ember::rt::GpuKernel &k : plan->kernels)
    if (k.module < 0 || k.module >= static_cast<int64_t>(plan->modules.size()))
      std::abort();
  std::string again = plan->serialize();
  ember::rt::StatusOr<ember::rt::GpuPlan> reparsed =
      ember::rt::GpuPlan::parse(again);
  if (!reparsed || reparsed->serialize() != again)
    std::abort();
  return 0;
}
