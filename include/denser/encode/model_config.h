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
  std::string pooling = "cls";  // "cls" (first token) or "mean" (over real tokens)
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

  /// "tiny" (2 layers, hidden 128, 2 heads, intermediate 512), "small" (4, 256, 4, 1024)
  /// or "base" (12, 768, 12, 3072), for model_type "bert" or "roberta" (RoBERTa: type
  /// vocabulary 1, pad id 1, positions offset by pad + 1, eps 1e-5).
  static ModelConfig preset(std::string_view name, std::string_view model_type = "bert",
                            int64_t vocab_size = 30522);
};

}  // namespace denser
