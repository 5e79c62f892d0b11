// `denser index dense` and `denser index info` end to end: an embeddings file in, an index
// out whose Flat search equals brute force over the same rows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "support/command.h"

namespace denser {
namespace {

using denser_test::contains;
using denser_test::run_denser;

class IndexCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / str("denser_index_cli_", ::getpid());
    std::filesystem::create_directories(dir_);
    emb_ = (dir_ / "corpus.emb").string();
    x_ = make_clustered_vectors(kRows, kDim, 8, 0.5f, 77);
    for (size_t i = 0; i < kRows; ++i) ids_.push_back(str("doc-", i * 37 % 1009));
    EmbeddingsWriter writer(emb_, kDim, EmbeddingDType::kF32, "tiny-model@abc");
    writer.append(std::span(ids_).subspan(0, 300), std::span(x_).subspan(0, 300 * kDim));
    writer.append(std::span(ids_).subspan(300), std::span(x_).subspan(300 * kDim));
    writer.finish();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static constexpr size_t kRows = 700;
  static constexpr uint32_t kDim = 12;
  std::filesystem::path dir_;
  std::string emb_;
  std::vector<float> x_;
  std::vector<std::string> ids_;
};

TEST_F(IndexCliTest, DenseFlatCosineIndexMatchesBruteForce) {
  const std::string idx = (dir_ / "flat.idx").string();
  const auto built =
      run_denser(str("index dense --embeddings ", emb_, " --factory Flat --metric cosine --out ", idx, " --threads 1"));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  EXPECT_TRUE(contains(built.output, "indexed 700 vectors of dim 12 with factory 'Flat' (cosine)")) << built.output;

  const auto info = run_denser("index info --index " + idx);
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_TRUE(contains(info.output, "vectors:     700")) << info.output;
  EXPECT_TRUE(contains(info.output, "model:       tiny-model@abc")) << info.output;
  EXPECT_TRUE(contains(info.output, "Flat (exact)")) << info.output;

  auto index = VectorIndex::open(idx);
  EXPECT_EQ(index->doc_ids(), ids_);
  EXPECT_NO_THROW(index->check_fingerprint("tiny-model@abc"));
  EXPECT_THROW(index->check_fingerprint("other-model"), Error);
  // Oracle: cosine by brute force in double over the rows written to the embeddings file.
  const float* q = x_.data() + 5 * kDim;
  const auto res = index->search(1, std::span(q, kDim), 3);
  ASSERT_EQ(res.hits[0].size(), 3u);
  std::vector<std::pair<double, size_t>> oracle;
  for (size_t i = 0; i < kRows; ++i) {
    double dot = 0, nx = 0, nq = 0;
    for (uint32_t j = 0; j < kDim; ++j) {
      dot += double(x_[i * kDim + j]) * q[j];
      nx += double(x_[i * kDim + j]) * x_[i * kDim + j];
      nq += double(q[j]) * q[j];
    }
    oracle.push_back({-dot / std::sqrt(nx * nq), i});
  }
  std::sort(oracle.begin(), oracle.end());
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(res.hits[0][r].doc_id, ids_[oracle[r].second]);
    EXPECT_NEAR(res.hits[0][r].score, -oracle[r].first, 1e-5);
  }
}

TEST_F(IndexCliTest, DenseIvfTrainsOnASample) {
  const std::string idx = (dir_ / "ivf.idx").string();
  const auto built = run_denser(
      str("index dense --embeddings ", emb_, " --factory IVF4,Flat --train-sample 200 --out ", idx, " --threads 1"));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  auto index = VectorIndex::open(idx);
  EXPECT_EQ(index->num_vectors(), kRows);
  EXPECT_FALSE(index->needs_training());
}

TEST_F(IndexCliTest, ErrorsAreMessagesNotCrashes) {
  const std::string idx = (dir_ / "x.idx").string();
  auto r = run_denser(str("index dense --embeddings ", emb_, " --factory HNSWW32 --out ", idx));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "denser: error:")) << r.output;
  EXPECT_TRUE(contains(r.output, "HNSWW32")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(idx));

  r = run_denser(str("index info --index ", emb_));  // an embeddings file is not an index
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_TRUE(contains(r.output, "not a denser vector index")) << r.output;

  r = run_denser(str("index dense --embeddings ", emb_, " --factory Flat --metric l2 --out ", idx));
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace denser
