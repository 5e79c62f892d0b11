#pragma once
// Factories for the transformer encoder family (BERT / RoBERTa architecture on libtorch).
// Torch-free: the network lives behind the Encoder interface.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/encode/encoder.h"
#include "denser/encode/model_config.h"

namespace denser {

/// A new encoder with Hugging Face's initialization (weights N(0, 0.02), zero biases, unit
/// LayerNorm) drawn from `seed`, and a WordPiece tokenizer over `vocab` (id order; needs
/// [PAD], [UNK], [CLS], [SEP]). config.vocab_size must cover the vocabulary; for RoBERTa
/// config.pad_token_id must be the vocabulary's [PAD] id. Throws denser::Error otherwise.
/// random_norms: also draw LayerNorm weights and biases at random (for reference checks).
std::unique_ptr<Encoder> create_transformer_encoder(const ModelConfig& config, std::vector<std::string> vocab,
                                                    const EncodeOptions& options = {}, uint64_t seed = 0,
                                                    bool random_norms = false);

/// Loads a model directory: config.json, model.safetensors (F32/F16/BF16, names with or
/// without the "bert."/"roberta." prefix), vocab.txt (+ tokenizer_config.json). Throws
/// denser::Error naming the file and every missing, unexpected or wrong-shaped tensor.
std::unique_ptr<Encoder> load_transformer_encoder(const std::string& dir, const EncodeOptions& options = {});

}  // namespace denser
