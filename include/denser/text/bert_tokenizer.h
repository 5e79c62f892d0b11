#pragma once
// BERT's basic tokenizer: the step before WordPiece. It cleans the text, puts CJK
// ideographs in words of their own, splits on whitespace, lowercases and strips accents,
// and splits punctuation off, exactly as google-research/bert tokenization.py and Hugging
// Face's BertTokenizer do (see docs/text/bert_tokenization.md for the rules and the few
// places where the two disagree).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace denser {

/// The special tokens of BERT vocabularies, in the order WordPieceTrainer puts them first.
inline const std::vector<std::string>& bert_special_tokens() {
  static const std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  return tokens;
}

struct BasicTokenizerOptions {
  /// Lowercase every word (Python's str.lower(), final sigma included).
  bool do_lower_case = true;
  /// Strip accents (NFD, then drop category Mn). Unset: do it exactly when lowercasing,
  /// as the original BERT and Hugging Face's strip_accents=None do.
  std::optional<bool> strip_accents;
  /// Put spaces around CJK ideographs (the code point ranges of the original BERT).
  bool tokenize_chinese_chars = true;
  /// Tokens kept whole wherever they occur in the text (exact, case-sensitive match; at a
  /// position where several match, the longest wins), as Hugging Face's BertTokenizer
  /// does with its special tokens. They are neither lowercased nor split.
  std::vector<std::string> never_split = bert_special_tokens();
  /// Which characters the cleanup drops. false: categories Cc and Cf (the original BERT).
  /// true: every category C* (Cc, Cf, Co, Cn, Cs), as Hugging Face's slow and fast
  /// tokenizers do; the two differ only on private-use and unassigned code points.
  bool drop_all_other_categories = false;
};

/// A sequence of tokens stored as one byte buffer and end offsets, so that producing a
/// token allocates nothing once the buffers have grown. Each token also carries whether
/// it was a never-split (special) token of the input. Not thread-safe; cheap to reuse
/// across texts with clear().
class TokenList {
 public:
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  /// The i-th token (valid until the list is next modified).
  std::string_view operator[](size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(begin, ends_[i] - begin);
  }
  /// Whether the i-th token came from BasicTokenizerOptions::never_split.
  bool is_special(size_t i) const { return special_[i] != 0; }
  void clear() {
    bytes_.clear();
    ends_.clear();
    special_.clear();
  }
  void push_back(std::string_view token, bool special = false) {
    bytes_.append(token);
    close_token(special);
  }
  std::vector<std::string> to_vector() const;

  /// Building a token in place: append its bytes to open_bytes(), then close_token().
  std::string& open_bytes() { return bytes_; }
  /// Ends the token whose bytes were appended since the previous token ended; does
  /// nothing when no byte was appended (no empty tokens).
  void close_token(bool special = false) { close_token_at(bytes_.size(), special); }
  /// Ends a token at byte offset `end` of open_bytes() (at most its size); does nothing
  /// when `end` is not past the previous token's end.
  void close_token_at(size_t end, bool special = false) {
    size_t begin = ends_.empty() ? 0 : ends_.back();
    if (end <= begin) return;
    ends_.push_back(end);
    special_.push_back(special ? 1 : 0);
  }

 private:
  std::string bytes_;
  std::vector<size_t> ends_;
  std::vector<uint8_t> special_;
};

/// Immutable after construction: tokenize() is const and thread-safe.
/// Cost: linear in the text; ASCII words skip the Unicode tables entirely.
class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicTokenizerOptions options = {});

  /// Appends the tokens of `text` (UTF-8) to `out`, in text order. Bytes that are not
  /// well-formed UTF-8 are dropped, as the original BERT drops U+FFFD (and as Python's
  /// decode(errors="ignore") that it applies to bytes does).
  void tokenize(std::string_view text, TokenList& out) const;
  std::vector<std::string> tokenize(std::string_view text) const;

  const BasicTokenizerOptions& options() const { return options_; }

 private:
  struct Scratch;
  void tokenize_segment(std::string_view segment, Scratch& scratch, TokenList& out) const;
  void emit_word(Scratch& scratch, TokenList& out) const;
  /// Length of the longest never-split token that starts at text[pos], 0 when none does.
  size_t match_never_split(std::string_view text, size_t pos) const;

  BasicTokenizerOptions options_;
  bool strip_accents_;
  bool never_split_first_byte_[256] = {};
};

}  // namespace denser
