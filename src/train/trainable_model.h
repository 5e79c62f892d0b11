#pragma once
// The trainer's view of an encoder: forward passes with gradients over training queries
// and corpus documents (referred to by index, their features computed once and cached),
// the parameters, and a detached copy for the refresher. Private header (libtorch).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/encode/encoder.h"
#include "denser/encode/ngram.h"
#include "denser/train/train.h"
#include "train/train_data.h"

namespace denser::train_internal {

class TrainableModel {
 public:
  virtual ~TrainableModel() = default;
  /// Training queries `idx` -> (n, dim) float32 with a grad_fn.
  virtual torch::Tensor encode_queries(const std::vector<uint32_t>& idx) = 0;
  /// Corpus documents `idx` -> (n, dim) float32 with a grad_fn.
  virtual torch::Tensor encode_documents(const std::vector<uint32_t>& idx) = 0;
  /// The encoder being trained (its save() writes the model directory).
  virtual Encoder& encoder() = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void set_training(bool training) = 0;
};

/// A fresh model as options ask (preset, or options.init_model's weights), with features
/// of data's queries and documents cached. A transformer without options.vocab gets a
/// WordPiece vocabulary of options.vocab_size trained on the corpus.
std::unique_ptr<TrainableModel> make_trainable_model(const TrainOptions& options, const TrainingData& data,
                                                     int num_threads);
/// The model saved in `dir` (a checkpoint's model directory), for resuming.
std::unique_ptr<TrainableModel> load_trainable_model(const std::string& dir, const TrainOptions& options,
                                                     const TrainingData& data, int num_threads);

/// The encoding options of a run's models: its max lengths and batch size, num_threads.
EncodeOptions encode_options(const TrainOptions& options, int num_threads);

/// The n-gram architecture of a preset: tiny 2^16 x 64, small 2^18 x 128, base 2^20 x 256.
NgramConfig ngram_preset(const std::string& preset);

}  // namespace denser::train_internal
