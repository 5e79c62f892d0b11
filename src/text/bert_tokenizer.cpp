#include "denser/text/bert_tokenizer.h"

#include <utf8proc.h>

#include <array>
#include <utility>

#include "denser/common/utf8.h"

namespace denser {
namespace {

// What the cleanup and whitespace split make of one code point.
enum class CharClass : uint8_t {
  kDrop,       // removed: NUL, U+FFFD, control and format characters
  kSpace,      // ends the current word
  kIdeograph,  // a CJK ideograph: a word by itself
  kWord,       // part of a word (punctuation is split off later, after lowercasing)
};

// BERT counts every non-alphanumeric printable ASCII character as punctuation, even the
// ones Unicode files under symbols ($, +, <, ^, `, |, ~).
constexpr bool is_ascii_punctuation(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

constexpr std::array<CharClass, 128> make_ascii_classes() {
  std::array<CharClass, 128> classes{};
  for (char32_t c = 0; c < 128; ++c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      classes[c] = CharClass::kSpace;
    } else if (c < 32 || c == 127) {
      classes[c] = CharClass::kDrop;  // NUL and the other C0 controls are category Cc
    } else {
      classes[c] = CharClass::kWord;
    }
  }
  return classes;
}
constexpr std::array<CharClass, 128> kAsciiClasses = make_ascii_classes();

// The "CJK Unified Ideographs" blocks as the original BERT lists them; Hangul, kana and
// the rest are ordinary letters.
constexpr bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

bool is_punctuation(char32_t c) {
  if (c < 128) return is_ascii_punctuation(c);
  auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

CharClass classify(char32_t c, bool drop_all_other, bool split_cjk) {
  if (c < 128) return kAsciiClasses[c];
  if (c == 0xFFFD) return CharClass::kDrop;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF: return CharClass::kDrop;
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: return drop_all_other ? CharClass::kDrop : CharClass::kWord;
    // Zs is BERT's whitespace; Zl and Zp (U+2028, U+2029) survive its cleanup but then
    // separate words in Python's str.split(), so they end up as separators too.
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return CharClass::kSpace;
    default: return split_cjk && is_cjk_ideograph(c) ? CharClass::kIdeograph : CharClass::kWord;
  }
}

// Python's Case_Ignorable: categories Mn, Me, Cf, Lm, Sk (ASCII ^ and ` among them) and
// the Word_Break classes MidLetter, MidNumLet and Single_Quote.
bool is_case_ignorable(char32_t c) {
  switch (c) {
    case 0x27:
    case 0x2E:
    case 0x3A:
    case 0x5E:
    case 0x60:
    case 0xB7:
    case 0x387:
    case 0x55F:
    case 0x5F4:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
    case 0xFE13:
    case 0xFE52:
    case 0xFE55:
    case 0xFF07:
    case 0xFF0E:
    case 0xFF1A: return true;
    default: break;
  }
  if (c < 128) return false;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK: return true;
    default: return false;
  }
}

// Python's Cased (Lowercase, Uppercase or Lt): the letter categories plus the characters
// outside them that have a case mapping (circled and Roman-numeral letters) or are listed
// below; the Other_Lowercase modifier letters are case-ignorable and never reach this
// test. Checked against Python on every code point in a sigma context.
bool is_cased(char32_t c) {
  if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c == 0xAA || c == 0xBA) return true;
  // Other_Uppercase squared, circled and negative squared Latin capitals (no case mapping).
  if ((c >= 0x1F130 && c <= 0x1F149) || (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189)) return true;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: return true;
    default: {
      auto i = static_cast<utf8proc_int32_t>(c);
      return utf8proc_tolower(i) != i || utf8proc_toupper(i) != i;
    }
  }
}

// Python lowercases U+03A3 to final sigma when a cased letter precedes it and none
// follows it (case-ignorable characters in between are skipped both ways).
bool is_final_sigma(const std::vector<char32_t>& word, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(word[j - 1])) --j;
  if (j == 0 || !is_cased(word[j - 1])) return false;
  size_t k = i + 1;
  while (k < word.size() && is_case_ignorable(word[k])) ++k;
  return k == word.size() || !is_cased(word[k]);
}

