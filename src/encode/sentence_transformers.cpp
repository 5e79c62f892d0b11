// Reading and writing the sentence-transformers layout of a model directory: modules.json
// lists the modules in order (Transformer, Pooling, optionally Normalize), each with a
// folder of its own settings. denser runs exactly that pipeline; a module or setting it
// does not implement is refused with the file and field, never silently dropped.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/model_config.h"

namespace denser {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kTransformer = "sentence_transformers.models.Transformer";
constexpr const char* kPooling = "sentence_transformers.models.Pooling";
constexpr const char* kNormalize = "sentence_transformers.models.Normalize";

json read_json(const std::string& path) {
  DENSER_CHECK(file_exists(path), ErrorCode::kNotFound, path, ": missing (the sentence-transformers layout needs it)");
  json j = json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
  DENSER_CHECK(!j.is_discarded(), ErrorCode::kCorrupt, path, ": not valid JSON");
  return j;
}

std::string join(const std::string& dir, const std::string& sub) { return sub.empty() ? dir : dir + "/" + sub; }

bool flag(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return false;
  DENSER_CHECK(it->is_boolean(), ErrorCode::kCorrupt, where, ": field \"", key, "\" must be true or false");
  return it->get<bool>();
}

// 1_Pooling/config.json: the pooling_mode_* flags (one of them true), or a
// "pooling_mode" string as newer releases also accept.
std::string read_pooling(const std::string& path, int64_t hidden_size) {
  const json j = read_json(path);
  DENSER_CHECK(j.is_object(), ErrorCode::kCorrupt, path, ": expected a JSON object");
  if (auto it = j.find("word_embedding_dimension"); it != j.end()) {
    DENSER_CHECK(it->is_number_integer() && it->get<int64_t>() == hidden_size, ErrorCode::kCorrupt, path,
                 ": field \"word_embedding_dimension\" is ", it->dump(), ", but the transformer's hidden_size is ",
                 hidden_size);
  }
  for (const char* unsupported :
       {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
    DENSER_CHECK(!flag(j, unsupported, path), ErrorCode::kUnsupported, path, ": field \"", unsupported,
                 "\" is true; denser pools by cls, mean or max only");
  }
  if (auto it = j.find("include_prompt"); it != j.end() && !it->is_null()) {
    DENSER_CHECK(it->is_boolean() && it->get<bool>(), ErrorCode::kUnsupported, path,
                 ": field \"include_prompt\" false is not supported (prompts are not used)");
  }
  std::vector<std::string> modes;
  if (flag(j, "pooling_mode_cls_token", path)) modes.push_back("cls");
  if (flag(j, "pooling_mode_mean_tokens", path)) modes.push_back("mean");
  if (flag(j, "pooling_mode_max_tokens", path)) modes.push_back("max");
  if (modes.empty()) {
    if (auto it = j.find("pooling_mode"); it != j.end() && it->is_string()) {
      std::string mode = it->get<std::string>();
      if (mode == "cls" || mode == "mean" || mode == "max") modes.push_back(mode);
      DENSER_CHECK(!modes.empty(), ErrorCode::kUnsupported, path, ": field \"pooling_mode\" \"", mode,
                   "\" is not cls, mean or max");
    }
  }
  DENSER_CHECK(modes.size() == 1, ErrorCode::kUnsupported, path,
               ": exactly one of pooling_mode_cls_token, pooling_mode_mean_tokens and ",
               "pooling_mode_max_tokens must be true (", modes.size(),
               " are); concatenated poolings are not supported");
  return modes[0];
}

// sentence_bert_config.json: max_seq_length and do_lower_case.
void read_sentence_bert_config(const std::string& path, ModelConfig& config) {
  if (!file_exists(path)) return;  // optional: the tokenizer's own limits apply
  const json j = read_json(path);
  DENSER_CHECK(j.is_object(), ErrorCode::kCorrupt, path, ": expected a JSON object");
  if (auto it = j.find("max_seq_length"); it != j.end() && !it->is_null()) {
    DENSER_CHECK(it->is_number_integer() && it->get<int64_t>() >= 2, ErrorCode::kCorrupt, path,
                 ": field \"max_seq_length\" must be an integer >= 2, got ", it->dump());
    config.max_seq_length = it->get<int64_t>();
  }
  // do_lower_case lowercases the text before the tokenizer sees it. The tokenizers denser
  // reads lowercase themselves when their own config says so; a cased tokenizer under an
  // outer lowercasing step is a combination denser does not run.
  if (flag(j, "do_lower_case", path)) {
    const std::string tokenizer_config = fs::path(path).parent_path().string() + "/tokenizer_config.json";
    bool tokenizer_lowercases = false;
    if (file_exists(tokenizer_config)) {
      json t = json::parse(read_file(tokenizer_config), nullptr, false);
      tokenizer_lowercases = t.is_object() && t.value("do_lower_case", false);
    }
    DENSER_CHECK(tokenizer_lowercases, ErrorCode::kUnsupported, path,
                 ": field \"do_lower_case\" true over a tokenizer that does not lowercase is not supported");
  }
}

// config_sentence_transformers.json: the similarity function, when named.
void read_similarity(const std::string& path, const ModelConfig& config) {
  if (!file_exists(path)) return;
  const json j = read_json(path);
  auto it = j.find("similarity_fn_name");
  if (!j.is_object() || it == j.end() || it->is_null()) return;
  DENSER_CHECK(it->is_string(), ErrorCode::kCorrupt, path, ": field \"similarity_fn_name\" must be a string");
  const std::string name = it->get<std::string>();
  DENSER_CHECK(name == "cosine" || name == "dot", ErrorCode::kUnsupported, path, ": field \"similarity_fn_name\" \"",
               name, "\" is not supported (cosine or dot)");
  DENSER_CHECK(name == "dot" || config.normalize, ErrorCode::kUnsupported, path,
               ": similarity \"cosine\" without a Normalize module is not supported (add 2_Normalize to modules.json)");
}

}  // namespace

ModelConfig ModelConfig::load_dir(const std::string& dir, std::string* weights_dir) {
  const std::string modules_path = dir + "/modules.json";
  if (!file_exists(modules_path)) {
    if (weights_dir) *weights_dir = dir;
    return load(dir + "/config.json");
  }
  const json modules = read_json(modules_path);
  DENSER_CHECK(modules.is_array() && !modules.empty(), ErrorCode::kCorrupt, modules_path,
               ": expected a non-empty JSON array of modules");
  std::vector<std::pair<std::string, std::string>> steps;  // (type, path)
  for (size_t i = 0; i < modules.size(); ++i) {
    const json& m = modules[i];
    DENSER_CHECK(m.is_object() && m.contains("type") && m["type"].is_string(), ErrorCode::kCorrupt, modules_path,
                 ": module ", i, " has no \"type\" string");
    std::string path = m.value("path", std::string());
    DENSER_CHECK(path.find("..") == std::string::npos && (path.empty() || path[0] != '/'), ErrorCode::kCorrupt,
                 modules_path, ": module ", i, " has path \"", path, "\" outside the model directory");
    steps.emplace_back(m["type"].get<std::string>(), path);
  }
  const auto& [first_type, transformer_path] = steps[0];
  DENSER_CHECK(first_type == kTransformer, ErrorCode::kUnsupported, modules_path, ": module 0 has type \"", first_type,
               "\", expected ", kTransformer);
  const std::string model_dir = join(dir, transformer_path);
  ModelConfig config = load(model_dir + "/config.json");
  config.sentence_transformers = true;
  // The module files are authoritative over config.json's "denser" copy of the settings.
  config.pooling = "cls";
  config.normalize = false;
  config.max_seq_length = 0;
  bool pooled = false;
  for (size_t i = 1; i < steps.size(); ++i) {
    const auto& [type, path] = steps[i];
    if (type == kPooling && !pooled && !config.normalize) {
      config.pooling = read_pooling(join(dir, path) + "/config.json", config.hidden_size);
      pooled = true;
    } else if (type == kNormalize && pooled && !config.normalize) {
      config.normalize = true;
    } else {
      DENSER_THROW(ErrorCode::kUnsupported, modules_path, ": module ", i, " of type \"", type,
                   "\" is not supported here (denser runs Transformer, Pooling, then optionally Normalize)");
    }
  }
  DENSER_CHECK(pooled, ErrorCode::kUnsupported, modules_path, ": no ", kPooling, " module after the Transformer");
  read_sentence_bert_config(model_dir + "/sentence_bert_config.json", config);
  if (config.max_seq_length == 0 && transformer_path.empty()) {
    read_sentence_bert_config(dir + "/sentence_bert_config.json", config);
  }
  read_similarity(dir + "/config_sentence_transformers.json", config);
  config.validate(model_dir + "/config.json");
  if (weights_dir) *weights_dir = model_dir;
  return config;
}

void ModelConfig::save_dir(const std::string& dir) const {
  save(dir + "/config.json");
  // An ANCE head or a second tower has no sentence-transformers module: such a model is
  // saved as a Hugging Face directory with denser's settings only.
  if (!sentence_transformers || ance_head || !shared_towers) return;
  json modules = json::array();
  modules.push_back({{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", kTransformer}});
  modules.push_back({{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", kPooling}});
  if (normalize) modules.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", kNormalize}});
  write_file_atomic(dir + "/modules.json", modules.dump(2) + "\n");
  for (const char* sub : {"1_Pooling", "2_Normalize"}) {
    if (std::string(sub) == "2_Normalize" && !normalize) continue;
    std::error_code ec;
    fs::create_directories(dir + "/" + sub, ec);
    DENSER_CHECK(!ec, ErrorCode::kUnavailable, dir, "/", sub, ": cannot create the folder: ", ec.message());
  }
  const json pooling_config = {{"word_embedding_dimension", hidden_size},
                               {"pooling_mode_cls_token", pooling == "cls"},
                               {"pooling_mode_mean_tokens", pooling == "mean"},
                               {"pooling_mode_max_tokens", pooling == "max"},
                               {"pooling_mode_mean_sqrt_len_tokens", false}};
  write_file_atomic(dir + "/1_Pooling/config.json", pooling_config.dump(2) + "\n");
  json sbert = {{"do_lower_case", false}};
  if (max_seq_length > 0) sbert["max_seq_length"] = max_seq_length;
  write_file_atomic(dir + "/sentence_bert_config.json", sbert.dump(2) + "\n");
}

}  // namespace denser
