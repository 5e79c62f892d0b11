// BM25 scores against hand-computed values: Lucene's length quantization, idf, and the
// scores of a four-document corpus.
#include <gtest/gtest.h>

#include <cmath>

#include "denser/common/error.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_scoring.h"
#include "sparse/bm25_test_util.h"

namespace denser {
namespace {

using bm25_test::plain_analyzer;

TEST(Bm25Scoring, NormBytesMatchLuceneSmallFloat) {
  // Lengths below 24 are stored exactly (byte = length).
  for (uint32_t len = 0; len < 24; ++len) {
    EXPECT_EQ(length_to_norm_byte(len), len);
    EXPECT_EQ(norm_byte_to_length(static_cast<uint8_t>(len)), len);
  }
  // 100 - 24 = 76 = 0b1001100: 7 bits, shift 3, kept bits 0b1001 -> mantissa 001,
  // exponent field shift + 1 = 4: int4 = 1 | 4 << 3 = 33, byte = 24 + 33 = 57;
  // decoded: (0b001 | 0b1000) << 3 = 72, 24 + 72 = 96.
  EXPECT_EQ(length_to_norm_byte(100), 57);
  EXPECT_EQ(norm_byte_to_length(57), 96u);
  // 24..39 are exact too (0..15 above 24 need at most 4 bits), 41 is the first loss.
  for (uint32_t len = 0; len <= 40; ++len) EXPECT_EQ(quantize_length(len), len);
  // 32 - 24 = 8 = 0b1000: shift 0, int4 = 0 | 1 << 3 = 8, byte 32, decodes to 32.
  EXPECT_EQ(length_to_norm_byte(32), 32);
  EXPECT_EQ(quantize_length(32), 32u);
  // 41 - 24 = 17 = 0b10001: shift 1, kept 0b1000 -> 24 + 16 = 40.
  EXPECT_EQ(quantize_length(41), 40u);
  EXPECT_EQ(quantize_length(1000), 984u);  // 976 = 0b1111010000 -> 0b1111 << 6 = 960
  // The largest int maps to the largest byte: 255 - 24 = 231 = 0b11100111, mantissa 7,
  // shift 28 - 1 = 27, so it decodes to 24 + (0b1111 << 27) = 2013265944.
  EXPECT_EQ(length_to_norm_byte(0x7fffffffu), 255);
  EXPECT_EQ(norm_byte_to_length(255), 2013265944u);
}

TEST(Bm25Scoring, QuantizationIsMonotoneAndRoundsDown) {
  uint32_t previous = 0;
  for (uint32_t len = 0; len < 200000; ++len) {
    const uint32_t q = quantize_length(len);
    EXPECT_LE(q, len);
    EXPECT_GE(q, previous);
    // Four significant bits above the 24 exact values: the loss is below 1/8.
    if (len > 24) {
      EXPECT_GT(static_cast<double>(q - 24), (len - 24) * 0.87);
    }
    EXPECT_EQ(quantize_length(q), q);  // decoded lengths are fixed points
    previous = q;
  }
}

TEST(Bm25Scoring, IdfAndAvgdl) {
  // N = 4, df = 2: ln(1 + 2.5 / 2.5) = ln 2.
  EXPECT_EQ(bm25_idf(2, 4), static_cast<float>(std::log(2.0)));
  // N = 10, df = 1: ln(1 + 9.5 / 1.5) = ln(7.3333...) = 1.99243...
  EXPECT_NEAR(bm25_idf(1, 10), 1.9924301646902063, 1e-6);
  // A term in every document still has a positive idf: ln(1 + 0.5 / (N + 0.5)).
  EXPECT_GT(bm25_idf(10, 10), 0.0f);
  EXPECT_EQ(bm25_avgdl(109, 4), 27.25f);
  EXPECT_EQ(bm25_avgdl(0, 0), 0.0f);
}

TEST(Bm25Scoring, ParamsAreValidated) {
  EXPECT_NO_THROW(validate_bm25_params({0.0f, 0.0f, false}));
  EXPECT_NO_THROW(validate_bm25_params({2.0f, 1.0f, true}));
  EXPECT_THROW(validate_bm25_params({-0.1f, 0.4f, false}), Error);
  EXPECT_THROW(validate_bm25_params({INFINITY, 0.4f, false}), Error);
  EXPECT_THROW(validate_bm25_params({0.9f, 1.5f, false}), Error);
  EXPECT_THROW(validate_bm25_params({0.9f, NAN, false}), Error);
}

// The corpus of the hand-computed cases. Lengths 3, 2, 4 and 100 (quantized to 96);
// N = 4, total 109 terms, avgdl = 27.25.
std::vector<Document> tiny_corpus() {
  std::string long_text = "apple";
  for (int i = 0; i < 99; ++i) long_text += " filler";
  return {{"d0", "apple banana", "apple"},
          {"d1", "", "banana cherry"},
          {"d2", "cherry", "cherry cherry date"},
          {"d3", "", long_text}};
}

Bm25Index tiny_index(Bm25Params params = {}) {
  Bm25BuildOptions options;
  options.params = params;
  options.analyzer = plain_analyzer();
  Bm25IndexBuilder builder(options);
  builder.add(tiny_corpus());
  return builder.build();
}

// BM25 from the textbook formula in double, for checking float results to ~1e-6.
double formula(double tf, double df, double dl, double n = 4, double avgdl = 27.25, double k1 = 0.9, double b = 0.4) {
  const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
  return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl));
}

float score_of(const Bm25SearchResult& result, uint32_t doc) {
  for (const Bm25Hit& hit : result.hits)
    if (hit.doc == doc) return hit.score;
  ADD_FAILURE() << "document " << doc << " not retrieved";
  return -1.0f;
}

