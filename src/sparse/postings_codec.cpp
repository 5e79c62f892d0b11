#include "postings_codec.h"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include "denser/common/error.h"
#include "bm25_format.h"

namespace denser::postings_codec {
namespace {

using bm25_format::kBlockSize;

// Packs n values of `bits` bits LSB first at out[0..]; out must be zeroed and have 8
// spare bytes (each value is OR-ed in with one 64-bit read-modify-write).
void pack(const uint32_t* values, size_t n, unsigned bits, uint8_t* out) {
  if (bits == 0) return;
  for (size_t i = 0; i < n; ++i) {
    const size_t bit = i * bits;
    uint64_t word;
    std::memcpy(&word, out + (bit >> 3), 8);
    word |= static_cast<uint64_t>(values[i]) << (bit & 7);
    std::memcpy(out + (bit >> 3), &word, 8);
  }
}

// One unpacker per width; N is kBlockSize for full blocks so the loop has a constant trip
// count (unrolled and partly vectorized), or 0 for "n given at run time".
template <unsigned W, size_t N>
void unpack(const uint8_t* in, size_t n, uint32_t* out) {
  if constexpr (N != 0) n = N;
  if constexpr (W == 0) {
    for (size_t i = 0; i < n; ++i) out[i] = 0;
  } else {
    constexpr uint64_t kMask = W == 32 ? 0xffffffffull : ((uint64_t{1} << W) - 1);
    for (size_t i = 0; i < n; ++i) {
      const size_t bit = i * W;
      uint64_t word;
      std::memcpy(&word, in + (bit >> 3), 8);
      out[i] = static_cast<uint32_t>((word >> (bit & 7)) & kMask);
    }
  }
}

using UnpackFn = void (*)(const uint8_t*, size_t, uint32_t*);

template <size_t N, size_t... W>
constexpr std::array<UnpackFn, sizeof...(W)> make_unpackers(std::index_sequence<W...>) {
  return {&unpack<static_cast<unsigned>(W), N>...};
}

constexpr auto kUnpackFull = make_unpackers<kBlockSize>(std::make_index_sequence<33>());
constexpr auto kUnpackPartial = make_unpackers<0>(std::make_index_sequence<33>());

unsigned width_of(const uint32_t* values, size_t n) {
  uint32_t all = 0;
  for (size_t i = 0; i < n; ++i) all |= values[i];
  return static_cast<unsigned>(std::bit_width(all));
}

}  // namespace

void encode_block(const uint32_t* docs, const uint32_t* tfs, size_t n, uint32_t base, std::vector<uint8_t>& out) {
  DENSER_CHECK(n >= 1 && n <= kBlockSize, ErrorCode::kInternal, "postings block of ", n, " entries");
  uint32_t gaps[kBlockSize];
  uint32_t tfs_minus_one[kBlockSize];
  uint32_t previous = base;
  for (size_t i = 0; i < n; ++i) {
    DENSER_CHECK(docs[i] >= previous, ErrorCode::kInternal, "postings not in increasing document order");
    DENSER_CHECK(tfs[i] >= 1, ErrorCode::kInternal, "term frequency 0 in a posting");
    gaps[i] = docs[i] - previous;
    previous = docs[i] + 1;
    tfs_minus_one[i] = tfs[i] - 1;
  }
  const unsigned gap_bits = width_of(gaps, n);
  const unsigned tf_bits = width_of(tfs_minus_one, n);
  const size_t gap_bytes = (n * gap_bits + 7) / 8;
  const size_t size = block_bytes(n, gap_bits, tf_bits);
  const size_t start = out.size();
  out.resize(start + size + 8, 0);  // 8 spare bytes for pack()'s wide writes
  uint8_t* block = out.data() + start;
  block[0] = static_cast<uint8_t>(gap_bits);
  block[1] = static_cast<uint8_t>(tf_bits);
  pack(gaps, n, gap_bits, block + 2);
  pack(tfs_minus_one, n, tf_bits, block + 2 + gap_bytes);
  out.resize(start + size);
}

bool decode_docs(const uint8_t* in, size_t available, size_t n, uint32_t base, uint32_t last_doc, uint32_t* docs) {
  if (available < 2 || n == 0 || n > kBlockSize) return false;
  const unsigned gap_bits = in[0];
  const unsigned tf_bits = in[1];
  if (gap_bits > 32 || tf_bits > 32 || block_bytes(n, gap_bits, tf_bits) != available) return false;
  (n == kBlockSize ? kUnpackFull : kUnpackPartial)[gap_bits](in + 2, n, docs);
  // Prefix sum in 64 bits: a corrupt gap cannot wrap around and land back in range.
  uint64_t doc = static_cast<uint64_t>(base) + docs[0];
  docs[0] = static_cast<uint32_t>(doc);
  for (size_t i = 1; i < n; ++i) {
    doc += static_cast<uint64_t>(docs[i]) + 1;
    docs[i] = static_cast<uint32_t>(doc);
  }
  return doc == last_doc;
}

void decode_tfs(const uint8_t* in, size_t n, uint32_t* tfs) {
  const unsigned gap_bits = in[0];
  const unsigned tf_bits = in[1];
  (n == kBlockSize ? kUnpackFull : kUnpackPartial)[tf_bits](in + 2 + (n * gap_bits + 7) / 8, n, tfs);
  for (size_t i = 0; i < n; ++i) tfs[i] += 1;
}

bool decode_block(const uint8_t* in, size_t available, size_t n, uint32_t base, uint32_t last_doc, uint32_t* docs,
                  uint32_t* tfs) {
  if (!decode_docs(in, available, n, base, last_doc, docs)) return false;
  decode_tfs(in, n, tfs);
  return true;
}

}  // namespace denser::postings_codec