// Python's str.lower(): the simple lowercase mapping, except U+0130 (full mapping
// "i" + U+0307) and the context-dependent final sigma.
void lowercase(const std::vector<char32_t>& word, std::vector<char32_t>& out) {
  out.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    char32_t c = word[i];
    if (c < 128) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x130) {
      out.push_back('i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {
      out.push_back(is_final_sigma(word, i) ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
  }
}

int combining_class(char32_t c) {
  if (c < 0x300) return 0;  // no combining marks below U+0300
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// NFD (canonical decomposition, then canonical ordering of combining marks), then
// removal of the nonspacing marks (category Mn).
void strip_accents(const std::vector<char32_t>& word, std::vector<char32_t>& out) {
  out.clear();
  for (char32_t c : word) {
    if (c < 0xC0) {  // canonical decompositions start at U+00C0
      out.push_back(c);
      continue;
    }
    utf8proc_int32_t buffer[16];
    int boundclass = 0;
    auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 16, UTF8PROC_DECOMPOSE, &boundclass);
    if (n < 0 || n > 16) {  // cannot happen for valid scalar values; keep the character
      out.push_back(c);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back(static_cast<char32_t>(buffer[k]));
  }
  // Canonical ordering: a stable sort by combining class within each run of marks.
  for (size_t i = 1; i < out.size(); ++i) {
    int cc = combining_class(out[i]);
    if (cc == 0) continue;
    for (size_t j = i; j > 0; --j) {
      int prev = combining_class(out[j - 1]);
      if (prev <= cc) break;
      std::swap(out[j - 1], out[j]);
    }
  }
  size_t kept = 0;
  for (char32_t c : out) {
    if (c >= 0x300 && category(c) == UTF8PROC_CATEGORY_MN) continue;
    out[kept++] = c;
  }
  out.resize(kept);
}

// Writes the word to `out`, every punctuation character as a token of its own.
void split_punctuation(const std::vector<char32_t>& word, TokenList& out) {
  for (char32_t c : word) {
    if (is_punctuation(c)) {
      out.close_token();
      utf8::append(out.open_bytes(), c);
      out.close_token();
    } else {
      utf8::append(out.open_bytes(), c);
    }
  }
  out.close_token();
}

}  // namespace

std::vector<std::string> TokenList::to_vector() const {
  std::vector<std::string> tokens;
  tokens.reserve(size());
  for (size_t i = 0; i < size(); ++i) tokens.emplace_back((*this)[i]);
  return tokens;
}

// Per-call buffers, reused across the words of one text.
struct BasicTokenizer::Scratch {
  std::vector<char32_t> word;
  std::vector<char32_t> lowered;
  std::vector<char32_t> stripped;
};

BasicTokenizer::BasicTokenizer(BasicTokenizerOptions options)
    : options_(std::move(options)), strip_accents_(options_.strip_accents.value_or(options_.do_lower_case)) {
  for (const auto& token : options_.never_split)
    if (!token.empty()) never_split_first_byte_[static_cast<unsigned char>(token[0])] = true;
}

size_t BasicTokenizer::match_never_split(std::string_view text, size_t pos) const {
  size_t best = 0;
  std::string_view rest = text.substr(pos);
  for (const auto& token : options_.never_split)
    if (token.size() > best && rest.starts_with(token)) best = token.size();
  return best;
}

void BasicTokenizer::tokenize(std::string_view text, TokenList& out) const {
  Scratch scratch;
  size_t segment_begin = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t len = never_split_first_byte_[static_cast<unsigned char>(text[pos])] ? match_never_split(text, pos) : 0;
    if (len == 0) {
      ++pos;
      continue;
    }
    tokenize_segment(text.substr(segment_begin, pos - segment_begin), scratch, out);
    out.push_back(text.substr(pos, len), /*special=*/true);
    pos += len;
    segment_begin = pos;
  }
  tokenize_segment(text.substr(segment_begin), scratch, out);
}

std::vector<std::string> BasicTokenizer::tokenize(std::string_view text) const {
  TokenList tokens;
  tokenize(text, tokens);
  return tokens.to_vector();
}

void BasicTokenizer::tokenize_segment(std::string_view segment, Scratch& scratch, TokenList& out) const {
  scratch.word.clear();
  for (size_t pos = 0; pos < segment.size();) {
    char32_t c = utf8::decode(segment, pos);
    if (c == utf8::kInvalid) continue;
    switch (classify(c, options_.drop_all_other_categories, options_.tokenize_chinese_chars)) {
      case CharClass::kDrop: break;
      case CharClass::kSpace: emit_word(scratch, out); break;
      case CharClass::kIdeograph:
        emit_word(scratch, out);
        scratch.word.push_back(c);
        emit_word(scratch, out);
        break;
      case CharClass::kWord: scratch.word.push_back(c); break;
    }
  }
  emit_word(scratch, out);
}

void BasicTokenizer::emit_word(Scratch& scratch, TokenList& out) const {
  auto& word = scratch.word;
  if (word.empty()) return;
  bool ascii = true;
  for (char32_t c : word) ascii = ascii && c < 128;
  if (ascii) {  // the common case: lowercasing is a table-free shift, NFD is the identity
    std::string& bytes = out.open_bytes();
    const size_t base = bytes.size();
    bytes.resize(base + word.size());
    char* p = bytes.data() + base;
    for (size_t i = 0; i < word.size(); ++i) {
      char32_t c = word[i];
      if (options_.do_lower_case && c >= 'A' && c <= 'Z') c += 32;
      p[i] = static_cast<char>(c);
      if (is_ascii_punctuation(c)) {
        out.close_token_at(base + i);
        out.close_token_at(base + i + 1);
      }
    }
    out.close_token();
    word.clear();
    return;
  }
  const std::vector<char32_t>* current = &word;
  if (options_.do_lower_case) {
    lowercase(*current, scratch.lowered);
    current = &scratch.lowered;
  }
  if (strip_accents_) {
    strip_accents(*current, scratch.stripped);
    current = &scratch.stripped;
  }
  split_punctuation(*current, out);
  word.clear();
}

}  // namespace denser