TEST(Bm25Scoring, TinyCorpusStatistics) {
  const Bm25Index index = tiny_index();
  EXPECT_EQ(index.num_docs(), 4u);
  EXPECT_EQ(index.num_docs_with_terms(), 4u);
  EXPECT_EQ(index.total_terms(), 109u);
  EXPECT_EQ(index.avgdl(), 27.25f);
  EXPECT_EQ(index.num_terms(), 5u);  // apple banana cherry date filler
  EXPECT_EQ(index.doc_freq("apple"), 2u);
  EXPECT_EQ(index.doc_freq("cherry"), 2u);
  EXPECT_EQ(index.doc_freq("filler"), 1u);
  EXPECT_EQ(index.doc_freq("missing"), 0u);
  EXPECT_EQ(index.doc_length(3), 100u);
  EXPECT_EQ(index.doc_id(2), "d2");
}

TEST(Bm25Scoring, HandComputedSingleTerm) {
  const Bm25Index index = tiny_index();
  const Bm25SearchResult r = index.search("apple");
  ASSERT_EQ(r.hits.size(), 2u);
  // By hand, d3 (tf 1, length 100 stored as 96): idf = ln(1 + (4 - 2 + 0.5) / (2 + 0.5))
  // = ln 2 = 0.693147; k1 * (1 - b + b * dl / avgdl) = 0.9 * (0.6 + 0.4 * 96 / 27.25)
  // = 0.9 * 2.009174 = 1.808257; score = 0.693147 * 1 / (1 + 1.808257) = 0.246825.
  EXPECT_NEAR(score_of(r, 3), 0.246825, 2e-6);
  EXPECT_NEAR(score_of(r, 3), formula(1, 2, 96), 1e-6);
  // d0: tf 2, length 3 (exact below 24): 0.693147 * 2 / (2 + 0.9 * (0.6 + 0.4 * 3 / 27.25)) = 0.537400.
  EXPECT_NEAR(score_of(r, 0), 0.537400, 2e-6);
  EXPECT_NEAR(score_of(r, 0), formula(2, 2, 3), 1e-6);
  EXPECT_EQ(r.hits[0].doc, 0u);
  EXPECT_EQ(r.stats.num_query_terms, 1u);
}

TEST(Bm25Scoring, HandComputedMultiTermWithRepeats) {
  const Bm25Index index = tiny_index();
  // "apple" twice: boost 2 on apple; cherry once (df 2: the same idf ln 2).
  const Bm25SearchResult r = index.search("apple cherry apple unknownword", bm25_test::top(10));
  ASSERT_EQ(r.hits.size(), 4u);  // d0, d3 (apple), d1, d2 (cherry)
  EXPECT_NEAR(score_of(r, 0), 2 * formula(2, 2, 3), 2e-6);
  EXPECT_NEAR(score_of(r, 3), 2 * formula(1, 2, 96), 2e-6);
  EXPECT_NEAR(score_of(r, 1), formula(1, 2, 2), 1e-6);
  EXPECT_NEAR(score_of(r, 2), formula(3, 2, 4), 1e-6);
  EXPECT_EQ(r.stats.num_query_terms, 2u);
  // Ranked best first.
  for (size_t i = 1; i < r.hits.size(); ++i) EXPECT_GE(r.hits[i - 1].score, r.hits[i].score);
}

TEST(Bm25Scoring, ExactLengthsOption) {
  const Bm25Index quantized = tiny_index();
  const Bm25Index exact = tiny_index({0.9f, 0.4f, true});
  EXPECT_TRUE(exact.params().exact_lengths);
  // d3 scored with dl = 100 instead of 96.
  EXPECT_NEAR(score_of(exact.search("apple"), 3), formula(1, 2, 100), 1e-6);
  // The same thing as a search-time override of the quantized index.
  Bm25SearchOptions options;
  options.params = Bm25Params{0.9f, 0.4f, true};
  EXPECT_EQ(score_of(quantized.search("apple", options), 3), score_of(exact.search("apple"), 3));
  // Short documents (length < 24) score the same either way.
  EXPECT_EQ(score_of(quantized.search("apple"), 0), score_of(exact.search("apple"), 0));
}

TEST(Bm25Scoring, ParameterOverride) {
  const Bm25Index index = tiny_index();
  Bm25SearchOptions options;
  options.params = Bm25Params{1.2f, 0.75f, false};
  const Bm25SearchResult r = index.search("filler", options);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_NEAR(r.hits[0].score, formula(99, 1, 96, 4, 27.25, 1.2, 0.75), 1e-6);
  options.params = Bm25Params{0.9f, 2.0f, false};
  EXPECT_THROW(index.search("filler", options), Error);
}

TEST(Bm25Scoring, ScoresMatchLuceneFloatArithmetic) {
  // The tiny corpus through the float oracle: bit-identical, not just close.
  std::vector<std::vector<std::string>> terms;
  const Bm25Analyzer analyzer(plain_analyzer());
  bm25_test::Corpus c;
  c.docs = tiny_corpus();
  for (const Document& d : c.docs) {
    auto t = analyzer.analyze(d.title);
    analyzer.analyze(d.text, t);
    c.terms.push_back(t);
  }
  const Bm25Index index = tiny_index();
  for (const char* q : {"apple", "cherry date", "banana apple banana", "filler apple cherry date banana"}) {
    const auto query = analyzer.analyze(q);
    EXPECT_TRUE(
        bm25_test::same_hits(bm25_test::oracle_search(c, query, 10, {}), index.search(q, bm25_test::top(10)).hits))
        << q;
  }
}

}  // namespace
}  // namespace denser
