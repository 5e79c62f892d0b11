#pragma once
// The n-gram encoder family (Sent2Vec-style): a text's words and adjacent word pairs are
// hashed into the rows of one embedding table and the rows are averaged, optionally
// followed by a linear projection. Cheap enough on a CPU to encode a corpus in seconds.
// Torch-free: the network lives behind the Encoder interface.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "denser/encode/encoder.h"

namespace denser {

/// The architecture, stored in config.json (docs/formats/model-dir.md, "N-gram models").
struct NgramConfig {
  int64_t num_buckets = int64_t{1} << 18;  // rows of the embedding table
  int64_t embedding_dim = 128;             // columns of the embedding table
  int64_t output_dim = 0;                  // > 0: Linear(embedding_dim, output_dim), no bias
  bool bigrams = true;                     // also hash adjacent word pairs
  bool shared_towers = true;               // false: queries use their own table (and projection)
  bool stem = true;                        // words are Porter-stemmed (Bm25Analyzer option)
  bool remove_stopwords = true;            // Lucene's English stopwords are dropped first
  double initializer_range = 0.1;          // init: weights ~ N(0, initializer_range)

  /// The vector dimension: output_dim when there is a projection, else embedding_dim.
  int64_t dim() const { return output_dim > 0 ? output_dim : embedding_dim; }
  /// Throws denser::Error prefixed with `where` for non-positive sizes or a negative
  /// output_dim or initializer_range.
  void validate(const std::string& where) const;
  /// config.json text: {"model_type": "denser-ngram", "hash": "fnv1a64", ...}, keys sorted.
  std::string to_json() const;
  /// Parses config.json text; `where` (the file name) prefixes errors. Throws for a wrong
  /// model_type or hash, a field of the wrong JSON type, or invalid values.
  static NgramConfig from_json(std::string_view json, const std::string& where);
};

/// 64-bit FNV-1a of the bytes: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
/// Stable across platforms and runs (unlike std::hash).
uint64_t fnv1a64(std::string_view bytes);

/// The table rows of one text, in order: every word's bucket, then (config.bigrams) every
/// adjacent pair's bucket. Words are Bm25Analyzer terms (Lucene StandardTokenizer,
/// lowercased, with config.stem / config.remove_stopwords); a word hashes its UTF-8 bytes, a
/// pair hashes "first second" (one space between); bucket = hash % num_buckets. A text
/// without words gives no rows (and encodes to the zero vector). O(text bytes).
std::vector<int64_t> ngram_buckets(std::string_view text, const NgramConfig& config);

/// A new encoder whose weights are drawn from N(0, config.initializer_range) with `seed`
/// (the same seed gives the same weights). Throws denser::Error for an invalid config.
/// options.*_max_length are ignored: the n-gram family reads every word of a text.
std::unique_ptr<Encoder> create_ngram_encoder(const NgramConfig& config, const EncodeOptions& options = {},
                                              uint64_t seed = 0);

/// Loads a directory written by save(): config.json (model_type "denser-ngram") and
/// model.safetensors (F32/F16/BF16). Throws denser::Error naming the file and every
/// missing, unexpected or wrong-shaped tensor.
std::unique_ptr<Encoder> load_ngram_encoder(const std::string& dir, const EncodeOptions& options = {});

}  // namespace denser
