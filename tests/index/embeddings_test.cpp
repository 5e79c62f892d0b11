// The embeddings file: round trips (f32 exact, f16 within half precision, empty), the
// byte layout against a file assembled by hand from docs/formats/embeddings.md, writer
// input checks, every truncation, and bit flips with and without checksum verification.
#include "denser/index/embeddings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "denser/common/half.h"

namespace denser {
namespace {

using denser_test::TempDir;
using denser_test::throws_error_with;

void spit(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

struct Rows {
  std::vector<std::string> ids;
  std::vector<float> values;  // (ids.size(), dim)
};

Rows random_rows(size_t n, uint32_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  Rows rows;
  for (size_t i = 0; i < n; ++i) rows.ids.push_back("doc-" + std::to_string(i * 7919 % 100003));
  for (size_t i = 0; i < n * dim; ++i) rows.values.push_back(normal(rng));
  return rows;
}

/// Writes rows in uneven batches (1, 2, 3, ... rows) to exercise streaming.
void write_rows(const std::string& path, const Rows& rows, uint32_t dim, EmbeddingDType dtype,
                const std::string& fingerprint) {
  EmbeddingsWriter writer(path, dim, dtype, fingerprint);
  size_t begin = 0;
  for (size_t batch = 1; begin < rows.ids.size(); ++batch) {
    const size_t n = std::min(batch, rows.ids.size() - begin);
    writer.append(std::span(rows.ids).subspan(begin, n), std::span(rows.values).subspan(begin * dim, n * dim));
    begin += n;
  }
  writer.finish();
}

TEST(Embeddings, Float32RoundTripIsExact) {
  TempDir dir("embeddings");
  const std::string path = dir.path("e.emb");
  const uint32_t dim = 13;
  Rows rows = random_rows(500, dim, 1);
  rows.ids[3] = "";                       // empty ids are kept
  rows.ids[4] = "caf\xc3\xa9 / \"x\"\n";  // any bytes
  rows.ids[5] = std::string(70000, 'z');
  write_rows(path, rows, dim, EmbeddingDType::kF32, "bert-tiny@sha256:abc");

  const Embeddings e = Embeddings::open(path);
  EXPECT_EQ(e.num_rows(), 500u);
  EXPECT_EQ(e.dim(), dim);
  EXPECT_EQ(e.header().dtype, EmbeddingDType::kF32);
  EXPECT_EQ(e.header().model_fingerprint, "bert-tiny@sha256:abc");
  EXPECT_EQ(e.ids(), rows.ids);
  EXPECT_EQ(e.id(4), rows.ids[4]);
  std::vector<float> all(500 * dim);
  e.rows(0, 500, all.data());
  EXPECT_EQ(all, rows.values);
  ASSERT_NE(e.f32_data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(e.f32_data()) % 64, 0u);
  EXPECT_EQ(std::vector<float>(e.f32_data(), e.f32_data() + 500 * dim), rows.values);
  std::vector<float> some(3 * dim);
  e.rows(100, 103, some.data());
  EXPECT_EQ(some, std::vector<float>(rows.values.begin() + 100 * dim, rows.values.begin() + 103 * dim));
  EXPECT_TRUE(throws_error_with([&] { e.rows(499, 501, some.data()); }, {path, "out of range"}));
  // Without checksum verification the same data comes back.
  const Embeddings unverified = Embeddings::open(path, false);
  EXPECT_EQ(std::vector<float>(unverified.f32_data(), unverified.f32_data() + 500 * dim), rows.values);
}

TEST(Embeddings, Float16RoundTripIsWithinHalfPrecision) {
  TempDir dir("embeddings");
  const std::string path = dir.path("e16.emb");
  const uint32_t dim = 7;
  Rows rows = random_rows(300, dim, 2);
  rows.values[0] = 65504.0f;  // the largest half
  rows.values[1] = 1e-7f;     // a half subnormal
  write_rows(path, rows, dim, EmbeddingDType::kF16, "m");
  const Embeddings e = Embeddings::open(path);
  EXPECT_EQ(e.header().dtype, EmbeddingDType::kF16);
  EXPECT_EQ(e.f32_data(), nullptr);
  EXPECT_EQ(e.ids(), rows.ids);
  std::vector<float> back(300 * dim);
  e.rows(0, 300, back.data());
  for (size_t i = 0; i < back.size(); ++i) {
    ASSERT_EQ(back[i], half_to_float(float_to_half(rows.values[i]))) << i;
    // Half precision: relative error at most 2^-11, absolute 2^-25 among subnormals.
    ASSERT_LE(std::fabs(back[i] - rows.values[i]), std::fabs(rows.values[i]) * 0x1p-11f + 0x1p-25f) << i;
  }
  std::vector<float> one(dim);
  e.rows(299, 300, one.data());
  EXPECT_EQ(one, std::vector<float>(back.end() - dim, back.end()));
}

TEST(Embeddings, EmptyFileWithZeroRows) {
  TempDir dir("embeddings");
  for (auto dtype : {EmbeddingDType::kF32, EmbeddingDType::kF16}) {
    const std::string path = dir.path("empty.emb");
    EmbeddingsWriter writer(path, 4, dtype, "");
    writer.finish();
    const Embeddings e = Embeddings::open(path);
    EXPECT_EQ(e.num_rows(), 0u);
    EXPECT_EQ(e.dim(), 4u);
    EXPECT_TRUE(e.ids().empty());
    e.rows(0, 0, nullptr);
  }
}

/// Little-endian field appenders for building a file by hand from the format document.
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>(v >> (8 * i));
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>(v >> (8 * i));
}
void put_float(std::string& s, float f) {
  uint32_t v;
  std::memcpy(&v, &f, 4);
  put32(s, v);
}

/// dim 2, f32, fingerprint "fp", rows a = (1, -2), bc = (0.5, 3), as the spec lays it out.
std::string hand_built_file() {
  std::string s = "DNSREMB1";
  put32(s, 1);    // version
  put32(s, 64);   // header size
  put32(s, 0);    // dtype f32
  put32(s, 2);    // dim
  put64(s, 128);  // matrix offset: 64 + 2 fingerprint bytes, rounded up to 64
  put32(s, 2);    // fingerprint bytes
  s.append(28, '\0');
  s += "fp";
  s.append(128 - s.size(), '\0');
  for (float f : {1.0f, -2.0f, 0.5f, 3.0f}) put_float(s, f);
  // 144: ids (already 8-aligned), 4 + 1 + 4 + 2 = 11 bytes, padded to 160.
  put32(s, 1);
  s += "a";
  put32(s, 2);
  s += "bc";
  s.append(5, '\0');
  put64(s, 2);    // rows
  put64(s, 144);  // ids offset
  put64(s, 11);   // ids bytes
  put32(s, crc32c(s.data(), s.size()));
  s += "EMBT";
  return s;
}

TEST(Embeddings, LayoutMatchesTheSpecByteForByte) {
  TempDir dir("embeddings");
  const std::string expected = hand_built_file();
  const std::string by_hand = dir.path("hand.emb");
  spit(by_hand, expected);
  const Embeddings e = Embeddings::open(by_hand);
  EXPECT_EQ(e.ids(), (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(e.header().model_fingerprint, "fp");
  EXPECT_EQ(std::vector<float>(e.f32_data(), e.f32_data() + 4), (std::vector<float>{1, -2, 0.5f, 3}));

  const std::string written = dir.path("written.emb");
  const std::vector<std::string> ids = {"a", "bc"};
  const std::vector<float> values = {1, -2, 0.5f, 3};
  EmbeddingsWriter writer(written, 2, EmbeddingDType::kF32, "fp");
  writer.append(ids, values);
  writer.finish();
  EXPECT_EQ(read_file(written), expected);
}

TEST(Embeddings, WriterRejectsBadInput) {
  TempDir dir("embeddings");
  const std::string path = dir.path("bad.emb");
  const std::vector<std::string> ids = {"x"};
  EXPECT_TRUE(throws_error_with([&] { EmbeddingsWriter(path, 0, EmbeddingDType::kF32, ""); }, {path, "at least 1"}));
  {
    EmbeddingsWriter writer(path, 2, EmbeddingDType::kF16, "");
    const std::vector<float> three = {1, 2, 3};
    EXPECT_TRUE(throws_error_with([&] { writer.append(ids, three); }, {path, "expected ids x dim = 2"}));
    const std::vector<float> nan = {1, std::nanf("")};
    EXPECT_TRUE(throws_error_with([&] { writer.append(ids, nan); }, {"id 'x'", "non-finite", "column 1"}));
    const std::vector<float> big = {70000.0f, 1};
    EXPECT_TRUE(throws_error_with([&] { writer.append(ids, big); }, {"id 'x'", "float16 range", "column 0"}));
    // Abandoned without finish(): nothing appears.
  }
  EXPECT_FALSE(file_exists(path));
  EmbeddingsWriter writer(path, 1, EmbeddingDType::kF32, "");
  writer.finish();
  const std::vector<float> one = {1};
  EXPECT_TRUE(throws_error_with([&] { writer.append(ids, one); }, {"after finish"}));
  EXPECT_TRUE(throws_error_with([&] { writer.finish(); }, {"twice"}));
}

TEST(Embeddings, ReaderNamesWhatIsWrong) {
  TempDir dir("embeddings");
  const std::string path = dir.path("x.emb");
  std::string bytes = hand_built_file();
  std::string wrong = bytes;
  wrong[0] = 'X';
  spit(path, wrong);
  EXPECT_TRUE(throws_error_with([&] { Embeddings::open(path); }, {path, "not an embeddings file"}));
  wrong = bytes;
  wrong[8] = 2;
  spit(path, wrong);
  EXPECT_TRUE(throws_error_with([&] { Embeddings::open(path); }, {"version 2", "expected 1"}));
  wrong = bytes;
  wrong[130] ^= 1;  // inside the matrix: only the checksum can tell
  spit(path, wrong);
  EXPECT_TRUE(throws_error_with([&] { Embeddings::open(path); }, {"checksum mismatch"}));
  EXPECT_NO_THROW(Embeddings::open(path, false));
  wrong = bytes;
  wrong[bytes.size() - 32] = 3;  // 3 rows claimed: sizes no longer add up
  spit(path, wrong);
  EXPECT_TRUE(throws_error_with([&] { Embeddings::open(path, false); }, {"id block offset 144", "expected 152"}));
  spit(path, bytes.substr(0, 50));
  EXPECT_TRUE(throws_error_with([&] { Embeddings::open(path); }, {"truncated: 50 bytes"}));
}

/// A small file of each dtype for the sweeps below.
std::vector<std::string> small_files(const TempDir& dir) {
  std::vector<std::string> files;
  for (auto dtype : {EmbeddingDType::kF32, EmbeddingDType::kF16}) {
    const std::string path = dir.path(std::string("small") + (dtype == EmbeddingDType::kF16 ? "16" : "32") + ".emb");
    write_rows(path, random_rows(5, 3, 9), 3, dtype, "fingerprint");
    files.push_back(read_file(path));
  }
  return files;
}

TEST(Embeddings, EveryTruncationIsRejected) {
  TempDir dir("embeddings");
  const std::string path = dir.path("cut.emb");
  for (const std::string& bytes : small_files(dir)) {
    for (size_t len = 0; len < bytes.size(); ++len) {
      spit(path, bytes.substr(0, len));
      EXPECT_THROW(Embeddings::open(path), Error) << len;
      EXPECT_THROW(Embeddings::open(path, false), Error) << len;
    }
  }
}

TEST(Embeddings, EveryBitFlipIsCaughtByTheChecksumAndNeverCrashesWithout) {
  TempDir dir("embeddings");
  const std::string path = dir.path("flip.emb");
  for (const std::string& bytes : small_files(dir)) {
    size_t accepted_unverified = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit : {0, 5, 7}) {
        std::string copy = bytes;
        copy[i] = static_cast<char>(copy[i] ^ (1 << bit));
        spit(path, copy);
        EXPECT_THROW(Embeddings::open(path), Error) << "byte " << i << " bit " << bit;
        try {
          const Embeddings e = Embeddings::open(path, false);
          std::vector<float> out(e.num_rows() * e.dim());
          e.rows(0, e.num_rows(), out.data());
          ++accepted_unverified;
        } catch (const Error&) {}
      }
    }
    // Unverified, flips in the matrix, ids, fingerprint or stored CRC go unnoticed; flips
    // in the structure (header, counts, offsets, padding, markers) are still caught.
    EXPECT_GT(accepted_unverified, 0u);
    EXPECT_LT(accepted_unverified, 3 * bytes.size());
  }
}

}  // namespace
}  // namespace denser
