#pragma once
// The encoder's training face, for the trainer (and any other fine-tuning loop): forward
// passes with gradients over texts prepared once, the parameters, and the switch between
// training and inference. Unlike encoder.h this header includes libtorch: include it only
// from code that trains (and links libtorch).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/encode/encoder.h"

namespace denser {

/// Which side a prepared text set feeds: queries and documents may take different towers
/// or pooling, so forward() needs to know.
enum class TextSide { kQuery, kDocument };

/// An Encoder opened for training. It owns the encoder; encoder() is the model whose
/// save() writes checkpoints and whose clone() feeds the asynchronous refresher.
/// Thread safety: one thread at a time (the trainer's).
class TrainableEncoder {
 public:
  virtual ~TrainableEncoder() = default;
  /// Tokenizes (transformer) or hashes (n-gram) every text once and keeps the result for
  /// forward(); texts longer than max_length tokens (special tokens included) are cut, as
  /// encoding does. Replaces what an earlier call prepared for the same side.
  virtual void prepare(TextSide side, const std::vector<std::string>& texts, int64_t max_length, int num_threads) = 0;
  /// Prepared texts `idx` of `side` through the network -> (idx.size(), dim) float32 with
  /// a grad_fn, on the encoder's device.
  virtual torch::Tensor forward(TextSide side, const std::vector<uint32_t>& idx) = 0;
  /// Every trainable parameter, in a stable order (optimizer state is saved in it).
  /// Parameters whose gradients come back sparse (the n-gram tables) are included.
  virtual std::vector<torch::Tensor> parameters() = 0;
  /// Dropout and the like on (true) or off.
  virtual void set_training(bool training) = 0;
  virtual Encoder& encoder() = 0;
};

/// Opens `encoder` (made by load_encoder, create_ngram_encoder or
/// create_transformer_encoder) for training. Throws denser::Error for a family that cannot
/// be trained.
std::unique_ptr<TrainableEncoder> make_trainable(std::unique_ptr<Encoder> encoder);

/// Sets every thread pool a libtorch forward or backward pass uses (ATen's intra-op
/// threads and the BLAS's own), so that one thread means one core. 0 = all cores.
void set_torch_threads(int num_threads);

}  // namespace denser
