#pragma once
// Lucene's StandardTokenizer (Lucene 9, the tokenizer of Anserini's English analyzer) over
// UTF-8 text: Unicode UAX#29 word boundaries, keeping only the segments that contain
// letters, digits, ideographs, South-East-Asian script runs or emoji.
#include <cstddef>
#include <string_view>

#include "word_break.h"

namespace denser::text_internal {

/// Splits text into tokens exactly where Lucene's JFlex grammar does
/// (StandardTokenizerImpl.jflex); tokens are views into the text, in order, unchanged
/// (no case folding). What is emitted, longest match first:
///   - words: runs of letters/digits joined per WB5-WB13b — "don't", "O'Neil", "U.S.A"
///     (the final "." is dropped), "3.14", "1,000", "covid19", "foo_bar"; "il-6" -> "il",
///     "6"; katakana runs; Hangul runs; Hebrew with its quote rules (WB7a-c);
///   - one token per Han ideograph and per Hiragana character;
///   - runs of Line_Break=SA characters (Thai, Lao, Khmer, Myanmar) as one token;
///   - emoji: characters, presentation / modifier / ZWJ / tag sequences, keycaps, flags.
/// Extend/Format/ZWJ characters attach to what precedes them (WB4). Everything else —
/// spaces, punctuation, symbols, invalid UTF-8 bytes — separates tokens and is dropped.
/// A token longer than max_token_length UTF-16 code units (Lucene counts Java chars) is
/// cut there and scanning resumes at the cut, as Lucene's scanner does with its 255-char
/// buffer: 300 letters give a 255-letter token and a 45-letter token.
///
/// Character data: Lucene compiles its grammar against Unicode 9 (emoji data: Unicode 14).
/// The tables here come from Unicode 14 with the word classes masked to characters that
/// Unicode 9 had assigned and U+202F / the skin-tone modifiers set back to their Unicode 9
/// classes; any other Word_Break change since 9.0 follows Unicode 14.
///
/// Cost: O(text length) for real text: each position is scanned at most a bounded window
/// ahead (3 * max_token_length bytes). No allocation. Not thread-safe (it is a cursor);
/// cheap to construct (the character table is built once per process, on first use).
class StandardTokenizer {
 public:
  static constexpr size_t kDefaultMaxTokenLength = 255;

  /// text must outlive the tokenizer. max_token_length >= 2 (room for any code point).
  explicit StandardTokenizer(std::string_view text, size_t max_token_length = kDefaultMaxTokenLength);

  /// Sets token to the next token and returns true; returns false at the end of the text.
  bool next(std::string_view& token);

 private:
  char32_t peek_code_point() const;  // the code point at pos_ (U+FFFD for invalid bytes)

  std::string_view text_;
  size_t max_token_length_;
  size_t pos_ = 0;
  const WordBreakTable& table_;
};

}  // namespace denser::text_internal
