// A model directory as sentence-transformers and Hugging Face write it: config.json,
// modules.json, 1_Pooling/config.json, sentence_bert_config.json and
// config_sentence_transformers.json (the input's parts, in that order; see split_files).
#include "denser/encode/model_config.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kFiles[] = {"config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
                                 "config_sentence_transformers.json"};
  std::vector<std::string_view> parts = fuzz::split_files(fuzz::as_text(data, size), std::size(kFiles));
  fuzz::expect_success_or_error([&] { ModelConfig::from_json(parts[0], "config.json"); });
  const std::string dir = fuzz::fresh_dir("model");
  for (size_t i = 0; i < parts.size(); ++i)
    if (!parts[i].empty()) fuzz::write_file(std::string("model/") + kFiles[i], parts[i]);
  fuzz::expect_success_or_error([&] { ModelConfig::load_dir(dir); });
  return 0;
}
