// Fusion, PRF and the Retriever over a small synthetic collection.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

#include "denser/common/error.h"
#include "denser/search/retriever.h"
#include "serve/retriever_fixture.h"

namespace denser {
namespace {

using testing_fixture::make_test_search;
using testing_fixture::TempDir;

TEST(Fusion, RrfSumsReciprocalRanksOverBothLists) {
  RankedList dense = {{"a", 0.9}, {"b", 0.8}, {"c", 0.1}};
  RankedList bm25 = {{"c", 12.0}, {"a", 3.0}};
  auto hits = fuse_rrf(dense, bm25, 60, 10);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].doc_id, "a");  // 1/61 + 1/62
  EXPECT_NEAR(hits[0].score, 1.0 / 61 + 1.0 / 62, 1e-12);
  EXPECT_EQ(hits[0].dense_rank, 1u);
  EXPECT_EQ(hits[0].bm25_rank, 2u);
  EXPECT_EQ(hits[1].doc_id, "c");  // 1/63 + 1/61
  EXPECT_NEAR(hits[1].score, 1.0 / 63 + 1.0 / 61, 1e-12);
  EXPECT_EQ(hits[2].doc_id, "b");
  EXPECT_EQ(hits[2].bm25_rank, 0u);
  EXPECT_EQ(fuse_rrf(dense, bm25, 60, 1).size(), 1u);
}

TEST(Fusion, RrfTiesAreOrderedByDocId) {
  auto hits = fuse_rrf({{"z", 1.0}}, {{"y", 1.0}}, 60, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc_id, "y");
  EXPECT_EQ(hits[1].doc_id, "z");
}

TEST(Fusion, LinearInterpolatesMinMaxNormalizedScores) {
  RankedList dense = {{"a", 0.9}, {"b", 0.5}, {"c", 0.1}};  // a 1, b 0.5, c 0
  RankedList bm25 = {{"b", 20.0}, {"d", 10.0}};             // b 1, d 0
  auto hits = fuse_linear(dense, bm25, 0.5, 10);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].doc_id, "b");
  EXPECT_NEAR(hits[0].score, 0.75, 1e-12);
  EXPECT_EQ(hits[1].doc_id, "a");
  EXPECT_NEAR(hits[1].score, 0.5, 1e-12);
  // alpha 1: dense only; alpha 0: BM25 only.
  EXPECT_EQ(fuse_linear(dense, bm25, 1.0, 1)[0].doc_id, "a");
  EXPECT_EQ(fuse_linear(dense, bm25, 0.0, 1)[0].doc_id, "b");
  // A constant list normalizes to 1, not to a division by zero.
  auto flat = fuse_linear({{"x", 2.0}, {"y", 2.0}}, {}, 0.5, 10);
  EXPECT_NEAR(flat[0].score, 0.5, 1e-12);
  EXPECT_THROW(fuse_linear(dense, bm25, 1.5, 10), Error);
}

TEST(Prf, AverageAndRocchioFollowTheirFormulas) {
  std::vector<float> q = {1, 0}, rows = {0, 1, 0, 3};
  PrfOptions average{PrfMethod::kAverage, 2, 0, 0};
  auto a = prf_query(q, rows, 2, average);
  EXPECT_FLOAT_EQ(a[0], 1.0f / 3);
  EXPECT_FLOAT_EQ(a[1], 4.0f / 3);
  PrfOptions rocchio{PrfMethod::kRocchio, 2, 0.4f, 0.6f};
  auto r = prf_query(q, rows, 2, rocchio);
  EXPECT_FLOAT_EQ(r[0], 0.4f);
  EXPECT_FLOAT_EQ(r[1], 0.6f * 2);
  EXPECT_EQ(prf_query(q, {}, 0, rocchio), q);  // no feedback: the query itself
  EXPECT_THROW(prf_query(q, rows, 3, rocchio), Error);
}

TEST(Names, ParseAndPrintRoundTrip) {
  for (auto m : {RetrievalMode::kDense, RetrievalMode::kBm25, RetrievalMode::kHybrid})
    EXPECT_EQ(parse_retrieval_mode(retrieval_mode_name(m)), m);
  EXPECT_EQ(parse_fusion_method("linear"), FusionMethod::kLinear);
  EXPECT_EQ(parse_prf_method("rocchio"), PrfMethod::kRocchio);
  EXPECT_THROW(parse_retrieval_mode("sparse"), Error);
  EXPECT_THROW(parse_fusion_method("max"), Error);
  EXPECT_THROW(parse_prf_method("rm3"), Error);
}

