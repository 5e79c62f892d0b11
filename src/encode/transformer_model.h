#pragma once
// The BERT / RoBERTa network on libtorch, for the transformer encoder and for training.
// Private header: it includes <torch/torch.h> (slow to compile), so only the few .cpp
// files that run or train the network include it.
//
// Parameter names are Hugging Face's: registered submodules are named exactly as in
// transformers' BertModel / RobertaModel ("bert.embeddings.word_embeddings.weight",
// "bert.encoder.layer.0.attention.self.query.weight", ...), and ANCE's head as in
// RobertaDot_NLL_LN ("embeddingHead.weight", "norm.weight"), so named_parameters() is
// the safetensors state dict. Dropout follows the module's train()/eval() mode.
#include <torch/torch.h>

#include <array>
#include <initializer_list>
#include <vector>
#include <cstdint>
#include <string>

#include "denser/encode/model_config.h"
#include "fused_layers.h"
#include "onednn_route.h"

namespace denser {
class SafeTensorsFile;
}

namespace denser::encode_internal {

/// Word + position + token type embeddings, then LayerNorm and dropout.
class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const ModelConfig& config);
  /// ids, type_ids: (batch, seq) int64 -> (batch, seq, hidden).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& type_ids);
  /// The tables as the fused route reads them (pointers into the parameters).
  FusedEmbeddings fused_weights() const;
  /// Whether the parameters are float32 (the fused route reads nothing else).
  bool is_float32() const { return word_embeddings_->weight.scalar_type() == torch::kFloat32; }

 private:
  ModelConfig config_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm layer_norm_{nullptr};
};
TORCH_MODULE(BertEmbeddings);

/// How InferenceWeights keeps a weight (out, in): as is; as small_rows_gemm's float32
/// panels (out / 32, in, 32); or as small_rows_gemm_bf16's pair panels (out / 32, in / 2,
/// 32, 2). Panels need out to be a multiple of 32, pair panels also an even `in`.
enum class WeightLayout { kRows, kPanels, kPairPanels };

/// Inference copies of one or more Linear layers' weights and biases, concatenated along
/// the output dimension (the query, key and value projections become one product) and
/// converted to `dtype`; remade when any float32 original changes (an optimizer step
/// bumps a tensor's version, a reassignment its storage). Not thread-safe (one forward
/// pass at a time per network).
struct InferenceWeights {
  torch::Tensor weight, bias;  // (sum of out_features, in_features), (sum of out_features)
  /// first_scale multiplies the first layer's weight and bias (attention's 1/sqrt(d) on
  /// the query projection). The bias stays float32 for the panel layouts.
  const InferenceWeights& of(std::initializer_list<const torch::nn::Linear*> layers, torch::ScalarType dtype,
                             double first_scale = 1.0, WeightLayout layout = WeightLayout::kRows);
  /// The weight and bias as the fused route reads them (panel layouts only).
  FusedLinear fused() const;

 private:
  std::vector<int64_t> versions_;     // weight and bias _version() of each layer
  std::vector<const void*> sources_;  // weight and bias data_ptr() of each layer
  torch::ScalarType dtype_ = torch::kFloat32;
  double first_scale_ = 1.0;
  WeightLayout layout_ = WeightLayout::kRows;
};

/// One post-LayerNorm encoder layer: self-attention, add & norm, GELU feed-forward, add & norm.
class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const ModelConfig& config);
  /// The precision of the dense layers' matrix products on the oneDNN inference route
  /// (training and other devices always run float32).
  void set_precision(Precision precision) { precision_ = precision; }
  /// x: (batch, seq, hidden); additive_mask: (batch, 1, 1, seq) float, 0 for real tokens
  /// and the dtype's lowest value for padding. Returns (batch, seq, hidden).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask);
  /// The inference route (CPU, no grad) on packed tokens: x: (n, hidden), the real tokens
  /// of a (batch, seq) batch, which are rows `rows` (n int64) of the flattened batch, or
  /// every row when `rows` is undefined. Only attention sees the padded layout; the dense
  /// layers, GELU and LayerNorm do no work on padding. Returns (n, hidden).
  torch::Tensor forward_packed(const torch::Tensor& x, const torch::Tensor& rows, int64_t batch, int64_t seq,
                               const torch::Tensor& additive_mask);
  /// This layer's weights for the fused route, at this layer's precision (packed on
  /// first use, remade when a parameter changes).
  FusedLayer fused_weights();

 private:
  ModelConfig config_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attention_dense_{nullptr};
  torch::nn::LayerNorm attention_norm_{nullptr};
  torch::nn::Linear intermediate_dense_{nullptr}, output_dense_{nullptr};
  torch::nn::LayerNorm output_norm_{nullptr};
  Precision precision_ = Precision::kFp32;
  // y = x W^T + b on the inference route for `layers` (one, or several fused along the
  // output dimension), cached in slot `slot`: bf16 copies, fp32 fused copies or panels
  // for a few rows (small_rows_gemm), or the modules' own tensors.
  torch::Tensor product(size_t slot, std::initializer_list<const torch::nn::Linear*> layers, double first_scale,
                        const torch::Tensor& x, bool keep_bf16);

  // Inference weights: the fused query/key/value projection, then attention out,
  // intermediate and output; the second four are the fp32 panels for few rows, the third
  // four the bf16 pair panels.
  std::array<InferenceWeights, 12> inference_weights_;
};
TORCH_MODULE(BertLayer);

