#pragma once
// IEEE 754 binary16 ("half") and bfloat16 conversions to and from float32, header-only
// so that hot loops (safetensors loading, float16 embeddings) inline them and so that
// modules other than encode can use them without a link dependency on libtorch code.
//
// float -> half/bfloat16 rounds to nearest, ties to even; overflow gives infinity,
// values below half the smallest subnormal give (signed) zero, subnormals are produced
// exactly. NaNs stay NaNs of the same sign and keep the top bits of their payload, so a
// half or bfloat16 NaN survives a round trip through float bit for bit.
// half/bfloat16 -> float is exact for every input. All functions are pure and thread-safe.
#include <bit>
#include <cstdint>

namespace denser {

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  // Rebias the exponent from 15 to 127.
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

namespace detail {
/// value >> shift rounded to nearest, ties to even (1 <= shift <= 31).
inline uint32_t shift_round_even(uint32_t value, uint32_t shift) {
  const uint32_t result = value >> shift;
  const uint32_t half = 1u << (shift - 1);
  const uint32_t rest = value & ((1u << shift) - 1);
  if (rest > half || (rest == half && (result & 1u) != 0)) return result + 1;
  return result;
}
}  // namespace detail

inline uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // infinity or NaN
    if (magnitude == 0x7f800000u) return sign | 0x7c00u;
    uint32_t payload = (magnitude >> 13) & 0x3ffu;
    if (payload == 0) payload = 0x200u;  // the payload lived in the dropped bits: stay a NaN
    return static_cast<uint16_t>(sign | 0x7c00u | payload);
  }
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to infinity
  if (magnitude >= 0x38800000u) {                       // >= 2^-14: a normal half
    // Rebias 127 -> 15 in place; a rounding carry into the exponent is the right answer.
    return static_cast<uint16_t>(sign | detail::shift_round_even(magnitude - 0x38000000u, 13));
  }
  if (magnitude < 0x33000000u) return sign;  // < 2^-25 rounds to zero
  // Subnormal half: the value in units of 2^-24 is significand * 2^(exponent - 126).
  const uint32_t exponent = magnitude >> 23;
  const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  return static_cast<uint16_t>(sign | detail::shift_round_even(significand, 126 - exponent));
}

inline float bfloat16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

inline uint16_t float_to_bfloat16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: truncate, but never to infinity
    auto top = static_cast<uint16_t>(bits >> 16);
    if ((top & 0x7fu) == 0) top |= 0x40u;
    return top;
  }
  // Finite values and infinities: round the low 16 bits away, ties to even. A carry out
  // of the largest finite values correctly gives infinity.
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace denser
