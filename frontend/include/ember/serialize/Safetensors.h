//===- Safetensors.h - Checkpoints in the safetensors format ----*- C++ -*-===//
//
// Part of Ember. Saving and loading named tensors in the safetensors format
// (https://github.com/huggingface/safetensors), the format PyTorch, JAX and
// the Hugging Face ecosystem exchange weights in:
//
//   u64 (little-endian) N | N bytes of JSON header | byte buffer
//
// The header maps each name to {"dtype", "shape", "data_offsets"} (offsets
// relative to the start of the byte buffer) and may hold string-to-string
// metadata under "__metadata__". See docs/checkpoints.md.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SERIALIZE_SAFETENSORS_H
#define EMBER_SERIALIZE_SAFETENSORS_H

#include "ember/frontend/Tensor.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ember {

/// Named tensors in a fixed order, as PyTorch's state_dict() (an
/// OrderedDict) holds them.
using StateDict = std::vector<std::pair<std::string, Tensor>>;

/// Writes `tensors` to `path` in the safetensors format, with `metadata` as
/// the header's "__metadata__" (omitted when empty). The tensors are realised
/// first and laid out in the order given. The file is written next to `path`
/// under a temporary name, flushed to disk and renamed over `path`, so `path`
/// holds either its old contents or the complete new file, never a partial
/// one. Throws ember::Error (naming the path and the system's reason) on
/// duplicate or reserved names, undefined tensors and any I/O failure, after
/// removing the temporary file.
void save_safetensors(const StateDict &tensors, const std::string &path,
                      const std::map<std::string, std::string> &metadata = {});

/// Reads the safetensors file at `path`. The file is validated strictly
/// (header, dtypes, shapes, offsets covering the byte buffer exactly); any
/// defect throws ember::Error naming the file and the defect. The tensors
/// come back in the order of their data in the file (the order they were
/// saved in). When `metadata` is not null it receives the header's
/// "__metadata__" (empty when there is none).
StateDict
load_safetensors(const std::string &path,
                 std::map<std::string, std::string> *metadata = nullptr);

} // namespace ember

#endif // EMBER_SERIALIZE_SAFETENSORS_H
