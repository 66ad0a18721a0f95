//===- Half.h - float16 and bfloat16 on the host ----------------*- C++ -*-===//
//
// Part of Ember. Conversions between float and the two 16-bit
// floating-point formats Ember stores: IEEE binary16 (float16: 1 sign, 5
// exponent, 10 mantissa bits) and bfloat16 (1, 8, 7: float's upper half).
// Narrowing rounds to nearest, ties to even, as the hardware, PyTorch and
// MLIR's arith.truncf do; NaN stays NaN (quiet), overflow gives infinity.
// Header-only: the runtime, the frontend and the tests use it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_HALF_H
#define EMBER_RUNTIME_HALF_H

#include <bit>
#include <cstdint>

namespace ember::rt {

/// The float16 bits nearest to `f`.
inline uint16_t floatToHalfBits(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) // infinity or NaN (kept quiet, payload's top bits)
    return sign |
           (absx > 0x7f800000u ? 0x7e00u | ((absx >> 13) & 0x3ffu) : 0x7c00u);
  if (absx >= 0x477ff000u) // rounds to beyond 65504
    return sign | 0x7c00u;
  if (absx < 0x38800000u) { // below float16's smallest normal: subnormal
    // The value in units of 2^-24, rounded to nearest even.
    float scaled = std::bit_cast<float>(absx) * 16777216.0f; // exact
    uint32_t q = static_cast<uint32_t>(scaled);
    float rest = scaled - static_cast<float>(q);
    if (rest > 0.5f || (rest == 0.5f && (q & 1u)))
      ++q;
    return sign | static_cast<uint16_t>(q);
  }
  // Normal: rebias the exponent (127 -> 15) and round 23 bits to 10.
  uint32_t mant = absx + 0xc8000000u; // exponent - 112, as bits
  uint32_t round = 0xfffu + ((mant >> 13) & 1u);
  return sign | static_cast<uint16_t>((mant + round) >> 13);
}

/// The float value of float16 bits `h` (exact).
inline float halfBitsToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) { // zero or subnormal: mant * 2^-24
    float v = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(v));
  }
  if (exp == 31) // infinity or NaN
    return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

/// The bfloat16 bits nearest to `f`.
inline uint16_t floatToBFloat16Bits(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) // NaN: quiet, keep the sign
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  uint32_t round = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + round) >> 16);
}

/// The float value of bfloat16 bits `b` (exact).
inline float bfloat16BitsToFloat(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

} // namespace ember::rt

#endif // EMBER_RUNTIME_HALF_H
