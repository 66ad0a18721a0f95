//===- fuzz_artifact.cpp - Ember artifacts (what ember-run loads) ---------===//
//
// Part of Ember's fuzzers. Parses the input as an artifact; a valid one
// must serialize back to the same bytes.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Artifact.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  ember::rt::StatusOr<ember::rt::Artifact> a = ember::rt::Artifact::parse(bytes);
  if (a && a->serialize() != bytes)
    std::abort();
  return 0;
}