/// Embeddings and the encoder stack: Hugging Face's BertModel / RobertaModel without pooler.
class BertBackboneImpl : public torch::nn::Module {
 public:
  explicit BertBackboneImpl(const ModelConfig& config);
  /// ids, type_ids, attention_mask: (batch, seq) int64 -> last hidden states (batch, seq, hidden).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& type_ids, const torch::Tensor& attention_mask);
  void set_precision(Precision precision);

 private:
  // Inference through fused_layers.h instead of libtorch's operators, for batches of at
  // most kFusedSmallTokens real tokens (one query), and in float32 on one thread of at most
  // kFusedMaxTokens; undefined when the batch does not qualify (more tokens, left padding,
  // no AVX-512, training, another device).
  torch::Tensor forward_fused(const torch::Tensor& ids, const torch::Tensor& type_ids,
                              const torch::Tensor& attention_mask);

  ModelConfig config_;
  Precision precision_ = Precision::kFp32;
  BertEmbeddings embeddings_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
};
TORCH_MODULE(BertBackbone);

/// A whole dual encoder: the backbone (registered as "bert" or "roberta"), pooling, the
/// optional ANCE head, and, when config.shared_towers is false, a second tower for queries
/// registered as "query_tower". Not thread-safe.
class TransformerNetImpl : public torch::nn::Module {
 public:
  /// with_query_tower: build the separate query tower when the config asks for one.
  explicit TransformerNetImpl(const ModelConfig& config, bool with_query_tower = true);
  /// ids, type_ids, attention_mask: (batch, seq) int64 on the module's device.
  /// Returns (batch, config.dim()) float32; it carries a grad_fn unless run under
  /// NoGradGuard / InferenceMode. query: use the query tower when there is one.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& type_ids, const torch::Tensor& attention_mask,
                        bool query = false);
  const ModelConfig& config() const { return config_; }
  /// Inference precision of every layer (see BertLayerImpl::set_precision).
  void set_precision(Precision precision);

 private:
  torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& attention_mask) const;

  ModelConfig config_;
  BertBackbone backbone_{nullptr};
  torch::nn::Linear head_linear_{nullptr};
  torch::nn::LayerNorm head_norm_{nullptr};
  std::shared_ptr<TransformerNetImpl> query_tower_;
};
TORCH_MODULE(TransformerNet);

/// How a freshly made network is initialized (Hugging Face's scheme: N(0, std) weights,
/// zero biases, unit LayerNorm). random_norms also draws LayerNorm weights around 1 and
/// biases around 0, so that a reference check exercises them.
struct InitOptions {
  uint64_t seed = 0;
  double std = 0.02;
  bool random_norms = false;
};
void initialize(TransformerNet& net, const InitOptions& options);

/// Copies every parameter from `file` (F32/F16/BF16 -> float32). A tensor name is looked up
/// as is and without the "bert."/"roberta." prefix. Throws one denser::Error naming the file
/// and every missing, wrong-shaped and unexpected tensor. Hugging Face tensors denser does
/// not use (pooler.*, cls.*, lm_head.*, position_ids buffers) are skipped with a log line.
void load_parameters(TransformerNet& net, const SafeTensorsFile& file);
/// Writes every parameter of `module` (any encoder network) as F32 under its registered
/// name (for the transformer: the full Hugging Face name), atomically.
void save_parameters(const torch::nn::Module& module, const std::string& path);
/// CRC-32C of every parameter's name, shape and float32 bytes, in registration order.
uint32_t parameters_crc(const torch::nn::Module& module);

}  // namespace denser::encode_internal
