#pragma once
// The dual encoder interface: texts in, one vector per text out; relevance is the dot
// product of a query vector and a document vector. Queries and documents may go through
// the same tower or through two towers. Implementations: the transformer family (BERT /
// RoBERTa architecture on libtorch) and the n-gram family (hashed word unigrams and
// bigrams, mean pooled). No libtorch types in this header.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace denser {

struct EncodeOptions {
  int batch_size = 32;         // texts per forward pass
  int num_threads = 0;         // intra-op threads; 0 = all cores
  std::string device = "cpu";  // "cpu" or "cuda" (when built against a CUDA libtorch)
  /// Subword tokens per query / document, special tokens included. 0 = the model's own
  /// limit: a sentence-transformers model's max_seq_length, else 64 and 512.
  int query_max_length = 0;
  int document_max_length = 0;
  /// Inference precision of the transformer's matrix products on the CPU: "fp32", or
  /// "bf16" (bfloat16 inputs and weights, float32 accumulation; fast where the CPU has
  /// AVX512-BF16 or AMX). Training always runs float32. The n-gram family ignores it.
  std::string precision = "fp32";
};

/// Thread safety: encode_* may be called from one thread at a time per Encoder.
class Encoder {
 public:
  virtual ~Encoder() = default;
  /// Output dimension.
  virtual int dim() const = 0;
  /// texts: n texts -> out: (n, dim) row-major float32; out.size() must be n * dim.
  virtual void encode_queries(std::span<const std::string_view> texts, std::span<float> out) = 0;
  virtual void encode_documents(std::span<const std::string_view> texts, std::span<float> out) = 0;
  /// A stable hash of the architecture, weights and tokenizer: indexes remember it, and
  /// searching an index with a different model is an error.
  virtual std::string fingerprint() const = 0;
  /// Writes a Hugging Face-compatible model directory (config.json, model.safetensors,
  /// tokenizer files) atomically per file.
  virtual void save(const std::string& dir) const = 0;
  /// "transformer" or "ngram".
  virtual std::string family() const = 0;
  /// "cosine" when every output vector has unit length (the dot product is the cosine),
  /// else "dot".
  virtual std::string similarity() const { return "dot"; }
  /// A deep copy (weights, tokenizer, options) that shares nothing mutable with this one,
  /// so that it can encode on another thread while this one trains. O(parameters).
  virtual std::unique_ptr<Encoder> clone() const = 0;
  /// Changes the inference precision (EncodeOptions::precision: "fp32" or "bf16") of later
  /// encode_* calls; training is unaffected. The n-gram family has no reduced-precision
  /// path and ignores it. Throws denser::Error on an unknown name.
  virtual void set_precision(const std::string& precision) { (void)precision; }
};

/// Loads a model directory written by save(), by Hugging Face (BERT-family with vocab.txt,
/// RoBERTa-family with vocab.json + merges.txt) or by sentence-transformers (modules.json:
/// its pooling, normalization and max_seq_length are honoured). `name_or_dir` may also
/// name an installed packaged model (model_store.h). Throws denser::Error naming the file
/// and what is wrong.
std::unique_ptr<Encoder> load_encoder(const std::string& name_or_dir, const EncodeOptions& options = {});

}  // namespace denser
