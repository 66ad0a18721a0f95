//===- DType.h - Element types shared by every layer ------------*- C++ -*-===//
//
// Part of Ember. The element types a tensor can hold, with their sizes and
// names. Header-only: the runtime, the compiler facade and the frontend all
// use it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_DTYPE_H
#define EMBER_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ember {

/// Element type of a tensor. The names follow PyTorch (`torch.float32`, ...).
/// The values are stored in artifacts: new types go at the end.
/// Float16 and BFloat16 are storage types: ops on them compute in float32
/// and round each result (ember-compute-half-in-f32), as PyTorch's CPU
/// kernels do.
enum class DType : uint8_t {
  Float32,
  Float64,
  Int64,
  UInt8,
  Bool,
  Float16,
  BFloat16
};

/// The last DType (for validating stored values).
inline constexpr DType kLastDType = DType::BFloat16;

/// Bytes per element.
constexpr size_t dtypeSize(DType t) {
  switch (t) {
  case DType::Float32: return 4;
  case DType::Float64: return 8;
  case DType::Int64: return 8;
  case DType::UInt8: return 1;
  case DType::Bool: return 1;
  case DType::Float16:
    return 2;
  case DType::BFloat16:
    return 2;
  }
  return 0;
}

/// PyTorch's name of the type, e.g. "float32".
constexpr std::string_view dtypeName(DType t) {
  switch (t) {
  case DType::Float32: return "float32";
  case DType::Float64: return "float64";
  case DType::Int64: return "int64";
  case DType::UInt8: return "uint8";
  case DType::Bool: return "bool";
  case DType::Float16:
    return "float16";
  case DType::BFloat16:
    return "bfloat16";
  }
  return "?";
}

/// The MLIR element type spelling of the type, e.g. "f32". uint8 is stored as
/// a signless i8; the ops that care about signedness say so.
constexpr std::string_view dtypeMlirName(DType t) {
  switch (t) {
  case DType::Float32: return "f32";
  case DType::Float64: return "f64";
  case DType::Int64: return "i64";
  case DType::UInt8: return "i8";
  case DType::Bool: return "i1";
  case DType::Float16:
    return "f16";
  case DType::BFloat16:
    return "bf16";
  }
  return "?";
}

constexpr bool isFloatingPoint(DType t) {
  return t == DType::Float32 || t == DType::Float64 || t == DType::Float16 ||
         t == DType::BFloat16;
}

/// Float16 and BFloat16, the storage-only types.
constexpr bool isHalf(DType t) {
  return t == DType::Float16 || t == DType::BFloat16;
}

} // namespace ember

#endif // EMBER_RUNTIME_DTYPE_H
