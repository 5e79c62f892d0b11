#pragma once
// The subword tokenizer interface the transformer encoder takes: WordPiece (BERT family,
// vocab.txt) and byte-level BPE (RoBERTa / GPT-2 family, vocab.json + merges.txt) both
// implement it, and load_tokenizer() picks one from a Hugging Face model directory.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace denser {

/// One encoded sequence as the encoder consumes it; the three vectors have equal length.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;        // BERT: 0 for [CLS] first [SEP], 1 after; RoBERTa: all 0
  std::vector<int32_t> attention_mask;  // 1 for every real token
  size_t size() const { return ids.size(); }
};

/// Encodings padded to the longest one of the batch. ids, type_ids and attention_mask
/// are (batch_size, seq_len) row-major; padding is pad_id with type 0 and mask 0.
struct BatchEncoding {
  size_t batch_size = 0;
  size_t seq_len = 0;
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<int32_t> attention_mask;
  std::vector<int32_t> lengths;  // (batch_size): real tokens in each row
};

/// Final lengths of a pair of sequences of la and lb tokens cut to at most `budget`
/// tokens together by Hugging Face's "longest_first" rule: tokens come off the longer
/// one; once equal, the second loses the odd token. The result depends on la and lb only
/// through min(la, budget) and min(lb, budget).
std::pair<size_t, size_t> truncate_longest_first(size_t la, size_t lb, size_t budget);

/// Pads rows to the longest one with pad_id (type 0, mask 0). pad_id may be negative
/// (no padding token) only when every row has the same length; otherwise throws
/// denser::Error naming `who`.
BatchEncoding pad_encodings(const std::vector<Encoding>& rows, int32_t pad_id, std::string_view who);

/// A subword tokenizer: text -> ids with the special tokens of its model family.
/// Implementations are immutable after construction: every method is const and
/// thread-safe.
class SubwordTokenizer {
 public:
  virtual ~SubwordTokenizer() = default;

  /// "wordpiece" or "bpe".
  virtual std::string kind() const = 0;
  /// Number of ids (the size of the model's embedding table for these tokens).
  virtual size_t vocab_size() const = 0;
  /// Id used for padding, or -1 when the vocabulary has none.
  virtual int32_t pad_id() const = 0;
  /// Id of an exact token, or -1 when it is not in the vocabulary.
  virtual int32_t token_to_id(std::string_view token) const = 0;
  /// Throws denser::Error when id is out of range.
  virtual const std::string& id_to_token(int32_t id) const = 0;

  /// The ids of text without special tokens around it, appended to ids.
  virtual void encode(std::string_view text, std::vector<int32_t>& ids) const = 0;
  /// The model's single-sequence form (BERT: [CLS] text [SEP]; RoBERTa: <s> text </s>),
  /// the text cut so that the whole is at most max_length ids (0: no limit).
  virtual Encoding encode_single(std::string_view text, size_t max_length = 512) const = 0;
  /// The model's pair form (BERT: [CLS] a [SEP] b [SEP] with types 0/1; RoBERTa:
  /// <s> a </s></s> b </s>, types 0), cut with truncate_longest_first (0: no limit).
  virtual Encoding encode_pair(std::string_view first, std::string_view second, size_t max_length = 512) const = 0;
  /// Text of ids; skip_special_tokens drops the family's special tokens first.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = true) const = 0;
  /// Writes the tokenizer files into the existing directory `dir` (WordPiece: vocab.txt;
  /// BPE: vocab.json and merges.txt; both: tokenizer_config.json), each atomically.
  virtual void save(const std::string& dir) const = 0;
  /// CRC-32C of everything that decides the ids (vocabulary, merges, options): equal
  /// fingerprints give equal encodings. For model fingerprints.
  virtual uint32_t fingerprint() const = 0;

  std::vector<int32_t> encode(std::string_view text) const {
    std::vector<int32_t> ids;
    encode(text, ids);
    return ids;
  }
  /// encode_single of every text, padded (see pad_encodings). num_threads as
  /// parallel_for (0 = all cores); the result does not depend on it.
  BatchEncoding encode_batch(std::span<const std::string_view> texts, size_t max_length = 512,
                             int num_threads = 1) const;
  BatchEncoding encode_batch(std::span<const std::string> texts, size_t max_length = 512, int num_threads = 1) const;
  /// encode_pair of firsts[i], seconds[i], padded; the spans must have equal length.
  BatchEncoding encode_pair_batch(std::span<const std::string_view> firsts, std::span<const std::string_view> seconds,
                                  size_t max_length = 512, int num_threads = 1) const;
};

/// Loads the tokenizer of a Hugging Face model directory: vocab.json + merges.txt gives
/// byte-level BPE (RoBERTa), otherwise vocab.txt gives WordPiece (BERT). A
/// tokenizer_config.json, when present, supplies do_lower_case / strip_accents /
/// tokenize_chinese_chars (WordPiece) or add_prefix_space (BPE). Throws denser::Error
/// when the directory has neither set of files or a file is malformed.
std::unique_ptr<SubwordTokenizer> load_tokenizer(const std::string& model_dir);

}  // namespace denser
