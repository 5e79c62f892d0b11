// denser's own search of FAISS's HNSW graphs (src/index/hnsw_search.h) against exact search
// and against FAISS's HNSW::search on the same graph.
#include "index/hnsw_search.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/index/vector_index.h"

namespace denser {
namespace {

struct Data {
  uint32_t dim;
  size_t n, nq;
  std::vector<float> base, queries;
  std::vector<std::string> ids;
};

Data make(uint32_t dim, size_t n, size_t nq, uint64_t seed) {
  Data d{dim, n, nq, {}, {}, {}};
  std::vector<float> all = make_clustered_vectors(n + nq, dim, 50, 0.7f, seed);
  d.base.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n * dim));
  d.queries.assign(all.begin() + static_cast<std::ptrdiff_t>(n * dim), all.end());
  for (size_t i = 0; i < n; ++i) d.ids.push_back(str("d", i));
  return d;
}

std::unique_ptr<VectorIndex> build(const Data& d, const std::string& factory, VectorMetric metric) {
  auto index = VectorIndex::create({d.dim, factory, metric, "test"});
  index->add(d.ids, d.base, 2);
  return index;
}

/// Restores the default route at the end of a test.
struct Route {
  explicit Route(bool own) { detail::set_own_hnsw_search(own); }
  ~Route() { detail::set_own_hnsw_search(true); }
};

TEST(HnswSearch, RecallAtLeastFaissOwnAtTheSameEf) {
  // Dimensions that exercise the AVX-512 tail mask and the AVX2 remainder.
  for (uint32_t dim : {32u, 17u, 100u}) {
    SCOPED_TRACE(dim);
    const Data d = make(dim, 6000, 300, 7 + dim);
    const auto exact = build(d, "Flat", VectorMetric::kInnerProduct)->search(d.nq, d.queries, 10, {}, 1);
    const auto hnsw = build(d, "HNSW32", VectorMetric::kInnerProduct);
    for (int ef : {16, 64}) {
      SCOPED_TRACE(ef);
      VectorSearchResults ours, theirs;
      {
        Route route(true);
        ours = hnsw->search(d.nq, d.queries, 10, {.ef_search = ef}, 1);
      }
      {
        Route route(false);
        theirs = hnsw->search(d.nq, d.queries, 10, {.ef_search = ef}, 1);
      }
      const double r_ours = recall_at_k(ours, exact, 10), r_theirs = recall_at_k(theirs, exact, 10);
      EXPECT_GE(r_ours, r_theirs - 0.01) << "ours " << r_ours << ", FAISS " << r_theirs;
      if (ef == 64) {
        EXPECT_GE(r_ours, 0.97);
      }
      EXPECT_GT(ours.stats.distances_computed, 0u);
      // Every hit's score is the true inner product of its row.
      for (size_t q = 0; q < d.nq; ++q) {
        ASSERT_EQ(ours.hits[q].size(), 10u);
        for (size_t j = 0; j < ours.hits[q].size(); ++j) {
          const VectorHit& hit = ours.hits[q][j];
          double dot = 0;
          for (uint32_t c = 0; c < dim; ++c)
            dot += static_cast<double>(d.queries[q * dim + c]) * d.base[hit.row * dim + c];
          EXPECT_NEAR(hit.score, dot, 1e-4 * (1 + std::abs(dot)));
          EXPECT_EQ(hit.doc_id, d.ids[hit.row]);
          if (j > 0) {
            EXPECT_GE(ours.hits[q][j - 1].score, hit.score);
          }
        }
      }
    }
  }
}

TEST(HnswSearch, BeamAsWideAsTheCorpusIsExact) {
  const Data d = make(24, 1500, 100, 3);
  const auto exact = build(d, "Flat", VectorMetric::kInnerProduct)->search(d.nq, d.queries, 10, {}, 1);
  const auto hnsw = build(d, "HNSW16", VectorMetric::kInnerProduct);
  const auto ours = hnsw->search(d.nq, d.queries, 10, {.ef_search = static_cast<int>(d.n)}, 2);
  EXPECT_DOUBLE_EQ(recall_at_k(ours, exact, 10), 1.0);
  for (size_t q = 0; q < d.nq; ++q)
    for (size_t j = 0; j < 10; ++j) EXPECT_NEAR(ours.hits[q][j].score, exact.hits[q][j].score, 1e-5);
}

TEST(HnswSearch, CosineAndFewRowsAndLargeK) {
  const Data d = make(16, 40, 5, 11);
  const auto exact = build(d, "Flat", VectorMetric::kCosine)->search(d.nq, d.queries, 50, {}, 1);
  const auto hnsw = build(d, "HNSW8", VectorMetric::kCosine);
  const auto ours = hnsw->search(d.nq, d.queries, 50, {.ef_search = 64}, 1);
  for (size_t q = 0; q < d.nq; ++q) {
    ASSERT_EQ(ours.hits[q].size(), 40u);  // k above the corpus: every row, once
    std::vector<uint64_t> rows;
    for (const VectorHit& hit : ours.hits[q]) rows.push_back(hit.row);
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(std::unique(rows.begin(), rows.end()), rows.end());
    for (size_t j = 0; j < 40; ++j) EXPECT_NEAR(ours.hits[q][j].score, exact.hits[q][j].score, 1e-5);
  }
}

TEST(HnswSearch, ReloadedIndexSearchesTheSameByBothRoutes) {
  const Data d = make(40, 3000, 50, 5);
  const auto built = build(d, "HNSW32", VectorMetric::kInnerProduct);
  const std::string path =
      (std::filesystem::temp_directory_path() / str("hnsw_search_test_", ::getpid(), ".idx")).string();
  built->save(path);
  const auto loaded = VectorIndex::open(path);
  std::filesystem::remove(path);
  for (bool own : {true, false}) {
    Route route(own);
    const auto a = built->search(d.nq, d.queries, 10, {.ef_search = 32}, 1);
    const auto b = loaded->search(d.nq, d.queries, 10, {.ef_search = 32}, 1);
    for (size_t q = 0; q < d.nq; ++q) {
      ASSERT_EQ(a.hits[q].size(), b.hits[q].size());
      for (size_t j = 0; j < a.hits[q].size(); ++j) {
        EXPECT_EQ(a.hits[q][j].row, b.hits[q][j].row) << "own " << own << " query " << q;
        EXPECT_EQ(a.hits[q][j].score, b.hits[q][j].score) << "own " << own << " query " << q;
      }
    }
  }
}

TEST(HnswSearch, EmptyGraphPads) {
  detail::HnswView empty;
  float scores[3];
  int64_t labels[3];
  const float q[4] = {1, 2, 3, 4};
  EXPECT_EQ(detail::hnsw_search_ip(empty, 1, q, 3, 16, scores, labels, 1), 0u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(labels[i], -1);
    EXPECT_TRUE(std::isinf(scores[i]) && scores[i] < 0);
  }
}

}  // namespace
}  // namespace denser
