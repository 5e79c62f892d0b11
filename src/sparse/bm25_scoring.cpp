#include "denser/sparse/bm25_scoring.h"

#include <bit>
#include <cmath>

#include "denser/common/error.h"

namespace denser {
namespace {

// SmallFloat.longToInt4: a 4-bit-mantissa "float" whose implicit leading one is dropped;
// values below 8 ("subnormals") are stored as they are.
uint32_t long_to_int4(uint64_t value) {
  const int num_bits = 64 - std::countl_zero(value);
  if (num_bits < 4) return static_cast<uint32_t>(value);
  const int shift = num_bits - 4;
  uint32_t encoded = static_cast<uint32_t>(value >> shift) & 0x07u;
  encoded |= static_cast<uint32_t>(shift + 1) << 3;  // shift 0 is reserved for subnormals
  return encoded;
}

uint64_t int4_to_long(uint32_t encoded) {
  const uint64_t bits = encoded & 0x07u;
  const int shift = static_cast<int>(encoded >> 3) - 1;
  if (shift < 0) return bits;
  return (bits | 0x08u) << shift;
}

// 255 - longToInt4(INT32_MAX) = 24: byte values below it encode lengths exactly.
constexpr uint32_t kNumFreeValues = 24;

}  // namespace

void validate_bm25_params(const Bm25Params& params) {
  DENSER_CHECK(std::isfinite(params.k1) && params.k1 >= 0.0f, ErrorCode::kInvalidArgument,
               "BM25 k1 must be a finite value >= 0, got ", params.k1);
  DENSER_CHECK(params.b >= 0.0f && params.b <= 1.0f, ErrorCode::kInvalidArgument, "BM25 b must be in [0, 1], got ",
               params.b);
}

uint8_t length_to_norm_byte(uint32_t length) {
  // Lucene encodes an int; lengths beyond INT32_MAX cannot occur there, so saturate.
  const uint64_t value = length > 0x7fffffffu ? 0x7fffffffu : length;
  if (value < kNumFreeValues) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>(kNumFreeValues + long_to_int4(value - kNumFreeValues));
}

uint32_t norm_byte_to_length(uint8_t norm) {
  if (norm < kNumFreeValues) return norm;
  const uint64_t decoded = kNumFreeValues + int4_to_long(norm - kNumFreeValues);
  return decoded > 0x7fffffffu ? 0x7fffffffu : static_cast<uint32_t>(decoded);
}

float bm25_idf(uint64_t df, uint64_t num_docs) {
  const double n = static_cast<double>(num_docs);
  const double d = static_cast<double>(df);
  return static_cast<float>(std::log(1.0 + (n - d + 0.5) / (d + 0.5)));
}

float bm25_avgdl(uint64_t total_terms, uint64_t num_docs) {
  if (num_docs == 0) return 0.0f;
  return static_cast<float>(static_cast<double>(total_terms) / static_cast<double>(num_docs));
}

}  // namespace denser
