#include "denser/encode/model_config.h"

#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"

namespace denser {
namespace {

using nlohmann::json;

// Reads obj[key] into out when present; a value of the wrong JSON type is an error that
// names the file and key (nlohmann's own message would name neither).
template <typename T>
void read_field(const json& obj, const char* key, T& out, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  bool ok;
  if constexpr (std::is_same_v<T, bool>) {
    ok = it->is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    ok = it->is_number_integer();
  } else if constexpr (std::is_floating_point_v<T>) {
    ok = it->is_number();
  } else {
    ok = it->is_string();
  }
  DENSER_CHECK(ok, ErrorCode::kCorrupt, where, ": field \"", key, "\" has the wrong type (", it->type_name(), ")");
  out = it->get<T>();
}

}  // namespace

void ModelConfig::validate(const std::string& where) const {
  auto bad = [&](const char* field, const auto& detail) {
    DENSER_THROW(ErrorCode::kCorrupt, where, ": ", field, " ", detail);
  };
  if (model_type != "bert" && model_type != "roberta")
    bad("model_type", str("\"", model_type, "\" is not \"bert\" or \"roberta\""));
  if (hidden_act != "gelu") bad("hidden_act", str("\"", hidden_act, "\" is not supported (only exact \"gelu\")"));
  if (pooling != "cls" && pooling != "mean" && pooling != "max")
    bad("denser.pooling", str("\"", pooling, "\" is not \"cls\", \"mean\" or \"max\""));
  if (max_seq_length < 0) bad("max_seq_length", "must not be negative");
  if (vocab_size <= 0) bad("vocab_size", "must be positive");
  if (hidden_size <= 0) bad("hidden_size", "must be positive");
  if (num_hidden_layers < 0) bad("num_hidden_layers", "must not be negative");
  if (num_attention_heads <= 0 || hidden_size % num_attention_heads != 0)
    bad("num_attention_heads", str(num_attention_heads, " must be positive and divide hidden_size ", hidden_size));
  if (intermediate_size <= 0) bad("intermediate_size", "must be positive");
  if (max_position_embeddings <= 0) bad("max_position_embeddings", "must be positive");
  if (type_vocab_size <= 0) bad("type_vocab_size", "must be positive");
  if (!(layer_norm_eps > 0)) bad("layer_norm_eps", "must be positive");
  if (pad_token_id < 0 || pad_token_id >= vocab_size)
    bad("pad_token_id", str(pad_token_id, " is outside the vocabulary"));
  if (is_roberta() && pad_token_id + 2 > max_position_embeddings)
    bad("max_position_embeddings", "leaves no room for RoBERTa's offset positions");
  if (!(hidden_dropout_prob >= 0 && hidden_dropout_prob < 1)) bad("hidden_dropout_prob", "must be in [0, 1)");
  if (!(attention_probs_dropout_prob >= 0 && attention_probs_dropout_prob < 1))
    bad("attention_probs_dropout_prob", "must be in [0, 1)");
  if (output_dim < 0) bad("denser.output_dim", "must not be negative");
}

std::string ModelConfig::to_json() const {
  json j;
  j["architectures"] = json::array({is_roberta() ? "RobertaModel" : "BertModel"});
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["intermediate_size"] = intermediate_size;
  j["hidden_act"] = hidden_act;
  j["max_position_embeddings"] = max_position_embeddings;
  j["type_vocab_size"] = type_vocab_size;
  j["layer_norm_eps"] = layer_norm_eps;
  j["pad_token_id"] = pad_token_id;
  j["hidden_dropout_prob"] = hidden_dropout_prob;
  j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  j["position_embedding_type"] = "absolute";
  j["initializer_range"] = 0.02;
  j["denser"] = {{"pooling", pooling},     {"ance_head", ance_head},
                 {"output_dim", dim()},    {"shared_towers", shared_towers},
                 {"normalize", normalize}, {"max_seq_length", max_seq_length}};
  return j.dump(2) + "\n";
}

ModelConfig ModelConfig::from_json(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  DENSER_CHECK(!j.is_discarded(), ErrorCode::kCorrupt, where, ": not valid JSON");
  DENSER_CHECK(j.is_object(), ErrorCode::kCorrupt, where, ": expected a JSON object at the top level");
  ModelConfig c;
  DENSER_CHECK(j.contains("model_type"), ErrorCode::kCorrupt, where,
               ": no \"model_type\" (expected \"bert\" or \"roberta\")");
  read_field(j, "model_type", c.model_type, where);
  if (c.is_roberta()) {  // RobertaConfig's defaults differ from BertConfig's
    c.pad_token_id = 1;
    c.type_vocab_size = 1;
    c.max_position_embeddings = 514;
    c.layer_norm_eps = 1e-5;
    c.vocab_size = 50265;
  }
  read_field(j, "vocab_size", c.vocab_size, where);
  read_field(j, "hidden_size", c.hidden_size, where);
  read_field(j, "num_hidden_layers", c.num_hidden_layers, where);
  read_field(j, "num_attention_heads", c.num_attention_heads, where);
  read_field(j, "intermediate_size", c.intermediate_size, where);
  read_field(j, "hidden_act", c.hidden_act, where);
  read_field(j, "max_position_embeddings", c.max_position_embeddings, where);
  read_field(j, "type_vocab_size", c.type_vocab_size, where);
  read_field(j, "layer_norm_eps", c.layer_norm_eps, where);
  read_field(j, "pad_token_id", c.pad_token_id, where);
  read_field(j, "hidden_dropout_prob", c.hidden_dropout_prob, where);
  read_field(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, where);
  std::string position_type = "absolute";
  read_field(j, "position_embedding_type", position_type, where);
  DENSER_CHECK(position_type == "absolute", ErrorCode::kUnsupported, where, ": position_embedding_type \"",
               position_type, "\" is not supported (only \"absolute\")");
  if (auto it = j.find("denser"); it != j.end()) {
    DENSER_CHECK(it->is_object(), ErrorCode::kCorrupt, where, ": \"denser\" must be an object");
    read_field(*it, "pooling", c.pooling, where);
    read_field(*it, "ance_head", c.ance_head, where);
    read_field(*it, "output_dim", c.output_dim, where);
    read_field(*it, "shared_towers", c.shared_towers, where);
    read_field(*it, "normalize", c.normalize, where);
    read_field(*it, "max_seq_length", c.max_seq_length, where);
  }
  c.validate(where);
  return c;
}

ModelConfig ModelConfig::load(const std::string& path) { return from_json(read_file(path), path); }

void ModelConfig::save(const std::string& path) const {
  validate(path);
  write_file_atomic(path, to_json());
}

ModelConfig ModelConfig::preset(std::string_view name, std::string_view model_type, int64_t vocab_size) {
  ModelConfig c;
  if (name == "tiny") {
    c.num_hidden_layers = 2, c.hidden_size = 128, c.num_attention_heads = 2, c.intermediate_size = 512;
  } else if (name == "small") {
    c.num_hidden_layers = 4, c.hidden_size = 256, c.num_attention_heads = 4, c.intermediate_size = 1024;
  } else if (name == "base") {
    c.num_hidden_layers = 12, c.hidden_size = 768, c.num_attention_heads = 12, c.intermediate_size = 3072;
  } else {
    DENSER_THROW(ErrorCode::kInvalidArgument, "unknown model preset \"", name, "\" (expected tiny, small or base)");
  }
  c.model_type = std::string(model_type);
  c.vocab_size = vocab_size;
  if (c.is_roberta()) {
    c.type_vocab_size = 1;
    c.pad_token_id = 1;
    c.max_position_embeddings = 514;
    c.layer_norm_eps = 1e-5;
  }
  c.validate(str("preset ", name));
  return c;
}

}  // namespace denser
