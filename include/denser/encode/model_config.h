#pragma once
// The architecture of a transformer encoder as Hugging Face's BertConfig / RobertaConfig
// describe it in config.json, plus denser's own settings (pooling, ANCE head, towers)
// under a "denser" key that Hugging Face ignores. No libtorch here.
#include <cstdint>
#include <string>
#include <string_view>

namespace denser {

struct ModelConfig {
  // --- Hugging Face fields (names as in config.json) ---
  std::string model_type = "bert";  // "bert" or "roberta"
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // exact (erf) GELU; the only activation supported
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  // --- denser's own (config.json "denser": {...}) ---
  /// "cls" (first token), "mean" (over real tokens) or "max" (per dimension, over real
  /// tokens), as sentence-transformers' Pooling module computes them.
  std::string pooling = "cls";
  /// Divide each output vector by its L2 norm (sentence-transformers' Normalize module):
  /// dot products are then cosines.
  bool normalize = false;
  /// The model's own limit on subword tokens per text, special tokens included
  /// (sentence-transformers' max_seq_length); 0 = none beyond the position table.
  int64_t max_seq_length = 0;
  /// The directory is (and is saved as) a sentence-transformers model: modules.json,
  /// 1_Pooling/config.json, sentence_bert_config.json beside the Hugging Face files.
  bool sentence_transformers = false;
  /// ANCE's head after pooling: Linear(hidden, output_dim) then LayerNorm(output_dim),
  /// parameters "embeddingHead.*" and "norm.*" as in ANCE's RobertaDot_NLL_LN.
  bool ance_head = false;
  int64_t output_dim = 0;  // with ance_head; 0 means hidden_size
  /// true: queries and documents share one tower. false: a second tower for queries,
  /// stored in the same model.safetensors under the prefix "query_tower.".
  bool shared_towers = true;

  /// Dimension of the vectors the encoder outputs.
  int64_t dim() const { return ance_head && output_dim > 0 ? output_dim : hidden_size; }
  bool is_roberta() const { return model_type == "roberta"; }
  /// How vectors of this model are compared: "cosine" (normalized, so the dot product is
  /// the cosine) or "dot".
  const char* similarity() const { return normalize ? "cosine" : "dot"; }
  /// Throws denser::Error naming `where` and the offending field.
  void validate(const std::string& where) const;

  /// Hugging Face-style config.json text (with "architectures" and the "denser" key).
  std::string to_json() const;
  /// Parses config.json text; `where` (a path) goes into error messages. Unknown keys are
  /// ignored, as Hugging Face does; missing ones take BertConfig's defaults.
  static ModelConfig from_json(std::string_view text, const std::string& where);
  static ModelConfig load(const std::string& path);
  /// Writes to_json() atomically.
  void save(const std::string& path) const;

  /// Reads a model directory's configuration: config.json, and when modules.json is there
  /// the sentence-transformers files (pooling, normalization, max_seq_length), which take
  /// precedence over config.json's "denser" key. `*weights_dir` (if given) receives the
  /// directory holding config.json and the weights: `dir` itself, or the Transformer
  /// module's folder (older sentence-transformers models use "0_Transformer"). Throws
  /// denser::Error naming the file and field of anything unknown or unsupported.
  static ModelConfig load_dir(const std::string& dir, std::string* weights_dir = nullptr);
  /// Writes config.json and, for a sentence-transformers model, its module files, each
  /// atomically.
  void save_dir(const std::string& dir) const;

  /// "tiny" (2 layers, hidden 128, 2 heads, intermediate 512), "small" (4, 256, 4, 1024)
  /// or "base" (12, 768, 12, 3072), for model_type "bert" or "roberta" (RoBERTa: type
  /// vocabulary 1, pad id 1, positions offset by pad + 1, eps 1e-5).
  static ModelConfig preset(std::string_view name, std::string_view model_type = "bert", int64_t vocab_size = 30522);
};

}  // namespace denser
