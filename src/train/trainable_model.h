#pragma once
// The models a training run starts from (a preset, or --init-model's weights) and resumes
// from, opened for training through the encoders' public training face
// (denser/encode/trainable.h) with the run's queries and documents prepared.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/encode/encoder.h"
#include "denser/encode/ngram.h"
#include "denser/encode/trainable.h"
#include "denser/train/train.h"
#include "train_data.h"

namespace denser::train_internal {

/// A fresh model as options ask (preset, or options.init_model's weights), with features
/// of data's queries and documents cached. A transformer without options.vocab gets a
/// WordPiece vocabulary of options.vocab_size trained on the corpus.
std::unique_ptr<TrainableEncoder> make_trainable_model(const TrainOptions& options, const TrainingData& data,
                                                       int num_threads);
/// The model saved in `dir` (a checkpoint's model directory), for resuming.
std::unique_ptr<TrainableEncoder> load_trainable_model(const std::string& dir, const TrainOptions& options,
                                                       const TrainingData& data, int num_threads);

/// The encoding options of a run's models: its max lengths and batch size, num_threads.
EncodeOptions encode_options(const TrainOptions& options, int num_threads);

/// The n-gram architecture of a preset: tiny 2^16 x 64, small 2^18 x 128, base 2^20 x 256.
NgramConfig ngram_preset(const std::string& preset);

}  // namespace denser::train_internal
