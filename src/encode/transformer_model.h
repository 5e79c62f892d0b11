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
#include <cstdint>
#include <string>

#include "denser/encode/model_config.h"
#include "encode/onednn_route.h"

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

 private:
  ModelConfig config_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm layer_norm_{nullptr};
};
TORCH_MODULE(BertEmbeddings);

/// A layer's weight and bias in bfloat16 for the bf16 inference route, remade when the
/// float32 originals change. Not thread-safe (one forward pass at a time per network).
struct Bf16Weights {
  torch::Tensor weight, bias;
  const Bf16Weights& of(const torch::Tensor& w, const torch::Tensor& b);

 private:
  int64_t version_ = -1, bias_version_ = -1;
  const void* source_ = nullptr;
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

 private:
  ModelConfig config_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attention_dense_{nullptr};
  torch::nn::LayerNorm attention_norm_{nullptr};
  torch::nn::Linear intermediate_dense_{nullptr}, output_dense_{nullptr};
  torch::nn::LayerNorm output_norm_{nullptr};
  Precision precision_ = Precision::kFp32;
  std::array<Bf16Weights, 6> bf16_weights_;  // query, key, value, attention out, intermediate, output
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
  ModelConfig config_;
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
