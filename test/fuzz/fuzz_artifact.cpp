//===- fuzz_artifact.cpp - Ember artifacts (what ember-run loads) ---------===//
//
// Part of Ember's fuzzers. Parses the input as an artifact; a valid one
// must serialize back to the same bytes. A mutated artifact (flipped bits:
// most of what the fuzzer makes of the seeds) must fail the checksum; so
// that the parser behind the checksum is explored too, each input is also
// parsed again with its checksum recomputed.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Artifact.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  ember::rt::StatusOr<ember::rt::Artifact> a = ember::rt::Artifact::parse(bytes);
  if (a && a->serialize() != bytes)
    std::abort();
  if (bytes.size() >= 8) {
    uint64_t sum = ember::rt::artifactChecksum(bytes.data(), bytes.size() - 8);
    std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
    ember::rt::StatusOr<ember::rt::Artifact> sealed =
        ember::rt::Artifact::parse(bytes);
    if (sealed && sealed->serialize() != bytes)
      std::abort();
  }
  return 0;
}
