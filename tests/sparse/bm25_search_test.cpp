// Search against brute force: on random corpora (with ties, empty documents, repeated and
// unknown query terms) the pruned and exhaustive paths must both equal the oracle bit for
// bit, for k in {1, 10, 1000} and for default and overridden parameters.
#include <gtest/gtest.h>

#include <random>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/sparse/bm25_builder.h"
#include "sparse/bm25_test_util.h"

namespace denser {
namespace {

using bm25_test::oracle_search;
using bm25_test::random_corpus;
using bm25_test::random_query;
using bm25_test::same_hits;

Bm25Index build(const bm25_test::Corpus& c, Bm25Params params = {}, int threads = 2, size_t batch = 4096) {
  Bm25BuildOptions options;
  options.params = params;
  options.analyzer = bm25_test::plain_analyzer();
  options.num_threads = threads;
  options.batch_docs = batch;
  Bm25IndexBuilder builder(options);
  builder.add(c.docs);
  return builder.build();
}

// Runs `num_queries` random queries through both algorithms and the oracle.
void check_against_oracle(std::mt19937& rng, const bm25_test::Corpus& c, const Bm25Index& index, size_t vocab,
                          size_t num_queries, const Bm25Params& params, bool override_params) {
  for (size_t q = 0; q < num_queries; ++q) {
    const auto query = random_query(rng, vocab, 12);
    for (size_t k : {1u, 10u, 1000u}) {
      Bm25SearchOptions options;
      options.k = k;
      if (override_params) options.params = params;
      const auto expected = oracle_search(c, query, k, params);
      options.algorithm = Bm25Algorithm::kExhaustive;
      const Bm25SearchResult exhaustive = index.search_terms(query, options);
      options.algorithm = Bm25Algorithm::kPruned;
      const Bm25SearchResult pruned = index.search_terms(query, options);
      ASSERT_TRUE(same_hits(expected, exhaustive.hits)) << "exhaustive, query " << bm25_test::join(query) << " k " << k;
      ASSERT_TRUE(same_hits(expected, pruned.hits)) << "pruned, query " << bm25_test::join(query) << " k " << k;
      EXPECT_LE(pruned.stats.docs_scored, exhaustive.stats.docs_scored);
      EXPECT_EQ(pruned.stats.num_query_terms, exhaustive.stats.num_query_terms);
    }
  }
}

TEST(Bm25Search, PrunedEqualsExhaustiveEqualsOracle) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::mt19937 rng(seed);
    const size_t vocab = 20 + seed * 37;
    const size_t num_docs = seed % 4 == 0 ? 40 : 200 + seed * 150;  // up to ~2000: many blocks
    const bm25_test::Corpus c = random_corpus(rng, num_docs, vocab, seed % 3 == 0 ? 300 : 60);
    const Bm25Index index = build(c);
    check_against_oracle(rng, c, index, vocab, 25, {}, false);
  }
}

TEST(Bm25Search, OverriddenParametersUseLooseBoundsAndStayExact) {
  std::mt19937 rng(99);
  const bm25_test::Corpus c = random_corpus(rng, 1500, 300, 120);
  const Bm25Index index = build(c);
  for (const Bm25Params& p : {Bm25Params{1.2f, 0.75f, false}, Bm25Params{0.9f, 0.4f, true},
                              Bm25Params{0.0f, 0.5f, false}, Bm25Params{3.0f, 1.0f, true}}) {
    SCOPED_TRACE(testing::Message() << "k1 " << p.k1 << " b " << p.b << " exact " << p.exact_lengths);
    check_against_oracle(rng, c, index, 300, 15, p, true);
  }
}

TEST(Bm25Search, ExactLengthIndexDefaults) {
  std::mt19937 rng(5);
  const bm25_test::Corpus c = random_corpus(rng, 1200, 150, 200);
  const Bm25Params params{1.1f, 0.6f, true};
  const Bm25Index index = build(c, params);
  check_against_oracle(rng, c, index, 150, 20, params, false);
}

