// Tokenizer files of a model directory: vocab.txt (WordPiece) or vocab.json + merges.txt
// (byte-level BPE), with tokenizer_config.json; a loaded tokenizer then encodes text.
// Input parts: tokenizer_config.json, vocab.txt, vocab.json, merges.txt, then the text.
#include "denser/text/tokenizer.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kFiles[] = {"tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt"};
  std::vector<std::string_view> parts = fuzz::split_files(fuzz::as_text(data, size), std::size(kFiles) + 1);
  const std::string dir = fuzz::fresh_dir("tokenizer");
  for (size_t i = 0; i < std::size(kFiles); ++i)
    if (!parts[i].empty()) fuzz::write_file(std::string("tokenizer/") + kFiles[i], parts[i]);
  fuzz::expect_success_or_error([&] {
    std::unique_ptr<SubwordTokenizer> tokenizer = load_tokenizer(dir);
    const std::string_view text = parts.back();
    Encoding single = tokenizer->encode_single(text, 64);
    tokenizer->encode_pair(text, text, 32);
    tokenizer->decode(single.ids, true);
    tokenizer->decode(single.ids, false);
  });
  return 0;
}
