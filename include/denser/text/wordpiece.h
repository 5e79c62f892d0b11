#pragma once
// WordPiece: BERT's subword tokenizer, and the encodings the transformer encoder takes
// ([CLS] text [SEP], query/document pairs with token types, padded batches). Output is
// identical to Hugging Face's BertTokenizer on the same vocab.txt (see
// docs/text/bert_tokenization.md); the vocabulary file is described in
// docs/formats/vocab_txt.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "denser/text/bert_tokenizer.h"
#include "denser/text/tokenizer.h"

namespace denser {

namespace text_internal {
class StringMap;
struct SpecialLayout;
}  // namespace text_internal

/// Reads a vocab.txt: one token per line, id = 0-based line index. Throws denser::Error
/// naming path:line for an empty file, an empty line or a token seen before.
std::vector<std::string> load_vocab_txt(const std::string& path);
/// Writes tokens one per line in id order, atomically (temporary file, fsync, rename).
/// Throws denser::Error for a token that is empty or contains a line break.
void save_vocab_txt(const std::string& path, const std::vector<std::string>& tokens);

struct WordPieceOptions {
  /// The basic tokenizer that runs first; its never_split tokens map straight to their ids.
  BasicTokenizerOptions basic;
  std::string unk_token = "[UNK]";  // must be in the vocabulary
  std::string cls_token = "[CLS]";  // these three are needed by encode_single/pair/batch
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  /// Marks a piece that continues a word.
  std::string continuation_prefix = "##";
  /// Longer words (in code points) become [UNK] without being split.
  size_t max_input_chars_per_word = 100;
};

/// A WordPiece vocabulary and tokenizer (the SubwordTokenizer of the BERT family; the
/// batch methods come from there). Immutable after construction: every method is
/// const and thread-safe. Lookups go through an arena-backed hash map; tokenizing a word
/// of n code points costs O(n * L) lookups at worst, L = longest token.
class WordPiece final : public SubwordTokenizer {
 public:
  /// Loads vocab.txt (see load_vocab_txt) and builds the tokenizer.
  static WordPiece load(const std::string& vocab_path, WordPieceOptions options = {});
  /// tokens: the vocabulary in id order. Throws denser::Error when it is empty, has an
  /// empty or duplicate token, or lacks options.unk_token.
  explicit WordPiece(std::vector<std::string> tokens, WordPieceOptions options = {});
  ~WordPiece() override;
  WordPiece(WordPiece&&) noexcept;
  WordPiece& operator=(WordPiece&&) noexcept;

  std::string kind() const override { return "wordpiece"; }
  size_t vocab_size() const override { return tokens_.size(); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  /// Id of an exact token, or -1 when it is not in the vocabulary.
  int32_t token_to_id(std::string_view token) const override;
  /// Throws denser::Error when id is out of range.
  const std::string& id_to_token(int32_t id) const override;
  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }  // -1 when absent
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const override { return pad_id_; }
  int32_t mask_id() const { return mask_id_; }
  const WordPieceOptions& options() const { return options_; }
  const BasicTokenizer& basic_tokenizer() const { return basic_; }

  /// Appends the WordPiece ids of `text` (no [CLS]/[SEP]) to ids.
  void encode(std::string_view text, std::vector<int32_t>& ids) const override;
  std::vector<int32_t> encode(std::string_view text) const;
  /// The pieces of `text` as strings ("un", "##aff", ...), i.e. the tokens of encode().
  std::vector<std::string> tokenize(std::string_view text) const;
  /// The pieces of one basic-tokenizer word, appended to ids (unk for no segmentation).
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  /// [CLS] text [SEP], the text cut to max_length - 2 pieces (max_length 0: no limit;
  /// otherwise it must be at least 2). Stops tokenizing once enough pieces are found.
  Encoding encode_single(std::string_view text, size_t max_length = 512) const override;
  /// [CLS] first [SEP] second [SEP] with type ids 0...0 1...1, cut to max_length with
  /// truncate_longest_first (max_length 0: no limit; otherwise at least 3).
  Encoding encode_pair(std::string_view first, std::string_view second, size_t max_length = 512) const override;
  /// The tokens of ids. Throws denser::Error on an id out of range.
  std::vector<std::string> decode_tokens(std::span<const int32_t> ids) const;
  /// Tokens joined by spaces with continuation pieces glued back on, as Hugging Face's
  /// convert_tokens_to_string; skip_special_tokens drops [CLS], [SEP], [PAD], [MASK] and
  /// [UNK] first. Lowercasing and stripped accents are not undone.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = true) const override;
  /// Writes vocab.txt and a tokenizer_config.json with the basic tokenizer's options.
  void save(const std::string& dir) const override;
  uint32_t fingerprint() const override;

 private:
  /// Appends the ids of at most max_ids first pieces of text.
  void encode_prefix(std::string_view text, size_t max_ids, std::vector<int32_t>& ids) const;
  /// Appends the ids of tokens while ids.size() < size_limit.
  void append_token_ids(const TokenList& tokens, size_t size_limit, std::vector<int32_t>& ids) const;
  int32_t required_id(int32_t id, const std::string& name) const;
  /// [CLS] A [SEP] B [SEP]; throws when [CLS] or [SEP] is missing.
  text_internal::SpecialLayout layout() const;

  WordPieceOptions options_;
  BasicTokenizer basic_;
  std::vector<std::string> tokens_;
  std::unique_ptr<text_internal::StringMap> whole_;         // token -> id
  std::unique_ptr<text_internal::StringMap> continuation_;  // token minus prefix -> id
  size_t max_whole_bytes_ = 0;
  size_t max_continuation_bytes_ = 0;
  bool chunking_safe_ = true;  // no never-split token contains whitespace
  int32_t unk_id_ = -1, cls_id_ = -1, sep_id_ = -1, pad_id_ = -1, mask_id_ = -1;
};

}  // namespace denser
