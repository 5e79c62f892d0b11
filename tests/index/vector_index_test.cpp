// VectorIndex unit tests. Oracle: brute-force inner products computed here in double.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/index/vector_index.h"

namespace denser {
namespace {

struct Scored {
  double score;
  uint64_t row;
};

std::vector<std::string> make_ids(size_t n, size_t offset = 0) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(str("doc", i + offset));
  return ids;
}

std::vector<float> random_matrix(size_t n, uint32_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gaussian(0.0f, 1.0f);
  std::vector<float> x(n * dim);
  for (float& v : x) v = gaussian(rng);
  return x;
}

std::vector<float> normalized(std::vector<float> x, uint32_t dim) {
  for (size_t i = 0; i < x.size() / dim; ++i) {
    double norm = 0;
    for (uint32_t j = 0; j < dim; ++j) norm += double(x[i * dim + j]) * x[i * dim + j];
    norm = std::sqrt(norm);
    if (norm > 0)
      for (uint32_t j = 0; j < dim; ++j) x[i * dim + j] = static_cast<float>(x[i * dim + j] / norm);
  }
  return x;
}

// All rows scored against query q, best first, ties by row.
std::vector<Scored> brute_force(const std::vector<float>& x, const float* q, uint32_t dim) {
  std::vector<Scored> out;
  for (size_t i = 0; i < x.size() / dim; ++i) {
    double s = 0;
    for (uint32_t j = 0; j < dim; ++j) s += double(x[i * dim + j]) * q[j];
    out.push_back({s, i});
  }
  std::sort(out.begin(), out.end(),
            [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.row < b.row; });
  return out;
}

// Flat must equal brute force: scores within 1e-5 rank by rank, and the same row unless
// brute force itself has another row within 1e-5 (float rounding may swap near-ties).
void expect_exact_top_k(const std::vector<VectorHit>& hits, const std::vector<Scored>& oracle, size_t k) {
  ASSERT_EQ(hits.size(), std::min(k, oracle.size()));
  for (size_t r = 0; r < hits.size(); ++r) {
    EXPECT_NEAR(hits[r].score, oracle[r].score, 1e-5) << "rank " << r;
    EXPECT_EQ(hits[r].doc_id, str("doc", hits[r].row));
    if (hits[r].row != oracle[r].row) {
      const bool near_tie = std::any_of(oracle.begin(), oracle.end(), [&](const Scored& s) {
        return s.row == hits[r].row && std::fabs(s.score - oracle[r].score) <= 1e-5;
      });
      EXPECT_TRUE(near_tie) << "rank " << r << ": row " << hits[r].row << " instead of " << oracle[r].row;
    }
    if (r > 0) {  // the index's own order: score descending, ties by row
      EXPECT_TRUE(hits[r - 1].score > hits[r].score ||
                  (hits[r - 1].score == hits[r].score && hits[r - 1].row < hits[r].row));
    }
  }
}

std::unique_ptr<VectorIndex> build(const std::string& factory, VectorMetric metric, uint32_t dim,
                                   const std::vector<float>& x, const std::string& fingerprint = "model-a") {
  auto index = VectorIndex::create({dim, factory, metric, fingerprint});
  const size_t n = x.size() / dim;
  index->train(n, x, 2);
  index->add(make_ids(n), x, 2);
  return index;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("denser_vi_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(VectorIndexTest, FlatInnerProductEqualsBruteForce) {
  const uint32_t dim = 32;
  const auto x = random_matrix(3000, dim, 1);
  const auto q = random_matrix(40, dim, 2);  // >= 20 queries: FAISS takes its BLAS path
  auto index = build("Flat", VectorMetric::kInnerProduct, dim, x);
  for (size_t k : {1, 10, 100}) {
    const VectorSearchResults res = index->search(40, q, k);
    ASSERT_EQ(res.hits.size(), 40u);
    EXPECT_EQ(res.stats.num_queries, 40u);
    EXPECT_GE(res.stats.distances_computed, 40u * 3000u);
    for (size_t i = 0; i < 40; ++i) expect_exact_top_k(res.hits[i], brute_force(x, q.data() + i * dim, dim), k);
  }
  // One query at a time takes FAISS's other code path; same answer.
  const VectorSearchResults single = index->search(1, std::span(q).subspan(0, dim), 10);
  expect_exact_top_k(single.hits[0], brute_force(x, q.data(), dim), 10);
}

TEST(VectorIndexTest, FlatCosineEqualsBruteForceOnNormalizedVectors) {
  const uint32_t dim = 16;
  auto x = random_matrix(1000, dim, 3);
  for (uint32_t j = 0; j < dim; ++j) {
    x[5 * dim + j] *= 100.0f;  // scale must not matter under cosine
    x[7 * dim + j] = 0.0f;     // a zero vector scores 0
  }
  const auto q = random_matrix(25, dim, 4);
  auto index = build("Flat", VectorMetric::kCosine, dim, x);
  const auto xn = normalized(x, dim);
  const auto qn = normalized(q, dim);
  const VectorSearchResults res = index->search(25, q, 1000);
  for (size_t i = 0; i < 25; ++i) {
    const auto oracle = brute_force(xn, qn.data() + i * dim, dim);
    expect_exact_top_k(res.hits[i], oracle, 1000);
    for (const VectorHit& h : res.hits[i]) {
      EXPECT_LE(h.score, 1.0f + 1e-5f);
      if (h.row == 7) {
        EXPECT_EQ(h.score, 0.0f);
      }
    }
  }
}

TEST(VectorIndexTest, TiesAcrossTheCutoffAreBrokenByRow) {
  // Small integers: every product is exact in float, so the ties are exact too.
  const uint32_t dim = 4;
  std::vector<float> x;
  for (int i = 0; i < 200; ++i) {
    const bool top = i % 7 == 3;  // rows 3, 10, 17, ... tie for the best score
    const float v[4] = {top ? 2.0f : 1.0f, 1.0f, static_cast<float>(i % 2), 0.0f};
    x.insert(x.end(), v, v + 4);
  }
  auto index = build("Flat", VectorMetric::kInnerProduct, dim, x);
  std::vector<float> q;
  for (int i = 0; i < 30; ++i) q.insert(q.end(), {1.0f, 1.0f, 0.0f, 0.0f});
  for (size_t nq : {1, 30}) {
    const VectorSearchResults res = index->search(nq, std::span(q).subspan(0, nq * dim), 5);
    for (size_t i = 0; i < nq; ++i) {
      const auto oracle = brute_force(x, q.data(), dim);
      ASSERT_EQ(res.hits[i].size(), 5u);
      for (size_t r = 0; r < 5; ++r) {
        EXPECT_EQ(res.hits[i][r].row, oracle[r].row) << "nq " << nq << " rank " << r;
        EXPECT_EQ(res.hits[i][r].row, 3 + 7 * r);
        EXPECT_EQ(res.hits[i][r].score, 3.0f);
      }
    }
  }
  // k = 40 cuts the second tier (score 2, 171 rows): its lowest rows must come first.
  const VectorSearchResults deep = index->search(1, std::span(q).subspan(0, dim), 40);
  const auto oracle = brute_force(x, q.data(), dim);
  for (size_t r = 0; r < 40; ++r) EXPECT_EQ(deep.hits[0][r].row, oracle[r].row) << "rank " << r;
}

TEST(VectorIndexTest, SmallAndEmptyIndexes) {
  const uint32_t dim = 8;
  const auto q = random_matrix(3, dim, 5);
  auto empty = VectorIndex::create({dim, "Flat", VectorMetric::kInnerProduct, "m"});
  VectorSearchResults res = empty->search(3, q, 10);
  ASSERT_EQ(res.hits.size(), 3u);
  for (const auto& h : res.hits) EXPECT_TRUE(h.empty());
  auto hnsw_empty = VectorIndex::create({dim, "HNSW16", VectorMetric::kCosine, "m"});
  EXPECT_TRUE(hnsw_empty->search(3, q, 10).hits[0].empty());
  EXPECT_TRUE(empty->search(0, {}, 10).hits.empty());

  const auto x = random_matrix(4, dim, 6);
  auto index = build("Flat", VectorMetric::kInnerProduct, dim, x);
  res = index->search(3, q, 10);  // k > n: all n rows, no padding
  for (size_t i = 0; i < 3; ++i) expect_exact_top_k(res.hits[i], brute_force(x, q.data() + i * dim, dim), 10);
  EXPECT_TRUE(index->search(3, q, 0).hits[0].empty());
  EXPECT_EQ(index->search(3, q, SIZE_MAX).hits[0].size(), 4u);
}

TEST(VectorIndexTest, AddAppendsRowsInOrder) {
  const uint32_t dim = 8;
  const auto x = random_matrix(100, dim, 7);
  auto index = VectorIndex::create({dim, "Flat", VectorMetric::kInnerProduct, "m"});
  const auto ids = make_ids(100);
  index->add(std::span(ids).subspan(0, 60), std::span(x).subspan(0, 60 * dim));
  index->add(std::span(ids).subspan(60), std::span(x).subspan(60 * dim));
  EXPECT_EQ(index->num_vectors(), 100u);
  EXPECT_EQ(index->doc_ids(), ids);
  const auto q = random_matrix(5, dim, 8);
  const auto res = index->search(5, q, 20);
  for (size_t i = 0; i < 5; ++i) expect_exact_top_k(res.hits[i], brute_force(x, q.data() + i * dim, dim), 20);
}

TEST(VectorIndexTest, SearchParamsReachFaiss) {
  const uint32_t dim = 16;
  const auto x = make_clustered_vectors(4000, dim, 20, 0.3f, 9);
  const auto q = make_clustered_vectors(20, dim, 20, 0.3f, 10);
  auto hnsw = build("HNSW16", VectorMetric::kInnerProduct, dim, x);
  const auto narrow = hnsw->search(20, q, 10, {.ef_search = 10});
  const auto wide = hnsw->search(20, q, 10, {.ef_search = 400});
  EXPECT_GT(wide.stats.distances_computed, 2 * narrow.stats.distances_computed);
  EXPECT_GT(narrow.stats.distances_computed, 0u);

  auto ivf = build("IVF32,Flat", VectorMetric::kInnerProduct, dim, x);
  const auto one = ivf->search(20, q, 10, {.nprobe = 1});
  const auto all = ivf->search(20, q, 10, {.nprobe = 32});
  EXPECT_EQ(all.stats.distances_computed, 20u * 4000u);  // every list visited
  EXPECT_LT(one.stats.distances_computed, all.stats.distances_computed);
  // nprobe = nlist makes IVF-Flat exact.
  for (size_t i = 0; i < 20; ++i) expect_exact_top_k(all.hits[i], brute_force(x, q.data() + i * dim, dim), 10);

  auto flat = build("Flat", VectorMetric::kInnerProduct, dim, x);
  EXPECT_THROW(flat->search(20, q, 10, {.ef_search = 64}), Error);
  EXPECT_THROW(hnsw->search(20, q, 10, {.nprobe = 4}), Error);
}

TEST(VectorIndexTest, TrainingIsRequiredOnlyWhereFaissNeedsIt) {
  const uint32_t dim = 16;
  const auto x = make_clustered_vectors(2000, dim, 10, 0.2f, 11);
  auto ivf = VectorIndex::create({dim, "IVF16,PQ4x4", VectorMetric::kInnerProduct, "m"});
  EXPECT_TRUE(ivf->needs_training());
  const auto ids = make_ids(2000);
  EXPECT_THROW(ivf->add(ids, x), Error);
  ivf->train(2000, x);
  EXPECT_FALSE(ivf->needs_training());
  ivf->add(ids, x);
  EXPECT_EQ(ivf->num_vectors(), 2000u);
  auto flat = VectorIndex::create({dim, "Flat", VectorMetric::kInnerProduct, "m"});
  EXPECT_FALSE(flat->needs_training());
  flat->train(2000, x);  // no-op
  EXPECT_EQ(flat->num_vectors(), 0u);
}

TEST(VectorIndexTest, BadInputIsAnError) {
  const uint32_t dim = 8;
  const auto x = random_matrix(10, dim, 12);
  auto index = build("Flat", VectorMetric::kInnerProduct, dim, x);
  const auto wrong = random_matrix(2, dim + 1, 13);
  EXPECT_THROW(index->search(2, wrong, 5), Error);
  EXPECT_THROW(index->add(make_ids(2), wrong), Error);
  EXPECT_THROW(index->add(make_ids(3), std::span(x).subspan(0, 2 * dim)), Error);
  EXPECT_THROW(index->train(2, wrong), Error);
  EXPECT_EQ(index->num_vectors(), 10u);  // nothing half-added

  EXPECT_THROW(VectorIndex::create({0, "Flat", VectorMetric::kInnerProduct, ""}), Error);
  try {
    VectorIndex::create({dim, "HNSWW32", VectorMetric::kInnerProduct, ""});
    FAIL() << "a factory typo must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'HNSWW32'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("FAISS"), std::string::npos) << e.what();
  }
  EXPECT_THROW(VectorIndex::create({dim, "PQ3", VectorMetric::kInnerProduct, ""}), Error);  // 8 % 3 != 0
  EXPECT_THROW(parse_vector_metric("l2"), Error);
  EXPECT_EQ(parse_vector_metric("cosine"), VectorMetric::kCosine);
  EXPECT_EQ(parse_vector_metric("ip"), VectorMetric::kInnerProduct);
}

TEST(VectorIndexTest, FingerprintMismatchIsAnError) {
  auto index = VectorIndex::create({4, "Flat", VectorMetric::kInnerProduct, "ance-msmarco@1234"});
  EXPECT_NO_THROW(index->check_fingerprint("ance-msmarco@1234"));
  try {
    index->check_fingerprint("bert-tiny@99");
    FAIL() << "a different model must be refused";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("ance-msmarco@1234"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bert-tiny@99"), std::string::npos) << msg;
  }
}

class VectorIndexFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VectorIndexFileTest, SaveOpenRoundTripGivesIdenticalResults) {
  const uint32_t dim = 16;
  const auto x = make_clustered_vectors(1500, dim, 16, 0.3f, 14);
  const auto q = make_clustered_vectors(30, dim, 16, 0.3f, 15);
  auto index = build(GetParam(), VectorMetric::kCosine, dim, x, "fp-123");
  const std::string path = temp_path("roundtrip.idx");
  index->save(path);
  auto loaded = VectorIndex::open(path);
  EXPECT_EQ(loaded->dim(), dim);
  EXPECT_EQ(loaded->num_vectors(), 1500u);
  EXPECT_EQ(loaded->factory(), GetParam());
  EXPECT_EQ(loaded->metric(), VectorMetric::kCosine);
  EXPECT_EQ(loaded->fingerprint(), "fp-123");
  EXPECT_EQ(loaded->doc_ids(), index->doc_ids());
  EXPECT_EQ(loaded->memory_bytes(), index->memory_bytes());
  EXPECT_EQ(loaded->describe(), index->describe());
  const auto a = index->search(30, q, 20);
  const auto b = loaded->search(30, q, 20);
  for (size_t i = 0; i < 30; ++i) {
    ASSERT_EQ(a.hits[i].size(), b.hits[i].size());
    for (size_t r = 0; r < a.hits[i].size(); ++r) {
      EXPECT_EQ(a.hits[i][r].doc_id, b.hits[i][r].doc_id);
      EXPECT_EQ(a.hits[i][r].score, b.hits[i][r].score);
    }
  }
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Factories, VectorIndexFileTest, ::testing::Values("Flat", "HNSW8", "IVF8,PQ4x4"));

// Every truncation and every single-byte flip of a small index file must be rejected with
// a denser::Error naming the file: never a crash, never a silently different index.
TEST(VectorIndexCorruptionTest, TruncationsAndByteFlipsAreRejected) {
  for (const char* factory : {"Flat", "HNSW4"}) {
    const uint32_t dim = 4;
    const auto x = random_matrix(12, dim, 16);
    auto index = build(factory, VectorMetric::kInnerProduct, dim, x, "fp");
    const std::string path = temp_path("corrupt.idx");
    index->save(path);
    const std::string bytes = read_file(path);
    const std::string bad = temp_path("bad.idx");
    auto expect_rejected = [&](const std::string& contents, const std::string& what) {
      std::ofstream(bad, std::ios::binary | std::ios::trunc) << contents;  // no fsync: thousands of files
      try {
        VectorIndex::open(bad);
        ADD_FAILURE() << factory << ": " << what << " was accepted";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
      }
    };
    for (size_t len = 0; len < bytes.size(); ++len) expect_rejected(bytes.substr(0, len), str("prefix ", len));
    for (size_t at = 0; at < bytes.size(); ++at) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
      expect_rejected(flipped, str("flip at ", at));
    }
    expect_rejected(bytes + "x", "a trailing byte");
    EXPECT_EQ(VectorIndex::open(path)->num_vectors(), 12u);
    std::filesystem::remove(path);
    std::filesystem::remove(bad);
  }
  EXPECT_THROW(VectorIndex::open(temp_path("does-not-exist.idx")), Error);
}

}  // namespace
}  // namespace denser
