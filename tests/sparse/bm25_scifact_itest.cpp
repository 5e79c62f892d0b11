// BM25 on the real SciFact collection (../shared): retrieval quality against Pyserini's
// published number, pruned == exhaustive on every test query, and throughput.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "denser/common/io.h"
#include "denser/data/collection.h"
#include "denser/eval/metrics.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"
#include "sparse/bm25_test_util.h"
#include "denser/common/timer.h"

namespace denser {
namespace {

const std::string kSciFact = std::string(DENSER_SHARED_DIR) + "/datasets/scifact";

// nDCG@10 as trec_eval computes it, written independently of the eval module: rank by
// score descending, ties by document id descending; gain = grade (> 0); discount
// log2(rank + 1); ideal = all judged grades >= 1, descending. Mean over the queries that
// have both judgments and results.
double mean_ndcg_at_10(const Qrels& qrels, const Run& run) {
  double sum = 0.0;
  int evaluated = 0;
  for (const auto& [qid, judged] : qrels.judgments) {
    auto it = run.results.find(qid);
    if (it == run.results.end() || it->second.empty()) continue;
    std::vector<RunEntry> ranked = it->second;
    std::sort(ranked.begin(), ranked.end(), [](const RunEntry& a, const RunEntry& b) {
      return a.score > b.score || (a.score == b.score && a.doc_id > b.doc_id);
    });
    double dcg = 0.0, ideal = 0.0;
    for (size_t i = 0; i < std::min<size_t>(10, ranked.size()); ++i) {
      auto j = judged.find(ranked[i].doc_id);
      if (j != judged.end() && j->second > 0) dcg += j->second / std::log2(static_cast<double>(i) + 2.0);
    }
    std::vector<int> grades;
    for (const auto& [doc, grade] : judged)
      if (grade >= 1) grades.push_back(grade);
    std::sort(grades.rbegin(), grades.rend());
    for (size_t i = 0; i < std::min<size_t>(10, grades.size()); ++i)
      ideal += grades[i] / std::log2(static_cast<double>(i) + 2.0);
    sum += ideal > 0 ? dcg / ideal : 0.0;
    ++evaluated;
  }
  return evaluated == 0 ? 0.0 : sum / evaluated;
}

class Bm25SciFact : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kSciFact + "/corpus.jsonl")) return;
    const Collection collection = Collection::open(kSciFact);
    Bm25BuildOptions options;
    options.num_threads = 2;
    Bm25IndexBuilder builder(options);
    const auto start = std::chrono::steady_clock::now();
    auto reader = collection.documents();
    builder.add(*reader);
    path_ = bm25_test::temp_dir("scifact") + "/scifact.bm25";
    builder.write(path_);
    build_seconds_ = seconds_since(start);
    std::cout << "[ scifact ] built in " << build_seconds_ << " s: " << builder.stats().num_docs << " docs, "
              << builder.stats().num_terms << " terms, " << builder.stats().num_postings << " postings, "
              << file_size(path_) << " bytes\n";
    queries_ = collection.queries("test");
    qrels_ = collection.qrels("test");
  }

  void SetUp() override {
    if (path_.empty()) GTEST_SKIP() << "../shared not found: " << kSciFact;
  }

  static std::vector<std::string> texts() {
    std::vector<std::string> out;
    for (const Query& q : queries_) out.push_back(q.text);
    return out;
  }

  static inline std::string path_;
  static inline double build_seconds_ = 0;
  static inline std::vector<Query> queries_;
  static inline Qrels qrels_;
};

TEST_F(Bm25SciFact, NdcgAt10MatchesPyserini) {
  const Bm25Index index = Bm25Index::open(path_);
  EXPECT_EQ(index.num_docs(), 5183u);
  ASSERT_EQ(queries_.size(), 300u);
  const denser::Run run = index.to_run(queries_, index.search_batch(texts(), {}, 2));
  const double ndcg = mean_ndcg_at_10(qrels_, run);
  std::cout << "[ scifact ] nDCG@10 = " << ndcg << " (Pyserini BM25 flat: 0.6789)\n";
  RecordProperty("ndcg_cut_10", std::to_string(ndcg));
  EXPECT_GE(ndcg, 0.67);
  // The eval module (trec_eval semantics) must agree with the independent computation.
  const EvalResult eval = evaluate(qrels_, run, MeasureSet::parse({"ndcg_cut.10"}));
  const int64_t column = eval.index_of("ndcg_cut_10");
  ASSERT_GE(column, 0);
  EXPECT_NEAR(eval.all[static_cast<size_t>(column)], ndcg, 1e-12);
}

TEST_F(Bm25SciFact, PrunedEqualsExhaustiveOnEveryQuery) {
  const Bm25Index index = Bm25Index::open(path_);
  for (size_t k : {10u, 1000u}) {
    Bm25SearchOptions options;
    options.k = k;
    const auto pruned = index.search_batch(texts(), options, 2);
    options.algorithm = Bm25Algorithm::kExhaustive;
    const auto exhaustive = index.search_batch(texts(), options, 2);
    uint64_t scored_pruned = 0, scored_exhaustive = 0;
    for (size_t i = 0; i < queries_.size(); ++i) {
      ASSERT_TRUE(bm25_test::same_hits(exhaustive[i].hits, pruned[i].hits)) << "query " << queries_[i].id;
      scored_pruned += pruned[i].stats.docs_scored;
      scored_exhaustive += exhaustive[i].stats.docs_scored;
    }
    std::cout << "[ scifact ] k=" << k << ": documents scored per query, pruned "
              << static_cast<double>(scored_pruned) / queries_.size() << ", exhaustive "
              << static_cast<double>(scored_exhaustive) / queries_.size() << "\n";
  }
}

}  // namespace
}  // namespace denser
