// Bm25Analyzer: the Lucene EnglishAnalyzer chain on hand-worked inputs.
#include "denser/text/analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace denser {
namespace {

using Terms = std::vector<std::string>;

Terms analyze(std::string_view text, AnalyzerOptions options = {}) { return Bm25Analyzer(options).analyze(text); }

TEST(EnglishStopWordsTest, LuceneSet) {
  const auto words = english_stop_words();
  ASSERT_EQ(words.size(), 33u);
  EXPECT_TRUE(std::is_sorted(words.begin(), words.end()));
  for (std::string_view w : words) EXPECT_TRUE(is_english_stop_word(w)) << w;
  for (const char* w : {"", "were", "he", "she", "we", "you", "i", "have", "has", "from", "which", "The", "ther",
                        "thes", "intoo", "an ", "theirs"})
    EXPECT_FALSE(is_english_stop_word(w)) << w;
}

TEST(Bm25AnalyzerTest, EmptyAndSeparatorOnlyText) {
  EXPECT_EQ(analyze(""), Terms{});
  EXPECT_EQ(analyze("  ...  --- !!! "), Terms{});
  EXPECT_EQ(analyze("the of and a"), Terms{});  // only stop words
}

TEST(Bm25AnalyzerTest, StopWordsAreRemovedAfterLowercasing) {
  EXPECT_EQ(analyze("The Cat IS on THE mat"), (Terms{"cat", "mat"}));
  AnalyzerOptions keep;
  keep.remove_stopwords = false;
  EXPECT_EQ(analyze("The Cat IS on THE mat", keep), (Terms{"the", "cat", "is", "on", "the", "mat"}));
}

TEST(Bm25AnalyzerTest, Possessives) {
  EXPECT_EQ(analyze("John's"), (Terms{"john"}));
  EXPECT_EQ(analyze("JOHN'S"), (Terms{"john"}));
  EXPECT_EQ(analyze("John\u2019s John\uFF07s"), (Terms{"john", "john"}));
  EXPECT_EQ(analyze("O'Neil's"), (Terms{"o'neil"}));
  // Only a trailing 's: "it's" -> "it" (a stop word), "don't" stays.
  EXPECT_EQ(analyze("it's don't"), (Terms{"don't"}));
  // "dogs'" loses the apostrophe in the tokenizer; 1a then strips the plural.
  EXPECT_EQ(analyze("the dogs' bowls"), (Terms{"dog", "bowl"}));
}

TEST(Bm25AnalyzerTest, CaseFoldingIsUnicodeSimpleLowercase) {
  AnalyzerOptions no_stem;
  no_stem.stem = false;
  EXPECT_EQ(analyze("HeLLo WORLD", no_stem), (Terms{"hello", "world"}));
  // Java's Character.toLowerCase: İ -> i, Σ -> σ everywhere (no final-sigma rule).
  EXPECT_EQ(analyze("İSTANBUL ΣΊΣΥΦΟΣ ÀÉÎ", no_stem), (Terms{"istanbul", "σίσυφοσ", "àéî"}));
  // Fullwidth letters lowercase to fullwidth.
  EXPECT_EQ(analyze("ＴＥＳＴ", no_stem), (Terms{"ｔｅｓｔ"}));
}

TEST(Bm25AnalyzerTest, NumbersHyphensAndApostrophes) {
  EXPECT_EQ(analyze("3.14 1,000 2019 v2.0"), (Terms{"3.14", "1,000", "2019", "v2.0"}));
  EXPECT_EQ(analyze("il-6 state-of-the-art"), (Terms{"il", "6", "state", "art"}));
  EXPECT_EQ(analyze("rock'n'roll o'clock"), (Terms{"rock'n'rol", "o'clock"}));  // 5b ll->l
}

TEST(Bm25AnalyzerTest, UrlsAndEmails) {
  EXPECT_EQ(analyze("see https://www.example.com/papers?id=42 or mail info@lab.org"),
            (Terms{"see", "http", "www.example.com", "paper", "id", "42", "mail", "info", "lab.org"}));
}

TEST(Bm25AnalyzerTest, CjkOneTermPerIdeograph) {
  EXPECT_EQ(analyze("東京タワーは１２３メートル！"), (Terms{"東", "京", "タワー", "は", "１２３", "メートル"}));
}

TEST(Bm25AnalyzerTest, AccentsAreKept) {
  // EnglishAnalyzer does not fold accents; Porter treats é and ï as consonants.
  EXPECT_EQ(analyze("café Café CAFÉS naïve résumé"), (Terms{"café", "café", "café", "naïv", "résumé"}));
}

TEST(Bm25AnalyzerTest, InvalidUtf8IsASeparator) {
  EXPECT_EQ(analyze("hello\xFFworld \xC3(x"), (Terms{"hello", "world", "x"}));
  // A term never contains invalid bytes.
  const Terms terms =
      analyze(std::string("ab\x80\x80\xE2\x82"
                          "cd\xF0\x9F\x92"
                          "ef"));
  EXPECT_EQ(terms, (Terms{"ab", "cd", "ef"}));
}

TEST(Bm25AnalyzerTest, LongTokensAreCutAt255Chars) {
  const std::string word(600, 'x');
  EXPECT_EQ(analyze(word), (Terms{std::string(255, 'x'), std::string(255, 'x'), std::string(90, 'x')}));
}

TEST(Bm25AnalyzerTest, AppendsToExistingTerms) {
  Bm25Analyzer analyzer;
  Terms terms = {"keep"};
  analyzer.analyze("running dogs", terms);
  analyzer.analyze("cats", terms);
  EXPECT_EQ(terms, (Terms{"keep", "run", "dog", "cat"}));
}

TEST(Bm25AnalyzerTest, HandWorkedSentences) {
  // patients: 1a s, 4 "ent" needs m(pati)>1: no. responses: 1a s, 5a e (m=2).
  // measured: 1b ed -> measur. were/new/differ: unchanged. results: 1a s.
  EXPECT_EQ(
      analyze("The patients' responses to the new drugs were measured in 2019, and John's results "
              "didn't differ."),
      (Terms{"patient", "respons", "new", "drug", "were", "measur", "2019", "john", "result", "didn't", "differ"}));
  // mutations: 1a s, 2 ation->ate, 5a e. genes: 5a keeps e (m=1, *o). increase: 5a e.
  EXPECT_EQ(analyze("Mutations in BRCA1/BRCA2 genes increase the risk of breast-cancer by 45%."),
            (Terms{"mutat", "brca1", "brca2", "gene", "increas", "risk", "breast", "cancer", "45"}));
  // "It's" -> it (stop). "U.S.A.'s" -> "U.S.A" then "s" (the '.' before ' ends the word).
  // policy: 1c y->i. https: 1a s.
  EXPECT_EQ(
      analyze("It's the U.S.A.'s policy: e-mail john.doe@example.com or visit https://example.org/path."),
      (Terms{"u.s.a", "s", "polici", "e", "mail", "john.do", "example.com", "visit", "http", "example.org", "path"}));
  // relational: 2 ational->ate, 5a e. generalizations: gener. hopefulness: hope.
  EXPECT_EQ(analyze("Relational generalizations and HOPEFULNESS: a study of oscillators."),
            (Terms{"relat", "gener", "hope", "studi", "oscil"}));
}

TEST(Bm25AnalyzerTest, OptionsCombine) {
  AnalyzerOptions none;
  none.stem = false;
  none.remove_stopwords = false;
  EXPECT_EQ(analyze("The Running DOGS", none), (Terms{"the", "running", "dogs"}));
  AnalyzerOptions stem_only;
  stem_only.remove_stopwords = false;
  EXPECT_EQ(analyze("The Running DOGS", stem_only), (Terms{"the", "run", "dog"}));
  EXPECT_FALSE(Bm25Analyzer(none).options().stem);
}

TEST(Bm25AnalyzerTest, StemmingHappensAfterStopWordRemoval) {
  // "thes" is not a stop word and stems to "the"; "this" is a stop word. Lucene removes
  // stop words before stemming, so the stem "the" survives.
  EXPECT_EQ(analyze("thes this"), (Terms{"the"}));
}

TEST(Bm25AnalyzerTest, ConcurrentUseGivesSameTerms) {
  const Bm25Analyzer analyzer;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Relational databases' indexing of naïve café résumés, 3.14 东京 ";
  const Terms expected = analyzer.analyze(text);
  std::vector<Terms> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&analyzer, &text, &r] { r = analyzer.analyze(text); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

}  // namespace
}  // namespace denser
