#include <algorithm>
#include <array>
#include <cstdint>

#include "denser/text/analyzer.h"

namespace denser {

namespace {

// EnglishAnalyzer.ENGLISH_STOP_WORDS_SET of Lucene, which Anserini uses unchanged.
constexpr std::string_view kStopWords[] = {"a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
                                           "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
                                           "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
                                           "they", "this", "to",   "was",  "will", "with"};
constexpr size_t kNumStopWords = std::size(kStopWords);
static_assert(kNumStopWords == 33);
constexpr size_t kMaxStopWordLength = 5;

// A word of at most 7 bytes packed into one integer (bytes, then the length on top), so
// the lookup is a binary search over integers instead of string comparisons: it runs
// once per token of every document.
constexpr uint64_t pack(std::string_view word) {
  uint64_t key = static_cast<uint64_t>(word.size()) << 56;
  for (size_t i = 0; i < word.size(); ++i) key |= static_cast<uint64_t>(static_cast<unsigned char>(word[i])) << (8 * i);
  return key;
}

constexpr std::array<uint64_t, kNumStopWords> make_keys() {
  std::array<uint64_t, kNumStopWords> keys{};
  for (size_t i = 0; i < kNumStopWords; ++i) keys[i] = pack(kStopWords[i]);
  std::sort(keys.begin(), keys.end());
  return keys;
}

constexpr std::array<uint64_t, kNumStopWords> kStopKeys = make_keys();

// Bit c - 'a' of kFirstLetters[n] is set when a stop word of n letters starts with c: most
// words are rejected by this one test.
constexpr std::array<uint32_t, kMaxStopWordLength + 1> make_first_letters() {
  std::array<uint32_t, kMaxStopWordLength + 1> masks{};
  for (std::string_view w : kStopWords) masks[w.size()] |= uint32_t{1} << (w[0] - 'a');
  return masks;
}
constexpr std::array<uint32_t, kMaxStopWordLength + 1> kFirstLetters = make_first_letters();

}  // namespace

std::span<const std::string_view> english_stop_words() { return kStopWords; }

bool is_english_stop_word(std::string_view term) {
  if (term.empty() || term.size() > kMaxStopWordLength) return false;
  const unsigned first = static_cast<unsigned char>(term[0]) - 'a';
  if (first >= 26 || !(kFirstLetters[term.size()] >> first & 1)) return false;
  return std::binary_search(kStopKeys.begin(), kStopKeys.end(), pack(term));
}

}  // namespace denser
