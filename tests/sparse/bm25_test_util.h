#pragma once
// Shared by the sparse tests: random corpora whose words the analyzer keeps as they are,
// and a brute-force BM25 oracle that scores the raw term lists directly from Lucene's
// formula (no index, no postings, no pruning).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <unistd.h>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "denser/data/types.h"
#include "denser/sparse/bm25_index.h"
#include "denser/sparse/bm25_scoring.h"
#include "denser/text/analyzer.h"

namespace denser::bm25_test {

/// Analyzer options under which lowercase ASCII words pass through unchanged.
inline AnalyzerOptions plain_analyzer() { return AnalyzerOptions{false, false}; }

/// Word i of a synthetic vocabulary: "qa", "qb", ..., "qz", "qba", ... (letters only, and
/// never an English stopword).
inline std::string word(size_t i) {
  std::string w = "q";
  do {
    w += static_cast<char>('a' + i % 26);
    i /= 26;
  } while (i > 0);
  return w;
}

inline Bm25SearchOptions top(size_t k, Bm25Algorithm algorithm = Bm25Algorithm::kPruned) {
  Bm25SearchOptions options;
  options.k = k;
  options.algorithm = algorithm;
  return options;
}

inline std::string join(const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& t : terms) out += (out.empty() ? "" : " ") + t;
  return out;
}

/// Collection statistics computed straight from the term lists.
struct CorpusStats {
  uint64_t num_docs_with_terms = 0, total_terms = 0;
  std::unordered_map<std::string, uint32_t> df;
  std::vector<std::unordered_map<std::string, uint32_t>> tf;  // per document
};

struct Corpus {
  std::vector<std::vector<std::string>> terms;       // per document, in text order
  std::vector<Document> docs;                        // the same as documents (id "d<i>")
  mutable std::shared_ptr<const CorpusStats> stats;  // computed on first use

  const CorpusStats& statistics() const {
    if (!stats) {
      auto s = std::make_shared<CorpusStats>();
      s->tf.resize(terms.size());
      for (size_t d = 0; d < terms.size(); ++d) {
        for (const std::string& t : terms[d]) ++s->tf[d][t];
        for (const auto& entry : s->tf[d]) ++s->df[entry.first];
        s->num_docs_with_terms += !terms[d].empty();
        s->total_terms += terms[d].size();
      }
      stats = s;
    }
    return *stats;
  }
};

inline std::string doc_name(size_t i) {
  std::string id = "d";
  id += std::to_string(i);
  return id;
}

/// A random corpus: Zipf-like word frequencies, lengths 0..max_len (some documents empty),
/// and about one document in five a copy of an earlier one so that scores tie.
inline Corpus random_corpus(std::mt19937& rng, size_t num_docs, size_t vocab, size_t max_len) {
  Corpus c;
  std::vector<double> weights(vocab);
  for (size_t i = 0; i < vocab; ++i) weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<size_t> pick_word(weights.begin(), weights.end());
  std::uniform_int_distribution<size_t> pick_len(0, max_len);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (size_t d = 0; d < num_docs; ++d) {
    std::vector<std::string> terms;
    if (d > 0 && coin(rng) < 0.2) {
      terms = c.terms[std::uniform_int_distribution<size_t>(0, d - 1)(rng)];
    } else {
      const size_t len = coin(rng) < 0.05 ? 0 : pick_len(rng);
      for (size_t i = 0; i < len; ++i) terms.push_back(word(pick_word(rng)));
    }
    // Title and text are indexed together; split the words between them at random.
    const size_t split = terms.empty() ? 0 : std::uniform_int_distribution<size_t>(0, terms.size())(rng);
    Document doc;
    doc.id = doc_name(d);
    doc.title = join(std::vector<std::string>(terms.begin(), terms.begin() + static_cast<long>(split)));
    doc.text = join(std::vector<std::string>(terms.begin() + static_cast<long>(split), terms.end()));
    c.terms.push_back(std::move(terms));
    c.docs.push_back(std::move(doc));
  }
  return c;
}

