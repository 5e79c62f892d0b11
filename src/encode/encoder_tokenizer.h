#pragma once
// The tokenizer seam of the transformer encoder: the shared SubwordTokenizer
// (include/denser/text/tokenizer.h: WordPiece for BERT, byte-level BPE for RoBERTa).
// Torch-free.
#include <memory>
#include <string>
#include <vector>

#include "denser/text/tokenizer.h"

namespace denser::encode_internal {

using EncoderTokenizer = SubwordTokenizer;

/// A WordPiece tokenizer over `vocab` (id order); saved as vocab.txt + tokenizer_config.json.
std::unique_ptr<EncoderTokenizer> make_wordpiece_tokenizer(std::vector<std::string> vocab, bool do_lower_case = true);

/// The tokenizer files of a model directory (load_tokenizer: vocab.json + merges.txt or
/// vocab.txt, with tokenizer_config.json). Throws denser::Error naming the directory.
std::unique_ptr<EncoderTokenizer> load_encoder_tokenizer(const std::string& dir);

}  // namespace denser::encode_internal
