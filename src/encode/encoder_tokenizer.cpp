#include "encoder_tokenizer.h"

#include "denser/text/wordpiece.h"

namespace denser::encode_internal {

std::unique_ptr<EncoderTokenizer> make_wordpiece_tokenizer(std::vector<std::string> vocab, bool do_lower_case) {
  WordPieceOptions options;
  options.basic.do_lower_case = do_lower_case;
  return std::make_unique<WordPiece>(std::move(vocab), std::move(options));
}

std::unique_ptr<EncoderTokenizer> load_encoder_tokenizer(const std::string& dir) { return load_tokenizer(dir); }

}  // namespace denser::encode_internal