TEST(Retriever, EveryModeFindsTheTopicOfTheQuery) {
  TempDir dir("denser-search-test");
  auto s = make_test_search(dir.path);
  std::vector<std::string> queries = {"ancient warfare strategy", "linux kernel driver"};
  for (auto mode : {RetrievalMode::kDense, RetrievalMode::kBm25, RetrievalMode::kHybrid}) {
    RetrievalOptions options;
    options.mode = mode;
    options.k = 5;
    auto results = s.retriever->search(queries, options);
    ASSERT_EQ(results.size(), 2u);
    for (size_t q = 0; q < 2; ++q) {
      ASSERT_EQ(results[q].hits.size(), 5u) << retrieval_mode_name(mode);
      EXPECT_EQ(results[q].hits[0].doc_id.substr(0, 2), q == 0 ? "t0" : "t1") << retrieval_mode_name(mode);
      EXPECT_GE(results[q].times.total_ms, 0);
      EXPECT_EQ(results[q].times.encode_ms >= 0, mode != RetrievalMode::kBm25);
      EXPECT_EQ(results[q].times.fusion_ms >= 0, mode == RetrievalMode::kHybrid);
    }
  }
}

TEST(Retriever, AKBeyondTheCorpusReturnsTheWholeCorpus) {
  // k = 10^9 once sized libtorch and FAISS buffers for a billion results per query.
  TempDir dir("denser-search-test");
  auto s = make_test_search(dir.path);
  std::vector<std::string> queries = {"ancient warfare strategy"};
  for (auto mode : {RetrievalMode::kDense, RetrievalMode::kBm25, RetrievalMode::kHybrid}) {
    RetrievalOptions options;
    options.mode = mode;
    options.k = 1000000000;
    options.prf.method = mode == RetrievalMode::kDense ? PrfMethod::kAverage : PrfMethod::kNone;
    auto results = s.retriever->search(queries, options);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_LE(results[0].hits.size(), s.documents.size()) << retrieval_mode_name(mode);
    EXPECT_GE(results[0].hits.size(), 10u) << retrieval_mode_name(mode);
  }
}

TEST(Retriever, RocchioWithoutFeedbackWeightIsPlainDense) {
  TempDir dir("denser-search-test");
  auto s = make_test_search(dir.path);
  std::vector<std::string> queries = {"orchard apple harvest"};
  RetrievalOptions dense;
  dense.mode = RetrievalMode::kDense;
  dense.k = 10;
  RetrievalOptions prf = dense;
  prf.prf = PrfOptions{PrfMethod::kRocchio, 3, 1.0f, 0.0f};
  auto a = s.retriever->search(queries, dense)[0].hits, b = s.retriever->search(queries, prf)[0].hits;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].doc_id, b[i].doc_id);
  prf.prf = PrfOptions{PrfMethod::kAverage, 3, 0, 0};
  auto c = s.retriever->search(queries, prf)[0];
  EXPECT_GE(c.times.prf_ms, 0);
  EXPECT_EQ(c.hits[0].doc_id.substr(0, 2), "t2");
}

TEST(Retriever, MissingSidesAreClearErrors) {
  TempDir dir("denser-search-test");
  auto bm25_only = make_test_search(dir.path, false, true, false);
  EXPECT_FALSE(bm25_only.retriever->has_dense());
  EXPECT_EQ(bm25_only.retriever->modes().size(), 1u);
  RetrievalOptions options;
  options.mode = RetrievalMode::kHybrid;
  std::vector<std::string> q = {"galaxy"};
  EXPECT_THROW(bm25_only.retriever->search(q, options), Error);
  auto no_prf = make_test_search(dir.path, true, true, false);
  options.prf.method = PrfMethod::kAverage;
  EXPECT_THROW(no_prf.retriever->search(q, options), Error);
  EXPECT_THROW(Retriever(RetrieverParts{}), Error);
}

TEST(Retriever, ConcurrentCallersShareEncoderBatches) {
  TempDir dir("denser-search-test");
  auto s = make_test_search(dir.path);
  RetrievalOptions options;
  options.mode = RetrievalMode::kDense;
  options.k = 3;
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> q = {t % 2 == 0 ? "galaxy telescope stars" : "compiler parser syntax"};
      for (int i = 0; i < kEach; ++i) {
        auto hits = s.retriever->search(q, options)[0].hits;
        if (hits.empty() || hits[0].doc_id.substr(0, 2) != (t % 2 == 0 ? "t3" : "t4")) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);  // every caller got its own query's results back
  EXPECT_EQ(s.retriever->encoded_queries(), static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LE(s.retriever->encode_batches(), s.retriever->encoded_queries());
}

}  // namespace
}  // namespace denser