TEST(Bm25Search, AllTiedScores) {
  // 600 identical documents: every score ties, so the order is by document number only.
  bm25_test::Corpus c;
  for (int i = 0; i < 600; ++i) {
    c.terms.push_back({"qa", "qb", "qa"});
    c.docs.push_back({bm25_test::doc_name(static_cast<size_t>(i)), "", "qa qb qa"});
  }
  const Bm25Index index = build(c);
  for (auto algorithm : {Bm25Algorithm::kAuto, Bm25Algorithm::kPruned, Bm25Algorithm::kExhaustive}) {
    Bm25SearchOptions options;
    options.k = 130;
    options.algorithm = algorithm;
    const Bm25SearchResult r = index.search("qb qa", options);
    ASSERT_EQ(r.hits.size(), 130u);
    for (uint32_t i = 0; i < 130; ++i) EXPECT_EQ(r.hits[i].doc, i);
    EXPECT_TRUE(same_hits(oracle_search(c, {"qb", "qa"}, 130, {}), r.hits));
  }
}

TEST(Bm25Search, PruningSkipsWork) {
  // A rare term and a frequent one with a small k: most of the frequent term's blocks
  // cannot lift a document into the top 10 and are never decoded.
  std::mt19937 rng(3);
  const bm25_test::Corpus c = random_corpus(rng, 20000, 2000, 40);
  const Bm25Index index = build(c);
  const std::vector<std::string> query = {"qa", "qb", bm25_test::word(1500)};
  Bm25SearchOptions options;
  options.k = 10;
  options.algorithm = Bm25Algorithm::kPruned;
  const Bm25SearchResult pruned = index.search_terms(query, options);
  options.algorithm = Bm25Algorithm::kExhaustive;
  const Bm25SearchResult exhaustive = index.search_terms(query, options);
  EXPECT_TRUE(same_hits(exhaustive.hits, pruned.hits));
  EXPECT_LT(pruned.stats.docs_scored * 5, exhaustive.stats.docs_scored);
  EXPECT_GT(pruned.stats.blocks_skipped, 0u);
  EXPECT_EQ(exhaustive.stats.blocks_skipped, 0u);
  EXPECT_EQ(pruned.stats.blocks_decoded + pruned.stats.blocks_skipped, exhaustive.stats.blocks_decoded);
}

TEST(Bm25Search, AutoPrunesSmallKAndScoresEverythingForLargeK) {
  std::mt19937 rng(3);
  const bm25_test::Corpus c = random_corpus(rng, 20000, 2000, 40);
  const Bm25Index index = build(c);
  const std::vector<std::string> query = {"qa", "qb", bm25_test::word(1500)};
  uint64_t postings = 0;
  for (const std::string& term : query) postings += index.doc_freq(term);
  for (size_t k :
       {size_t{10}, size_t{100}, postings / kAutoExhaustiveRatio, postings / kAutoExhaustiveRatio + 1, size_t{20000}}) {
    SCOPED_TRACE(k);
    const Bm25Algorithm expected = choose_bm25_algorithm(k, postings);
    EXPECT_EQ(expected, k * kAutoExhaustiveRatio >= postings ? Bm25Algorithm::kExhaustive : Bm25Algorithm::kPruned);
    Bm25SearchOptions options;
    options.k = k;
    const Bm25SearchResult automatic = index.search_terms(query, options);
    options.algorithm = expected;
    const Bm25SearchResult chosen = index.search_terms(query, options);
    EXPECT_TRUE(same_hits(chosen.hits, automatic.hits));
    // The work counters tell which algorithm ran.
    EXPECT_EQ(automatic.stats.blocks_decoded, chosen.stats.blocks_decoded);
    EXPECT_EQ(automatic.stats.docs_scored, chosen.stats.docs_scored);
  }
  EXPECT_EQ(choose_bm25_algorithm(10, postings), Bm25Algorithm::kPruned);
  EXPECT_EQ(choose_bm25_algorithm(20000, postings), Bm25Algorithm::kExhaustive);
}

