//===- Artifact.h - Compiled graphs in one file -----------------*- C++ -*-===//
//
// Part of Ember. What graphc writes and ember-run runs: one self-contained
// file holding the signature of a compiled graph and its code (an ELF shared
// object for the CPU; a GpuPlan with PTX for CUDA). Weights a graph was
// exported with are ember.constant ops, compiled into the code. Header-only:
// the compiler writes artifacts, the runtime reads them.
//
// Layout (little-endian):
//   "EMBERART" (8 bytes), u32 version (2), u32 target (0 cpu, 1 cuda)
//   u32 inputs, u32 outputs, then per tensor: u8 dtype (ember::DType),
//   u32 rank, i64 dims[rank]
//   u32 entry-symbol length, the symbol bytes
//   u64 code length, the code bytes
//   u64 checksum: FNV-1a (64-bit) of every byte before it
//   and nothing after.
//
// The checksum is verified before anything else is read, so a corrupted
// file (a flipped bit in the code, an edited output shape) is rejected
// before its code is mapped. FNV-1a detects every change of a single byte
// (each step is a bijection of the running state); it guards against
// corruption, not against someone who recomputes it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_ARTIFACT_H
#define EMBER_RUNTIME_ARTIFACT_H

#include "ember/runtime/DType.h"
#include "ember/runtime/Status.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ember::rt {

struct TensorSignature {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  /// "float32 [2, 3]".
  std::string str() const {
    std::string s = std::string(dtypeName(dtype)) + " [";
    for (size_t i = 0; i < shape.size(); ++i)
      s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }
};

/// FNV-1a, 64-bit, of `n` bytes: the artifact's checksum.
inline uint64_t artifactChecksum(const char *data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

struct Artifact {
  enum class Target : uint32_t { CPU = 0, CUDA = 1 };
  static constexpr uint32_t kVersion = 2;
  Target target = Target::CPU;
  std::vector<TensorSignature> inputs, outputs;
  std::string entry;
  std::string code;

  std::string serialize() const {
    std::string out = "EMBERART";
    auto u32 = [&](uint32_t v) { out.append(reinterpret_cast<char *>(&v), 4); };
    auto u64 = [&](uint64_t v) { out.append(reinterpret_cast<char *>(&v), 8); };
    u32(kVersion);
    u32(static_cast<uint32_t>(target));
    u32(static_cast<uint32_t>(inputs.size()));
    u32(static_cast<uint32_t>(outputs.size()));
    for (const auto *list : {&inputs, &outputs})
      for (const TensorSignature &t : *list) {
        out.push_back(static_cast<char>(t.dtype));
        u32(static_cast<uint32_t>(t.shape.size()));
        for (int64_t d : t.shape)
          u64(static_cast<uint64_t>(d));
      }
    u32(static_cast<uint32_t>(entry.size()));
    out += entry;
    u64(code.size());
    out += code;
    u64(artifactChecksum(out.data(), out.size()));
    return out;
  }

  /// Parses and validates `bytes`; any inconsistency is an error naming it.
  static StatusOr<Artifact> parse(const std::string &bytes) {
    size_t pos = 0;
    auto bad = [](const std::string &what) {
      return Status::error("not a valid Ember artifact: " + what);
    };
    auto take = [&](void *dst, size_t n) {
      if (bytes.size() - pos < n)
        return false;
      std::memcpy(dst, bytes.data() + pos, n);
      pos += n;
      return true;
    };
    char magic[8];
    if (!take(magic, 8) || std::memcmp(magic, "EMBERART", 8) != 0)
      return bad("missing the EMBERART header");
    uint32_t version = 0, target = 0, nIn = 0, nOut = 0;
    if (!take(&version, 4))
      return bad("truncated header");
    if (version == 1)
      return bad("version 1 (no checksum): compile it again with this "
                 "graphc");
    if (version != kVersion)
      return bad("unsupported version " + std::to_string(version));
    // Nothing past the header is trusted before the checksum holds.
    uint64_t stored = 0;
    if (bytes.size() < pos + 8)
      return bad("truncated: no checksum");
    size_t body = bytes.size() - 8;
    std::memcpy(&stored, bytes.data() + body, 8);
    if (stored != artifactChecksum(bytes.data(), body))
      return bad("the checksum does not match the content (the file is "
                 "corrupted or was edited)");
    if (!take(&target, 4) || target > 1)
      return bad("unknown target");
    if (!take(&nIn, 4) || !take(&nOut, 4) || nIn > 4096 || nOut > 4096)
      return bad("truncated or absurd tensor counts");
    Artifact a;
    a.target = static_cast<Target>(target);
    for (uint32_t i = 0; i < nIn + nOut; ++i) {
      TensorSignature t;
      uint8_t dtype = 0;
      uint32_t rank = 0;
      if (!take(&dtype, 1) || dtype > static_cast<uint8_t>(kLastDType))
        return bad("tensor " + std::to_string(i) + " has an unknown dtype");
      if (!take(&rank, 4) || rank > 16)
        return bad("tensor " + std::to_string(i) + " has an absurd rank");
      t.dtype = static_cast<DType>(dtype);
      __int128 numel = 1;
      for (uint32_t d = 0; d < rank; ++d) {
        uint64_t dim = 0;
        if (!take(&dim, 8) || dim > (uint64_t(1) << 40))
          return bad("tensor " + std::to_string(i) + " has an absurd shape");
        numel *= dim;
        // 2^40 elements (4 TiB of float32) and more: no graph has such a
        // tensor; the file is corrupt or hostile.
        if (numel >= (__int128(1) << 40))
          return bad("tensor " + std::to_string(i) + " is too large");
        t.shape.push_back(static_cast<int64_t>(dim));
      }
      (i < nIn ? a.inputs : a.outputs).push_back(t);
    }
    uint32_t entryLen = 0;
    if (!take(&entryLen, 4) || entryLen > 4096 || bytes.size() - pos < entryLen)
      return bad("truncated entry symbol");
    a.entry.assign(bytes.data() + pos, entryLen);
    pos += entryLen;
    uint64_t codeLen = 0;
    if (!take(&codeLen, 8) || pos > body || body - pos != codeLen)
      return bad("the code section is truncated or followed by extra bytes");
    a.code.assign(bytes.data() + pos, codeLen);
    return a;
  }
};

} // namespace ember::rt

#endif // EMBER_RUNTIME_ARTIFACT_H
