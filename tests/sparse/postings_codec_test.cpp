// The block codec against its input: random blocks of every width round-trip, and
// malformed blocks are reported rather than decoded.
#include "sparse/postings_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace denser {
namespace {

struct Block {
  std::vector<uint32_t> docs, tfs;
  uint32_t base = 0;
};

// n postings after `base` whose gaps need about gap_bits bits and tfs about tf_bits.
Block random_block(std::mt19937& rng, size_t n, unsigned gap_bits, unsigned tf_bits, uint32_t base) {
  Block b;
  b.base = base;
  auto value = [&](unsigned bits) -> uint64_t {
    if (bits == 0) return 0;
    const uint64_t max = bits >= 32 ? 0xffffffffull : (uint64_t{1} << bits) - 1;
    return std::uniform_int_distribution<uint64_t>(0, max)(rng);
  };
  uint64_t doc = base;
  for (size_t i = 0; i < n; ++i) {
    doc += value(gap_bits) + (i > 0 ? 1 : 0);
    if (doc >= UINT32_MAX - 1) break;  // stay below the "no more documents" marker
    b.docs.push_back(static_cast<uint32_t>(doc));
    b.tfs.push_back(static_cast<uint32_t>(std::min<uint64_t>(value(tf_bits) + 1, 0xffffffffull)));
  }
  return b;
}

void expect_round_trip(const Block& b) {
  std::vector<uint8_t> bytes;
  postings_codec::encode_block(b.docs.data(), b.tfs.data(), b.docs.size(), b.base, bytes);
  const size_t size = bytes.size();
  bytes.resize(size + 8, 0xAB);  // the decoder may read up to 7 bytes past the end
  std::vector<uint32_t> docs(128), tfs(128);
  ASSERT_TRUE(
      postings_codec::decode_block(bytes.data(), size, b.docs.size(), b.base, b.docs.back(), docs.data(), tfs.data()));
  docs.resize(b.docs.size());
  tfs.resize(b.docs.size());
  EXPECT_EQ(docs, b.docs);
  EXPECT_EQ(tfs, b.tfs);
}

TEST(PostingsCodec, RoundTripsEveryWidthAndSize) {
  std::mt19937 rng(7);
  for (unsigned gap_bits = 0; gap_bits <= 24; gap_bits += 3) {
    for (unsigned tf_bits : {0u, 1u, 5u, 17u, 32u}) {
      for (size_t n : {1u, 2u, 7u, 64u, 127u, 128u}) {
        const Block b = random_block(rng, n, gap_bits, tf_bits, std::uniform_int_distribution<uint32_t>(0, 1000)(rng));
        if (b.docs.empty()) continue;
        SCOPED_TRACE(testing::Message() << "gap_bits " << gap_bits << " tf_bits " << tf_bits << " n " << n);
        expect_round_trip(b);
      }
    }
  }
}

TEST(PostingsCodec, DenseBlockIsSmall) {
  // 128 consecutive documents with tf 1: all gaps and tf - 1 are 0, so 2 header bytes.
  std::vector<uint32_t> docs(128), tfs(128, 1);
  for (uint32_t i = 0; i < 128; ++i) docs[i] = 500 + i;
  std::vector<uint8_t> bytes;
  postings_codec::encode_block(docs.data(), tfs.data(), 128, 500, bytes);
  EXPECT_EQ(bytes.size(), 2u);
  bytes.resize(10, 0);
  std::vector<uint32_t> out_docs(128), out_tfs(128);
  ASSERT_TRUE(postings_codec::decode_block(bytes.data(), 2, 128, 500, 627, out_docs.data(), out_tfs.data()));
  EXPECT_EQ(out_docs, docs);
  EXPECT_EQ(out_tfs, tfs);
}

TEST(PostingsCodec, LargeDocumentNumbers) {
  // Gaps up to 2^32 - 2 (the widest possible) in one block.
  std::vector<uint32_t> docs = {5, UINT32_MAX - 2}, tfs = {1, 0xfffffffeu};
  std::vector<uint8_t> bytes;
  postings_codec::encode_block(docs.data(), tfs.data(), 2, 0, bytes);
  const size_t size = bytes.size();
  bytes.resize(size + 8, 0);
  std::vector<uint32_t> d(2), t(2);
  ASSERT_TRUE(postings_codec::decode_block(bytes.data(), size, 2, 0, UINT32_MAX - 2, d.data(), t.data()));
  EXPECT_EQ(d, docs);
  EXPECT_EQ(t, tfs);
}

TEST(PostingsCodec, RejectsMalformedBlocks) {
  std::mt19937 rng(11);
  const Block b = random_block(rng, 100, 6, 3, 40);
  std::vector<uint8_t> bytes;
  postings_codec::encode_block(b.docs.data(), b.tfs.data(), b.docs.size(), b.base, bytes);
  const size_t size = bytes.size();
  bytes.resize(size + 8, 0);
  std::vector<uint32_t> d(128), t(128);
  const uint32_t last = b.docs.back();
  // Wrong size, wrong count, wrong last document, wrong base.
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), size - 1, 100, 40, last, d.data(), t.data()));
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), size, 99, 40, last, d.data(), t.data()));
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), size, 100, 40, last + 1, d.data(), t.data()));
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), size, 100, 41, last, d.data(), t.data()));
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), size, 0, 40, last, d.data(), t.data()));
  EXPECT_FALSE(postings_codec::decode_block(bytes.data(), 1, 100, 40, last, d.data(), t.data()));
  // A width above 32.
  std::vector<uint8_t> bad = bytes;
  bad[0] = 33;
  EXPECT_FALSE(postings_codec::decode_block(bad.data(), size, 100, 40, last, d.data(), t.data()));
  // Any flipped bit in the packed gaps moves some document, so the last one no longer matches
  // (or the block no longer parses).
  const size_t gap_bytes = (100 * bytes[0] + 7) / 8;
  for (size_t i = 2; i < 2 + gap_bytes; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> flipped = bytes;
      flipped[i] ^= static_cast<uint8_t>(1u << bit);
      const size_t used_bits = 100 * bytes[0];
      if ((i - 2) * 8 + static_cast<size_t>(bit) >= used_bits) continue;  // padding bit: harmless
      EXPECT_FALSE(postings_codec::decode_block(flipped.data(), size, 100, 40, last, d.data(), t.data()))
          << "byte " << i << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace denser
