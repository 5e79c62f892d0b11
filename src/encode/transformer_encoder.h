#pragma once
// TransformerEncoder: the Encoder over TransformerNet. Private header (includes libtorch):
// the trainer uses it to reach the network, its parameters and train/eval mode.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "denser/encode/encoder.h"
#include "encoder_tokenizer.h"
#include "transformer_model.h"

namespace denser::encode_internal {

/// A tokenized, padded batch on the encoder's device: (batch, seq) int64 tensors.
struct TokenBatch {
  torch::Tensor ids, type_ids, attention_mask;
};

/// Not thread-safe: one caller at a time (the network and libtorch's thread count are shared).
class TransformerEncoder final : public Encoder {
 public:
  /// The tokenizer is immutable and may be shared between clones.
  TransformerEncoder(ModelConfig config, std::shared_ptr<const EncoderTokenizer> tokenizer, TransformerNet net,
                     const EncodeOptions& options);

  int dim() const override { return static_cast<int>(config_.dim()); }
  void encode_queries(std::span<const std::string_view> texts, std::span<float> out) override;
  void encode_documents(std::span<const std::string_view> texts, std::span<float> out) override;
  /// "transformer-" + CRC-32C of config.json, of the parameters and of the tokenizer (hex).
  /// Costs one pass over the weights (computed each call: training changes them).
  std::string fingerprint() const override;
  void save(const std::string& dir) const override;
  std::string family() const override { return "transformer"; }
  std::string similarity() const override { return config_.similarity(); }
  std::unique_ptr<Encoder> clone() const override;
  void set_precision(const std::string& precision) override;

  // --- for training ---
  TransformerNet& net() { return net_; }
  const ModelConfig& config() const { return config_; }
  const EncoderTokenizer& tokenizer() const { return *tokenizer_; }
  const torch::Device& device() const { return device_; }
  const EncodeOptions& options() const { return options_; }
  std::vector<torch::Tensor> parameters() const { return net_->parameters(); }
  /// Tokenizes texts (in the given order) and pads them to the longest.
  TokenBatch tokenize(std::span<const std::string_view> texts, size_t max_length) const;

 private:
  void encode(std::span<const std::string_view> texts, std::span<float> out, size_t max_length, bool query);
  TokenBatch pad(const std::vector<Encoding>& rows, std::span<const size_t> order) const;

  ModelConfig config_;
  std::shared_ptr<const EncoderTokenizer> tokenizer_;
  TransformerNet net_;
  EncodeOptions options_;
  torch::Device device_;
};

/// The device named by options.device: "cpu", or "cuda" when libtorch sees a GPU.
torch::Device resolve_device(const std::string& name);

/// Copies every parameter and buffer of `from` into the same-named one of `to` (same
/// architecture), without recording gradients.
void copy_module_state(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace denser::encode_internal
