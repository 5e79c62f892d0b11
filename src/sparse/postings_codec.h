#pragma once
// Compression of one postings block (up to 128 postings of one term):
//   [u8 gap_bits][u8 tf_bits][gaps, bit-packed][tf - 1, bit-packed]
// Gaps: the first document minus `base` (the previous block's last document + 1, or 0
// for a term's first block), then each document minus its predecessor minus 1. Values are
// packed LSB first at a fixed width per array (the width of the largest value, 0..32),
// each array padded to a whole byte.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace denser::postings_codec {

/// Bytes of a block with n postings and these widths.
inline size_t block_bytes(size_t n, unsigned gap_bits, unsigned tf_bits) {
  return 2 + (n * gap_bits + 7) / 8 + (n * tf_bits + 7) / 8;
}

/// Appends the block: docs strictly increasing and >= base, tfs >= 1, 1 <= n <= 128.
void encode_block(const uint32_t* docs, const uint32_t* tfs, size_t n, uint32_t base, std::vector<uint8_t>& out);

/// Decodes n postings from `in`, which holds `available` bytes of this block and at least 7
/// readable bytes after them. Returns false, with docs/tfs unspecified, when the block is
/// malformed: widths above 32, a size other than `available`, or documents that do not end
/// at last_doc (documents are strictly increasing by construction, so all are <= last_doc).
bool decode_block(const uint8_t* in, size_t available, size_t n, uint32_t base, uint32_t last_doc, uint32_t* docs,
                  uint32_t* tfs);

/// The documents only, with the same checks: a cursor that skips through a block often
/// never needs its frequencies.
bool decode_docs(const uint8_t* in, size_t available, size_t n, uint32_t base, uint32_t last_doc, uint32_t* docs);
/// The frequencies of a block that decode_docs() accepted.
void decode_tfs(const uint8_t* in, size_t n, uint32_t* tfs);

}  // namespace denser::postings_codec
