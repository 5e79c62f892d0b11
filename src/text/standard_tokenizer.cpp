#include "standard_tokenizer.h"

#include <algorithm>

#include "denser/common/error.h"
#include "denser/common/utf8.h"

// How this follows Lucene. Lucene's StandardTokenizerImpl is a JFlex scanner: at each
// position it takes the longest prefix matched by any of its rules, and skips one
// character when none matches. The rules are, over "units" X (Extend|Format|ZWJ)* (WB4):
//
//   WORD   E* Core (E+ Core)* E*          E = ExtendNumLet, e.g. '_'
//          Core = K (E* K)*  |  Seg+      K = Katakana
//          Seg  = H (SQ | DQ H)                          Hebrew quotes (WB7a-c)
//               | N ((E* | MidNum) N)*                   numbers (WB8, WB11, WB12)
//               | A ((E* | MidLetter) A)*                letters (WB5-WB7)
//          (A = ALetter or Hebrew_Letter, N = Numeric, MidLetter = MidLetter | MidNumLet |
//          Single_Quote, MidNum = MidNum | MidNumLet | Single_Quote)
//   NUM, HANGUL, KATAKANA rules: subsets of WORD (they only set the token type).
//   SEA    (Line_Break=SA unit)+
//   HAN, HIRAGANA: one character (unit) each.
//   EMOJI  see match_emoji().
//
// Only the match length matters here (the analyzer ignores token types), so the tokenizer
// computes the longest match of WORD, SEA, HAN/HIRAGANA and EMOJI at each position. WORD
// is matched by a left-to-right scan that remembers the kind of the last unit; the only
// lookahead it needs is one unit after a Mid* character. A randomized test compares it
// with the grammar written as a regular expression.