/// A random query of 1..max_terms words, some repeated, some unknown to the corpus.
inline std::vector<std::string> random_query(std::mt19937& rng, size_t vocab, size_t max_terms) {
  std::vector<std::string> q;
  const size_t n = std::uniform_int_distribution<size_t>(1, max_terms)(rng);
  std::uniform_int_distribution<size_t> pick(0, vocab + vocab / 10);  // past vocab: unknown
  for (size_t i = 0; i < n; ++i) q.push_back(word(pick(rng)));
  if (n > 1 && rng() % 3 == 0) q.push_back(q[0]);  // a repeated term: boost 2
  return q;
}

/// Top-k by brute force, following Lucene's BM25Similarity step by step in float: idf in
/// double rounded to float, weight = count * idf, norm inverse from the (quantized) length,
/// term score = weight - weight / (1 + tf * norm_inverse); term scores summed in double in
/// query-term order (first occurrences), rounded to float; ties by smaller document.
inline std::vector<Bm25Hit> oracle_search(const Corpus& c, const std::vector<std::string>& query, size_t k,
                                          const Bm25Params& p) {
  const CorpusStats& stats = c.statistics();
  const uint64_t n = stats.num_docs_with_terms, total = stats.total_terms;
  std::vector<std::pair<std::string, uint32_t>> unique;  // term, count in the query
  for (const std::string& t : query) {
    auto it = std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.first == t; });
    if (it == unique.end()) {
      unique.push_back({t, 1});
    } else {
      ++it->second;
    }
  }
  const float avgdl = n == 0 ? 0.0f : static_cast<float>(static_cast<double>(total) / static_cast<double>(n));
  std::vector<Bm25Hit> hits;
  for (size_t d = 0; d < c.terms.size(); ++d) {
    double sum = 0.0;
    bool matched = false;
    for (const auto& [term, count] : unique) {
      auto it = stats.tf[d].find(term);
      if (it == stats.tf[d].end()) continue;
      matched = true;
      const double dfd = stats.df.at(term);
      const float idf = static_cast<float>(std::log(1.0 + (static_cast<double>(n) - dfd + 0.5) / (dfd + 0.5)));
      const float weight = static_cast<float>(count) * idf;
      const auto len = static_cast<uint32_t>(c.terms[d].size());
      const float dl = static_cast<float>(p.exact_lengths ? len : quantize_length(len));
      const float norm_inverse = 1.0f / (p.k1 * ((1.0f - p.b) + p.b * dl / avgdl));
      sum += weight - weight / (1.0f + static_cast<float>(it->second) * norm_inverse);
    }
    if (matched) hits.push_back({static_cast<uint32_t>(d), static_cast<float>(sum)});
  }
  std::sort(hits.begin(), hits.end(), [](const Bm25Hit& a, const Bm25Hit& b) {
    return a.score > b.score || (a.score == b.score && a.doc < b.doc);
  });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

/// Bit-exact comparison of two result lists, with a message naming the first difference.
inline ::testing::AssertionResult same_hits(const std::vector<Bm25Hit>& expected, const std::vector<Bm25Hit>& actual) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure() << "sizes differ: " << expected.size() << " vs " << actual.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].doc != actual[i].doc || expected[i].score != actual[i].score)
      return ::testing::AssertionFailure()
             << "rank " << i << ": expected doc " << expected[i].doc << " score " << expected[i].score << ", got doc "
             << actual[i].doc << " score " << actual[i].score;
  }
  return ::testing::AssertionSuccess();
}

/// A fresh empty directory under the test temp dir, private to this process (ctest runs
/// the tests of one fixture in parallel processes).
inline std::string temp_dir(const std::string& name) {
  const auto dir =
      std::filesystem::path(::testing::TempDir()) / ("denser_bm25_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace denser::bm25_test
