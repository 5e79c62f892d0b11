#pragma once
// NgramEncoder: the Encoder over NgramNet. Private header (includes libtorch): the trainer
// uses it to reach the network, its parameters and the bag-of-buckets batches.
#include <torch/torch.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "denser/encode/encoder.h"
#include "denser/encode/ngram.h"

namespace denser::encode_internal {

/// A batch of texts as bags of table rows, on the encoder's device: ids (total rows) int64,
/// offsets (batch) int64 = where each text's rows start in ids (EmbeddingBag's layout).
struct BucketBatch {
  torch::Tensor ids, offsets;
};

/// One tower: EmbeddingBag(num_buckets, embedding_dim, mean) then the optional projection;
/// with shared_towers = false a second tower under "query_tower." serves queries.
/// Parameter names: embeddings.weight (num_buckets, embedding_dim), projection.weight
/// (output_dim, embedding_dim) [output_dim > 0], query_tower.<the same> [!shared_towers].
class NgramNetImpl : public torch::nn::Module {
 public:
  explicit NgramNetImpl(const NgramConfig& config, bool with_query_tower = true);
  /// ids, offsets: a BucketBatch -> (batch, dim) float32. An empty bag gives zeros.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& offsets, bool query);
  /// Training: the tables' gradients become sparse tensors holding only the rows a batch
  /// touched (what a lazy optimizer needs to cost O(batch) rather than O(table)).
  void set_sparse_gradients(bool sparse);

 private:
  torch::nn::EmbeddingBag embeddings_{nullptr};
  torch::nn::Linear projection_{nullptr};
  std::shared_ptr<NgramNetImpl> query_tower_;
};
TORCH_MODULE(NgramNet);

/// Not thread-safe: one caller at a time (the network and libtorch's thread count are shared).
class NgramEncoder final : public Encoder {
 public:
  NgramEncoder(NgramConfig config, NgramNet net, const EncodeOptions& options);

  int dim() const override { return static_cast<int>(config_.dim()); }
  void encode_queries(std::span<const std::string_view> texts, std::span<float> out) override;
  void encode_documents(std::span<const std::string_view> texts, std::span<float> out) override;
  /// "ngram-" + CRC-32C of config.json and of the parameters (hex). One pass over the weights.
  std::string fingerprint() const override;
  void save(const std::string& dir) const override;
  std::string family() const override { return "ngram"; }
  std::unique_ptr<Encoder> clone() const override;

  // --- for training ---
  NgramNet& net() { return net_; }
  const NgramConfig& config() const { return config_; }
  const torch::Device& device() const { return device_; }
  const EncodeOptions& options() const { return options_; }
  std::vector<torch::Tensor> parameters() const { return net_->parameters(); }
  /// The texts' buckets (ngram_buckets), in the given order, as one batch on device().
  BucketBatch featurize(std::span<const std::string_view> texts) const;

 private:
  void encode(std::span<const std::string_view> texts, std::span<float> out, bool query);

  NgramConfig config_;
  NgramNet net_;
  EncodeOptions options_;
  torch::Device device_;
};

}  // namespace denser::encode_internal
