#pragma once
// The BM25 analyzer: equivalent to Lucene's EnglishAnalyzer as Anserini uses it —
// standard tokenization (Unicode word boundaries), English possessive removal, lowercase,
// English stopwords (Lucene's default set), Porter stemmer.
#include <string>
#include <string_view>
#include <vector>

namespace denser {

struct AnalyzerOptions {
  bool stem = true;            // Porter stemmer
  bool remove_stopwords = true;  // Lucene's English stopword set
};

/// Stateless after construction; analyze() is thread-safe.
class Bm25Analyzer {
 public:
  explicit Bm25Analyzer(AnalyzerOptions options = {});
  /// Appends the terms of `text` (UTF-8) to `terms`, in text order. Invalid UTF-8 bytes
  /// are treated as separators.
  void analyze(std::string_view text, std::vector<std::string>& terms) const;
  std::vector<std::string> analyze(std::string_view text) const {
    std::vector<std::string> terms;
    analyze(text, terms);
    return terms;
  }
  const AnalyzerOptions& options() const { return options_; }

 private:
  AnalyzerOptions options_;
};

/// The Porter (1980) stemmer on one lowercase ASCII word, as Lucene's PorterStemFilter.
std::string porter_stem(std::string_view word);

}  // namespace denser