TEST(Bm25Search, NoKnownTermsAndEdgeCases) {
  std::mt19937 rng(1);
  const bm25_test::Corpus c = random_corpus(rng, 100, 30, 20);
  const Bm25Index index = build(c);
  for (auto algorithm : {Bm25Algorithm::kAuto, Bm25Algorithm::kPruned, Bm25Algorithm::kExhaustive}) {
    Bm25SearchOptions options;
    options.algorithm = algorithm;
    EXPECT_TRUE(index.search("zzzz yyyy", options).hits.empty());
    EXPECT_EQ(index.search("zzzz", options).stats.num_query_terms, 0u);
    EXPECT_TRUE(index.search("", options).hits.empty());
    EXPECT_TRUE(index.search_terms({}, options).hits.empty());
    options.k = 0;
    EXPECT_TRUE(index.search("qa qb", options).hits.empty());
  }
}

TEST(Bm25Search, BatchEqualsSequential) {
  std::mt19937 rng(21);
  const bm25_test::Corpus c = random_corpus(rng, 3000, 400, 80);
  const Bm25Index index = build(c);
  std::vector<std::string> queries;
  for (int i = 0; i < 97; ++i) queries.push_back(bm25_test::join(random_query(rng, 400, 8)));
  Bm25SearchOptions options;
  options.k = 50;
  for (int threads : {1, 2, 4}) {
    const auto batch = index.search_batch(queries, options, threads);
    ASSERT_EQ(batch.size(), queries.size());
    for (size_t i = 0; i < queries.size(); ++i)
      ASSERT_TRUE(same_hits(index.search(queries[i], options).hits, batch[i].hits)) << "query " << i;
  }
}

TEST(Bm25Search, BuildIsDeterministicAcrossThreadsAndBatches) {
  std::mt19937 rng(8);
  const bm25_test::Corpus c = random_corpus(rng, 1000, 500, 50);
  const std::string dir = bm25_test::temp_dir("determinism");
  std::string reference;
  for (const auto& [threads, batch] : {std::pair{1, 4096}, std::pair{2, 7}, std::pair{3, 100}, std::pair{4, 1}}) {
    Bm25BuildOptions options;
    options.analyzer = bm25_test::plain_analyzer();
    options.num_threads = threads;
    options.batch_docs = static_cast<size_t>(batch);
    Bm25IndexBuilder builder(options);
    builder.add(c.docs);
    const std::string path = dir + "/index" + std::to_string(threads);
    builder.write(path);
    const std::string bytes = read_file(path);
    if (reference.empty()) {
      reference = bytes;
    } else {
      EXPECT_TRUE(bytes == reference) << "threads " << threads << " batch " << batch;
    }
  }
}

TEST(Bm25Search, PostingsDecodeToTheCorpus) {
  std::mt19937 rng(4);
  const bm25_test::Corpus c = random_corpus(rng, 900, 60, 100);
  const Bm25Index index = build(c);
  for (size_t w = 0; w < 60; ++w) {
    const std::string term = bm25_test::word(w);
    std::vector<Bm25Posting> expected;
    for (size_t d = 0; d < c.terms.size(); ++d) {
      const auto tf = static_cast<uint32_t>(std::count(c.terms[d].begin(), c.terms[d].end(), term));
      if (tf > 0) expected.push_back({static_cast<uint32_t>(d), tf});
    }
    const auto actual = index.postings(term);
    ASSERT_EQ(actual.size(), expected.size()) << term;
    EXPECT_EQ(index.doc_freq(term), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(actual[i].doc, expected[i].doc);
      EXPECT_EQ(actual[i].tf, expected[i].tf);
    }
  }
  for (size_t d = 0; d < c.terms.size(); ++d) {
    EXPECT_EQ(index.doc_length(static_cast<uint32_t>(d)), c.terms[d].size());
    EXPECT_EQ(index.doc_id(static_cast<uint32_t>(d)), c.docs[d].id);
  }
  EXPECT_THROW(index.doc_id(index.num_docs()), Error);
}

TEST(Bm25Search, AddAfterBuildIsAnError) {
  Bm25BuildOptions options;
  options.analyzer = bm25_test::plain_analyzer();
  Bm25IndexBuilder builder(options);
  builder.add(Document{"a", "", "qa"});
  builder.build();
  EXPECT_THROW(builder.add(Document{"b", "", "qb"}), Error);
  Bm25BuildOptions bad;
  bad.params.b = -1.0f;
  EXPECT_THROW(Bm25IndexBuilder{bad}, Error);
}

}  // namespace
}  // namespace denser
