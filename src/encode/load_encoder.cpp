// load_encoder: picks the encoder family from a model directory's config.json.
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_store.h"
#include "denser/encode/ngram.h"
#include "denser/encode/transformer.h"

namespace denser {

std::unique_ptr<Encoder> load_encoder(const std::string& name_or_dir, const EncodeOptions& options) {
  const std::string dir = resolve_model_dir(name_or_dir);
  std::string config_path = dir + "/config.json";
  if (!file_exists(config_path) && file_exists(dir + "/modules.json")) {
    return load_transformer_encoder(dir, options);  // sentence-transformers, weights in a module folder
  }
  DENSER_CHECK(file_exists(config_path), ErrorCode::kNotFound, dir, ": not a model directory (no config.json)");
  auto config = nlohmann::json::parse(read_file(config_path), nullptr, false);
  DENSER_CHECK(config.is_object(), ErrorCode::kCorrupt, config_path, ": expected a JSON object");
  auto it = config.find("model_type");
  std::string model_type = it != config.end() && it->is_string() ? it->get<std::string>() : "";
  if (model_type == "bert" || model_type == "roberta") return load_transformer_encoder(dir, options);
  if (model_type == "denser-ngram") return load_ngram_encoder(dir, options);
  DENSER_THROW(ErrorCode::kUnsupported, config_path, ": unknown model_type \"", model_type,
               "\" (expected \"bert\", \"roberta\" or \"denser-ngram\")");
}

}  // namespace denser
