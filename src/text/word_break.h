#pragma once
// Per-code-point properties for the standard tokenizer: the UAX#29 Word_Break class plus the
// script, line-break and emoji flags that Lucene's StandardTokenizer grammar consults.
// The data is generated from the Unicode Character Database (word_break_table.cpp, made by
// gen_word_break_table.pl); this header turns it into a two-level lookup table.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace denser::text_internal {

/// Word_Break classes as the tokenizer groups them (low 4 bits of the properties).
/// Extend, Format and ZWJ share one class: the grammar treats them alike (WB4), and the
/// emoji rules that need to tell them apart look at the code point itself.
enum WordBreak : uint8_t {
  kWbOther = 0,
  kWbALetter = 1,
  kWbHebrewLetter = 2,
  kWbNumeric = 3,
  kWbKatakana = 4,
  kWbExtendNumLet = 5,
  kWbMidLetter = 6,
  kWbMidNum = 7,
  kWbMidNumLet = 8,
  kWbSingleQuote = 9,
  kWbDoubleQuote = 10,
  kWbExtendFormatZwj = 11,
  kWbRegionalIndicator = 12,
};

inline constexpr uint16_t kWordBreakMask = 0x0F;
inline constexpr uint16_t kPropHan = 0x10;             // Script=Han
inline constexpr uint16_t kPropHiragana = 0x20;        // Script=Hiragana
inline constexpr uint16_t kPropComplexContext = 0x40;  // Line_Break=SA (Thai, Lao, ...)
inline constexpr uint16_t kPropEmojiChar = 0x80;       // EmojiChar of Lucene's grammar
inline constexpr uint16_t kPropEmojiModifierBase = 0x100;
inline constexpr uint16_t kPropEmojiModifier = 0x200;

inline WordBreak word_break(uint16_t props) { return static_cast<WordBreak>(props & kWordBreakMask); }

/// One run of the generated data: code points from `first` up to the next run's first
/// share `props`.
struct WordBreakRun {
  uint32_t first;
  uint16_t props;
};
extern const WordBreakRun kWordBreakRuns[];
extern const size_t kNumWordBreakRuns;
extern const char kWordBreakUnicodeVersion[];

/// The generated runs expanded into a two-level table: O(1) lookups, about 100 KB.
/// Immutable after construction; get() builds the single instance on first use
/// (thread-safe) and may be called from any thread.
class WordBreakTable {
 public:
  static const WordBreakTable& get();

  /// Properties of cp; cp must be <= U+10FFFF.
  uint16_t props(char32_t cp) const {
    return blocks_[(static_cast<size_t>(index_[cp >> kBlockBits]) << kBlockBits) | (cp & kBlockMask)];
  }
  /// Properties of the ASCII character c (< 0x80), from a flat array.
  uint16_t ascii_props(unsigned char c) const { return ascii_[c]; }

 private:
  static constexpr unsigned kBlockBits = 7;
  static constexpr char32_t kBlockMask = (1u << kBlockBits) - 1;
  WordBreakTable();

  std::vector<uint16_t> index_;   // block number of each 128-code-point block
  std::vector<uint16_t> blocks_;  // distinct blocks, 128 entries each
  uint16_t ascii_[128];
};

}  // namespace denser::text_internal
