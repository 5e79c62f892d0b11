#pragma once
// The BM25 analyzer: equivalent to Lucene's EnglishAnalyzer as Anserini uses it —
// standard tokenization (Unicode word boundaries), English possessive removal, lowercase,
// English stopwords (Lucene's default set), Porter stemmer.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace denser {

struct AnalyzerOptions {
  bool stem = true;              // Porter stemmer
  bool remove_stopwords = true;  // Lucene's English stopword set
};

/// The analysis chain of Lucene's EnglishAnalyzer / Anserini's DefaultEnglishAnalyzer:
///   StandardTokenizer (UAX#29 word boundaries, tokens cut at 255 UTF-16 units)
///   -> EnglishPossessiveFilter (drops a trailing 's, \u2019s or \uFF07s)
///   -> LowerCaseFilter (Unicode simple lowercase, code point by code point)
///   -> StopFilter (english_stop_words(), when options.remove_stopwords)
///   -> PorterStemFilter (porter_stem(), when options.stem).
/// Accents are kept ("café" stays "café"); numbers stay whole ("3.14", "1,000"); CJK
/// ideographs and hiragana are one term per character; emoji are terms.
/// Cost: O(text bytes); one std::string per term (no heap allocation for terms of up to
/// 15 bytes). Stateless after construction; analyze() is thread-safe.
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

/// The Porter (1980) stemmer on one lowercase word, as Lucene's PorterStemFilter: words
/// of one or two chars are returned unchanged. Meant for lowercase ASCII; other UTF-8 is
/// stemmed the way Lucene does it, over UTF-16 units with every non-ASCII unit counted as
/// a consonant ("cafés" -> "café").
std::string porter_stem(std::string_view word);

/// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET: 33 lowercase words, sorted.
std::span<const std::string_view> english_stop_words();

/// Whether term (already lowercase) is in english_stop_words(). O(1).
bool is_english_stop_word(std::string_view term);

}  // namespace denser