namespace denser::text_internal {

namespace {

constexpr char32_t kZwj = 0x200D;
constexpr char32_t kTextPresentation = 0xFE0E;
constexpr char32_t kEmojiPresentation = 0xFE0F;
constexpr char32_t kCombiningKeycap = 0x20E3;
constexpr char32_t kTagFirst = 0xE0020;  // TAG SPACE .. TAG TILDE: tag_spec
constexpr char32_t kTagLast = 0xE007E;
constexpr char32_t kCancelTag = 0xE007F;  // tag_term

struct Char {
  char32_t cp;
  uint16_t props;
  uint32_t len;  // bytes
};

bool is_keycap_base(char32_t cp) { return (cp >= '0' && cp <= '9') || cp == '#' || cp == '*'; }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) { return is_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

// The kind of the last unit a WORD scan consumed. kHebrewQuote is "Hebrew_Letter
// Single_Quote", which WB7a lets end a segment; kStart doubles as "not a word unit".
enum class WordUnit { kStart, kLetter, kHebrew, kNumber, kKatakana, kExtendNumLet, kHebrewQuote };

WordUnit word_unit(WordBreak wb) {
  switch (wb) {
    case kWbALetter: return WordUnit::kLetter;
    case kWbHebrewLetter: return WordUnit::kHebrew;
    case kWbNumeric: return WordUnit::kNumber;
    case kWbKatakana: return WordUnit::kKatakana;
    case kWbExtendNumLet: return WordUnit::kExtendNumLet;
    default: return WordUnit::kStart;
  }
}

// Letters and digits join each other (WB5, WB8-10), katakana joins katakana (WB13), and
// anything joins after ExtendNumLet (WB13b); katakana and letters/digits never touch.
bool core_can_follow(WordUnit last, WordUnit next) {
  if (next == WordUnit::kKatakana)
    return last == WordUnit::kStart || last == WordUnit::kKatakana || last == WordUnit::kExtendNumLet;
  return last != WordUnit::kKatakana;
}

// Whether the Mid character `mid` joins a `last` unit to a following `next` unit:
// WB6/7 (letters around MidLetter, MidNumLet, Single_Quote), WB11/12 (digits around
// MidNum, MidNumLet, Single_Quote), WB7b/c (Hebrew letters around Double_Quote).
bool mid_joins(WordBreak mid, WordUnit last, WordBreak next) {
  const bool letters =
      (last == WordUnit::kLetter || last == WordUnit::kHebrew) && (next == kWbALetter || next == kWbHebrewLetter);
  switch (mid) {
    case kWbMidLetter: return letters;
    case kWbMidNum: return last == WordUnit::kNumber && next == kWbNumeric;
    case kWbMidNumLet:
    case kWbSingleQuote: return letters || (last == WordUnit::kNumber && next == kWbNumeric);
    case kWbDoubleQuote: return last == WordUnit::kHebrew && next == kWbHebrewLetter;
    default: return false;
  }
}

// The matchers of one scan over text[0, end): end is the text size, or the end of the
// window a token must fit in (see StandardTokenizer::next). Positions passed in are < end.
class Scanner {
 public:
  Scanner(std::string_view text, size_t end, const WordBreakTable& table) : s_(text.data()), end_(end), table_(table) {}

  size_t longest_match(size_t pos) const;

  /// For pos at an ExtendNumLet character: the first position at or after pos from which
  /// a token can start, skipping in one step the run of ExtendNumLet that Lucene would
  /// skip character by character (a long "____" run would otherwise cost quadratic time).
  size_t skip_extend_num_let_run(size_t pos, size_t max_units) const;

 private:
  Char at(size_t pos) const {
    const auto b = static_cast<unsigned char>(s_[pos]);
    if (b < 0x80) [[likely]]
      return {b, table_.ascii_props(b), 1};
    return at_non_ascii(pos);
  }

  // Kept out of line so that at() inlines into the scanning loops.
  [[gnu::noinline]] Char at_non_ascii(size_t pos) const {
    size_t next = pos;
    const char32_t cp = utf8::decode(std::string_view(s_, end_), next);
    if (cp == utf8::kInvalid) return {cp, kWbOther, 1};
    return {cp, table_.props(cp), static_cast<uint32_t>(next - pos)};
  }

  // Skips (Extend | Format | ZWJ)*; ASCII is never one of them.
  size_t skip_extend(size_t pos) const {
    while (pos < end_ && static_cast<unsigned char>(s_[pos]) >= 0x80) {
      const Char c = at(pos);
      if (word_break(c.props) != kWbExtendFormatZwj) break;
      pos += c.len;
    }
    return pos;
  }

  // Skips the emoji rules' ExtFmtZwjSansPresSel: Extend/Format/ZWJ except U+FE0E/U+FE0F.
  // ends_with_zwj: whether the last character skipped was a ZWJ.
  size_t skip_emoji_extend(size_t pos, bool* ends_with_zwj) const {
    bool zwj = false;
    while (pos < end_) {
      const Char c = at(pos);
      if (word_break(c.props) != kWbExtendFormatZwj || c.cp == kTextPresentation || c.cp == kEmojiPresentation) break;
      zwj = c.cp == kZwj;
      pos += c.len;
    }
    if (ends_with_zwj) *ends_with_zwj = zwj;
    return pos;
  }

  size_t match_word(size_t pos) const;
  size_t match_complex_context(size_t pos) const;
  size_t match_emoji(size_t pos) const;
  size_t match_keycap(size_t pos) const;

  struct Element {
    bool ok = false;
    size_t end = 0;
    bool ends_with_zwj = false;  // the element's tail ends with a ZWJ (usable as joiner)
    bool ends_with_presentation = false;
  };
  Element match_emoji_element(size_t pos) const;

  const char* s_;
  size_t end_;
  const WordBreakTable& table_;
};

size_t Scanner::longest_match(size_t pos) const {
  // Fast path: an ASCII letter or digit starts only WORD, unless a digit is followed by
  // non-ASCII (a keycap emoji, "1\uFE0F\u20E3").
  if (is_ascii_alnum(s_[pos]) &&
      (pos + 1 == end_ || static_cast<unsigned char>(s_[pos + 1]) < 0x80 || !is_ascii_digit(s_[pos])))
    return match_word(pos);
  const Char c = at(pos);
  const WordBreak wb = word_break(c.props);
  size_t best = pos;
  switch (wb) {
    case kWbALetter:
    case kWbHebrewLetter:
    case kWbNumeric:
    case kWbKatakana:
    case kWbExtendNumLet: best = match_word(pos); break;
    default: break;
  }
  if (c.props & (kPropHan | kPropHiragana)) best = std::max(best, skip_extend(pos + c.len));
  if (c.props & kPropComplexContext) best = std::max(best, match_complex_context(pos));
  // A keycap base is ASCII and needs a non-ASCII character after it.
  const bool keycap = is_keycap_base(c.cp) && pos + 1 < end_ && static_cast<unsigned char>(s_[pos + 1]) >= 0x80;
  if ((c.props & (kPropEmojiChar | kPropEmojiModifier)) || c.cp == kZwj || keycap || wb == kWbRegionalIndicator)
    best = std::max(best, match_emoji(pos));
  return best;
}

size_t Scanner::match_word(size_t pos) const {
  WordUnit last = WordUnit::kStart;
  bool have_core = false;  // a letter, number or katakana seen: the prefix can match
  size_t accept = pos;     // end of the longest matching prefix so far
  size_t p = pos;
  while (p < end_) {
    // Fast path: a run of ASCII letters and digits (most of any English text).
    if (last != WordUnit::kKatakana && is_ascii_alnum(s_[p])) {
      size_t q = p + 1;
      while (q < end_ && is_ascii_alnum(s_[q])) ++q;
      last = is_ascii_digit(s_[q - 1]) ? WordUnit::kNumber : WordUnit::kLetter;
      p = skip_extend(q);
      have_core = true;
      accept = p;
      continue;
    }
    const Char c = at(p);
    size_t q = skip_extend(p + c.len);
    const WordBreak wb = word_break(c.props);
    const WordUnit kind = word_unit(wb);
    if (kind == WordUnit::kExtendNumLet) {  // WB13a/b: joins anything, but alone is no token
      last = kind;
      p = q;
      if (have_core) accept = p;
      continue;
    }
    if (kind != WordUnit::kStart) {  // a core unit
      if (!core_can_follow(last, kind)) return accept;
      last = kind;
    } else if (wb == kWbSingleQuote && last == WordUnit::kHebrew) {  // WB7a
      last = WordUnit::kHebrewQuote;
    } else {
      // A Mid character joins only with the right kinds of unit on both sides; consume it
      // together with the unit after it.
      if (q >= end_) return accept;
      const Char n = at(q);
      if (!mid_joins(wb, last, word_break(n.props))) return accept;
      last = word_unit(word_break(n.props));
      q = skip_extend(q + n.len);
    }
    have_core = true;
    p = q;
    accept = p;
  }
  return accept;
}

size_t Scanner::match_complex_context(size_t pos) const {
  size_t p = pos;
  while (p < end_) {
    const Char c = at(p);
    if (!(c.props & kPropComplexContext)) break;
    p = skip_extend(p + c.len);
  }
  return p;
}

// Lucene's EMOJI rule (from UTS#51 emoji_sequence), with S = Extend/Format/ZWJ minus
// U+FE0E/U+FE0F, Z = ZWJ, P = U+FE0F:
//   element  = Z* EmojiChar S* P?  |  (Z* ModifierBase S*)? Modifier S*
//   EMOJI    = element ( (Z element)* | TagSpec+ TagTerm )
//            | [0-9#*] S* P? U+20E3 S*
//            | (RegionalIndicator (Extend|Format|ZWJ)*){2}
size_t Scanner::match_emoji(size_t pos) const {
  const Char c = at(pos);
  size_t best = pos;
  if (is_keycap_base(c.cp)) best = match_keycap(pos);
  if (word_break(c.props) == kWbRegionalIndicator) {
    const size_t p = skip_extend(pos + c.len);
    if (p < end_) {
      const Char d = at(p);
      if (word_break(d.props) == kWbRegionalIndicator) best = std::max(best, skip_extend(p + d.len));
    }
  }
  Element e = match_emoji_element(pos);
  if (!e.ok) return best;
  best = std::max(best, e.end);
  if (e.ends_with_presentation) {  // element TagSpec+ TagTerm
    size_t p = e.end;
    size_t tags = 0;
    while (p < end_) {
      const Char t = at(p);
      if (t.cp < kTagFirst || t.cp > kTagLast) break;
      p += t.len;
      ++tags;
    }
    if (tags > 0 && p < end_) {
      const Char t = at(p);
      if (t.cp == kCancelTag) best = std::max(best, p + t.len);
    }
  }
  // (Z element)*: the element's tail may already hold the joining ZWJ (S includes ZWJ);
  // S* is greedy and the next element cannot start with S, so greedy tails lose nothing.
  while (true) {
    size_t p = e.end;
    if (!e.ends_with_zwj) {
      if (p >= end_ || at(p).cp != kZwj) break;
      p += at(p).len;
    }
    const Element next = match_emoji_element(p);
    if (!next.ok) break;
    e = next;
    best = std::max(best, e.end);
  }
  return best;
}

Scanner::Element Scanner::match_emoji_element(size_t pos) const {
  Element e;
  size_t p = pos;
  size_t zwjs = 0;
  while (p < end_ && at(p).cp == kZwj) {
    p += at(p).len;
    ++zwjs;
  }
  if (p >= end_) return e;
  const Char c = at(p);
  if (c.props & kPropEmojiModifier) {  // a lone modifier; no leading ZWJ in this branch
    if (zwjs > 0) return e;
    e.ok = true;
    e.end = skip_emoji_extend(p + c.len, &e.ends_with_zwj);
    return e;
  }
  if (!(c.props & (kPropEmojiChar | kPropEmojiModifierBase))) return e;
  e.ok = true;
  e.end = skip_emoji_extend(p + c.len, &e.ends_with_zwj);
  if (e.end < end_) {
    const Char n = at(e.end);
    if (n.cp == kEmojiPresentation) {
      e.end += n.len;
      e.ends_with_zwj = false;
      e.ends_with_presentation = true;
    } else if ((c.props & kPropEmojiModifierBase) && (n.props & kPropEmojiModifier)) {
      e.end = skip_emoji_extend(e.end + n.len, &e.ends_with_zwj);
    }
  }
  return e;
}

// [0-9#*] S* P? U+20E3 S*. U+20E3 is itself Extend, so without P the keycap can be any
// U+20E3 in the S* run that follows the base.
size_t Scanner::match_keycap(size_t pos) const {
  size_t best = pos;
  size_t p = pos + 1;
  bool has_keycap = false;
  while (p < end_) {
    const Char c = at(p);
    if (word_break(c.props) != kWbExtendFormatZwj || c.cp == kTextPresentation || c.cp == kEmojiPresentation) break;
    has_keycap |= c.cp == kCombiningKeycap;
    p += c.len;
  }
  if (has_keycap) best = p;
  if (p < end_ && at(p).cp == kEmojiPresentation) {
    const size_t q = p + at(p).len;
    if (q < end_ && at(q).cp == kCombiningKeycap) best = std::max(best, skip_emoji_extend(q + at(q).len, nullptr));
  }
  return best;
}

// A run (ExtendNumLet | Extend | Format | ZWJ)* can only be the start of a WORD token,
// which also needs a letter, digit or katakana after the run. Without one, no WORD starts
// in the run. With one at r, WORD starts at the first ExtendNumLet from which the letter
// still fits in max_units (Lucene's window); earlier positions fail. Either way, the
// positions skipped fail every rule, except a ZWJ or a flagged (e.g. Thai) mark that
// could start an emoji or SEA token: the skip stops there.
size_t Scanner::skip_extend_num_let_run(size_t pos, size_t max_units) const {
  size_t r = pos;
  size_t run_units = 0;
  while (r < end_) {
    const Char c = at(r);
    const WordBreak wb = word_break(c.props);
    if (wb != kWbExtendNumLet && wb != kWbExtendFormatZwj) break;
    run_units += c.cp >= 0x10000 ? 2 : 1;
    r += c.len;
  }
  size_t target = r;
  if (r < end_) {
    const Char core = at(r);
    const WordBreak wb = word_break(core.props);
    if (wb == kWbALetter || wb == kWbHebrewLetter || wb == kWbNumeric || wb == kWbKatakana) {
      const size_t core_units = core.cp >= 0x10000 ? 2 : 1;
      size_t units_left = run_units;  // units in [p, r)
      size_t p = pos;
      while (p < r) {
        const Char c = at(p);
        if (word_break(c.props) == kWbExtendNumLet && units_left + core_units <= max_units) break;
        units_left -= c.cp >= 0x10000 ? 2 : 1;
        p += c.len;
      }
      target = p;
    }
  }
  for (size_t p = pos; p < target;) {
    const Char c = at(p);
    if (c.cp == kZwj || (c.props & ~kWordBreakMask) != 0) return p;
    p += c.len;
  }
  return target;
}

// UTF-16 code units (Java chars) of the valid UTF-8 text[begin, end).
size_t utf16_length(std::string_view text, size_t begin, size_t end) {
  size_t units = 0;
  for (size_t i = begin; i < end; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (!utf8::is_continuation(b)) units += b >= 0xF0 ? 2 : 1;
  }
  return units;
}

// End of the longest prefix of the valid UTF-8 text[begin, end) with at most max_units
// UTF-16 code units, on a code point boundary.
size_t utf16_prefix_end(std::string_view text, size_t begin, size_t end, size_t max_units) {
  size_t units = 0;
  size_t i = begin;
  while (i < end) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t cp_units = b >= 0xF0 ? 2 : 1;
    if (units + cp_units > max_units) break;
    units += cp_units;
    ++i;
    while (i < end && utf8::is_continuation(static_cast<unsigned char>(text[i]))) ++i;
  }
  return i;
}

}  // namespace

