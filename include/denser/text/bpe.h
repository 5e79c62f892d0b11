#pragma once
// Byte-level BPE: the tokenizer of GPT-2 and the RoBERTa family (ANCE's published
// checkpoints). Output is identical to Hugging Face's RobertaTokenizer on the same
// vocab.json and merges.txt; docs/text/bpe.md gives the rules.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "denser/text/tokenizer.h"

namespace denser {

namespace text_internal {
class StringMap;
class PairRanks;
struct SpecialLayout;
}  // namespace text_internal

/// GPT-2's reversible byte -> printable character map (bytes_to_unicode): the printable
/// Latin-1 bytes map to themselves, the other 68 to U+0100 onwards in byte order.
/// Returns the UTF-8 encoding of the character of each byte (256 entries).
const std::vector<std::string>& byte_level_alphabet();

/// Splits text into the words of GPT-2's pattern
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// with \s = Unicode White_Space, \p{L}/\p{N} = general categories L and N. A byte that
/// is not valid UTF-8 counts as a character of the third class. The words are views into
/// text and cover it exactly, in order.
std::vector<std::string_view> byte_level_pretokenize(std::string_view text);

/// A merge rule "left right" of merges.txt; its rank is its position.
using BpeMerge = std::pair<std::string, std::string>;

/// Reads vocab.json: a JSON object token -> id whose ids are exactly 0..n-1. Returns the
/// tokens in id order. Throws denser::Error naming the file for bad JSON or ids.
std::vector<std::string> load_vocab_json(const std::string& path);
/// Reads merges.txt: an optional first line "#version...", then one "left right" per
/// line (blank lines ignored). Throws denser::Error naming path:line for a malformed or
/// repeated rule.
std::vector<BpeMerge> load_merges_txt(const std::string& path);

struct BpeOptions {
  /// Put a space before a text that does not start with whitespace, so that its first
  /// word is tokenized like the others ("Ġword"). RobertaTokenizer's default is false.
  bool add_prefix_space = false;
  std::string bos_token = "<s>";  // these are looked up in the vocabulary by string
  std::string eos_token = "</s>";
  std::string unk_token = "<unk>";  // required: ids of pieces missing from the vocabulary
  std::string pad_token = "<pad>";
  std::string mask_token = "<mask>";  // swallows the whitespace before it, as in RoBERTa
  /// Special tokens written in the text map straight to their ids (Hugging Face's
  /// behaviour); false tokenizes them as ordinary text.
  bool split_special_tokens = true;
};

/// A byte-level BPE vocabulary and tokenizer. Immutable after construction: every method
/// is const and thread-safe. Encoding a word of n bytes costs O(n * m) pair lookups, m
/// the number of distinct merges that apply to it (m < n); each thread caches the pieces
/// of the short words it has seen (per instance, bounded).
class ByteLevelBpe final : public SubwordTokenizer {
 public:
  /// Loads vocab.json and merges.txt (see load_vocab_json and load_merges_txt).
  static ByteLevelBpe load(const std::string& vocab_json, const std::string& merges_txt, BpeOptions options = {});
  /// tokens: the vocabulary in id order; merges: the rules by rank. Throws denser::Error
  /// for an empty or duplicate token, a repeated merge, or a missing unk_token.
  ByteLevelBpe(std::vector<std::string> tokens, std::vector<BpeMerge> merges, BpeOptions options = {});
  ~ByteLevelBpe() override;
  ByteLevelBpe(ByteLevelBpe&&) noexcept;
  ByteLevelBpe& operator=(ByteLevelBpe&&) noexcept;

  std::string kind() const override { return "bpe"; }
  size_t vocab_size() const override { return tokens_.size(); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::vector<BpeMerge>& merges() const { return merges_; }
  const BpeOptions& options() const { return options_; }
  int32_t token_to_id(std::string_view token) const override;
  const std::string& id_to_token(int32_t id) const override;
  int32_t pad_id() const override { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t bos_id() const { return bos_id_; }  // -1 when absent
  int32_t eos_id() const { return eos_id_; }
  int32_t mask_id() const { return mask_id_; }

  using SubwordTokenizer::encode;
  /// Appends the ids of text (no <s> / </s>) to ids.
  void encode(std::string_view text, std::vector<int32_t>& ids) const override;
  /// The pieces of text as vocabulary strings ("Ġhello", ...), i.e. the tokens of encode().
  std::vector<std::string> tokenize(std::string_view text) const;
  /// <s> text </s>, the text cut to max_length - 2 ids (0: no limit, else at least 2).
  Encoding encode_single(std::string_view text, size_t max_length = 512) const override;
  /// <s> first </s></s> second </s>, all type 0, cut with truncate_longest_first to
  /// max_length (0: no limit, else at least 4).
  Encoding encode_pair(std::string_view first, std::string_view second, size_t max_length = 512) const override;
  /// The pieces' bytes concatenated; invalid UTF-8 (a cut multi-byte character) becomes
  /// U+FFFD as Hugging Face's errors="replace". skip_special_tokens drops the five
  /// special tokens.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = true) const override;
  /// Writes vocab.json, merges.txt (with a "#version: 0.2" line) and tokenizer_config.json.
  void save(const std::string& dir) const override;
  uint32_t fingerprint() const override;

 private:
  struct Cache;
  /// Appends the ids of at most max_ids first pieces of text.
  void encode_prefix(std::string_view text, size_t max_ids, std::vector<int32_t>& ids) const;
  /// Appends the ids of one pre-tokenized word, through the cache.
  void encode_word(std::string_view word, Cache& cache, std::vector<int32_t>& ids) const;
  /// Appends the ids of the words of a text without special tokens while ids.size() < limit.
  void encode_plain(std::string_view text, size_t limit, Cache& cache, std::vector<int32_t>& ids) const;
  /// Runs the merges over the byte symbols of word; appends the pieces' ids.
  void merge_word(std::string_view word, std::vector<int32_t>& ids) const;
  int32_t required_id(int32_t id, const std::string& name) const;
  /// <s> A </s></s> B </s>; throws when <s> or </s> is missing.
  text_internal::SpecialLayout layout() const;

  BpeOptions options_;
  std::vector<std::string> tokens_;
  std::vector<BpeMerge> merges_;
  std::unique_ptr<text_internal::StringMap> vocab_;  // token -> id
  std::unique_ptr<text_internal::PairRanks> ranks_;  // symbol pairs -> rank and result
  uint64_t instance_id_ = 0;                         // tells the per-thread word caches of instances apart
  int32_t unk_id_ = -1, bos_id_ = -1, eos_id_ = -1, pad_id_ = -1, mask_id_ = -1;
};

}  // namespace denser