StandardTokenizer::StandardTokenizer(std::string_view text, size_t max_token_length)
    : text_(text), max_token_length_(max_token_length), table_(WordBreakTable::get()) {
  DENSER_CHECK(max_token_length >= 2, ErrorCode::kInvalidArgument,
               "StandardTokenizer: max_token_length must be at least 2, got ", max_token_length);
}

bool StandardTokenizer::next(std::string_view& token) {
  const size_t n = text_.size();
  const Scanner full(text_, n, table_);
  // A token has at most max_token_length UTF-16 units, hence at most 3 bytes per unit.
  const size_t max_bytes = 3 * max_token_length_ + 4;
  while (pos_ < n) {
    const auto b = static_cast<unsigned char>(text_[pos_]);
    // Fast skip: ASCII that can start no token (spaces, punctuation). '#' and '*' start
    // keycap emoji, so they go through the scanner.
    if (b < 0x80 && table_.ascii_props(b) == kWbOther && b != '#' && b != '*') {
      ++pos_;
      continue;
    }
    if (word_break(b < 0x80 ? table_.ascii_props(b) : table_.props(peek_code_point())) == kWbExtendNumLet) {
      const size_t start = full.skip_extend_num_let_run(pos_, max_token_length_);
      if (start != pos_) {
        pos_ = start;
        continue;
      }
    }
    // Lucene's scanner sees at most max_token_length chars from the token start and takes
    // the longest match within them. Scanning a byte window that surely holds them gives
    // the same answer whenever that match is short enough, which is nearly always; a
    // longer one is redone within the exact window.
    size_t end = Scanner(text_, std::min(n, pos_ + max_bytes), table_).longest_match(pos_);
    if (end - pos_ > max_token_length_ && utf16_length(text_, pos_, end) > max_token_length_) {
      const size_t cut = utf16_prefix_end(text_, pos_, end, max_token_length_);
      end = Scanner(text_, cut, table_).longest_match(pos_);
    }
    if (end == pos_) {  // no rule matches: drop one character (or one invalid byte)
      size_t next = pos_;
      utf8::decode(text_, next);
      pos_ = next;
      continue;
    }
    token = text_.substr(pos_, end - pos_);
    pos_ = end;
    return true;
  }
  return false;
}

char32_t StandardTokenizer::peek_code_point() const {
  size_t next = pos_;
  const char32_t cp = utf8::decode(text_, next);
  return cp == utf8::kInvalid ? 0xFFFD : cp;
}

}  // namespace denser::text_internal
