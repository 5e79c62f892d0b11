// TrainOptions: presets, validation and the JSON form (config files and checkpoints).
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/train/train.h"

namespace denser {
namespace {

using nlohmann::json;

// Every field once, so that to_json and apply_json cannot drift apart.
template <typename Visitor>
void visit_fields(TrainOptions& o, Visitor&& v) {
  v("collection", o.collection);
  v("train_split", o.train_split);
  v("dev_split", o.dev_split);
  v("dev_holdout", o.dev_holdout);
  v("test_split", o.test_split);
  v("with_titles", o.with_titles);
  v("encoder", o.encoder);
  v("preset", o.preset);
  v("init_model", o.init_model);
  v("ngram_buckets_log2", o.ngram_buckets_log2);
  v("ngram_dim", o.ngram_dim);
  v("ngram_bigrams", o.ngram_bigrams);
  v("ngram_init_std", o.ngram_init_std);
  v("vocab", o.vocab);
  v("vocab_size", o.vocab_size);
  v("query_max_length", o.query_max_length);
  v("doc_max_length", o.doc_max_length);
  v("negatives", o.negatives);
  v("num_negatives", o.num_negatives);
  v("in_batch_negatives", o.in_batch_negatives);
  v("negative_depth", o.negative_depth);
  v("warmup_negative_steps", o.warmup_negative_steps);
  v("steps", o.steps);
  v("batch_size", o.batch_size);
  v("accumulation", o.accumulation);
  v("learning_rate", o.learning_rate);
  v("weight_decay", o.weight_decay);
  v("warmup_steps", o.warmup_steps);
  v("temperature", o.temperature);
  v("train_precision", o.train_precision);
  v("max_grad_norm", o.max_grad_norm);
  v("seed", o.seed);
  v("refresh", o.refresh);
  v("refresh_every", o.refresh_every);
  v("wait_first_refresh", o.wait_first_refresh);
  v("index_factory", o.index_factory);
  v("refresh_precision", o.refresh_precision);
  v("checkpoint_every", o.checkpoint_every);
  v("keep_checkpoints", o.keep_checkpoints);
  v("log_every", o.log_every);
  v("threads", o.threads);
  v("distributed", o.distributed);
  v("encode_batch_size", o.encode_batch_size);
}

template <typename T>
const char* json_kind() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else return "an integer";
}

template <typename T>
bool json_matches(const json& value) {
  if constexpr (std::is_same_v<T, bool>) return value.is_boolean();
  else if constexpr (std::is_same_v<T, std::string>) return value.is_string();
  else if constexpr (std::is_floating_point_v<T>) return value.is_number();
  else if constexpr (std::is_unsigned_v<T>) return value.is_number_unsigned();
  else return value.is_number_integer();
}

}  // namespace

void TrainOptions::finalize() {
  auto check_member = [](const std::string& value, std::initializer_list<const char*> allowed, const char* field) {
    std::string list;
    for (const char* a : allowed) {
      if (value == a) return;
      list += list.empty() ? a : std::string(", ") + a;
    }
    DENSER_THROW("train: ", field, " must be one of ", list, ", got \"", value, "\"");
  };
  check_member(encoder, {"ngram", "transformer"}, "encoder");
  check_member(preset, {"tiny", "small", "base"}, "preset");
  check_member(negatives, {"ance", "bm25", "random"}, "negatives");
  check_member(refresh, {"async", "sync"}, "refresh");
  DENSER_CHECK(!collection.empty(), "train: no collection given");
  DENSER_CHECK(steps > 0, "train: steps must be positive, got ", steps);
  DENSER_CHECK(batch_size >= 1, "train: batch_size must be at least 1, got ", batch_size);
  DENSER_CHECK(accumulation >= 1, "train: accumulation must be at least 1, got ", accumulation);
  DENSER_CHECK(num_negatives >= 0, "train: num_negatives must not be negative");
  DENSER_CHECK(num_negatives > 0 || in_batch_negatives, "train: no negatives at all (num_negatives 0 and no in-batch)");
  DENSER_CHECK(negative_depth >= 1, "train: negative_depth must be at least 1");
  DENSER_CHECK(temperature >= 0, "train: temperature must not be negative (0: the family's default)");
  DENSER_CHECK(weight_decay >= 0 && max_grad_norm >= 0, "train: weight_decay and max_grad_norm must not be negative");
  DENSER_CHECK(refresh_every >= 1, "train: refresh_every must be at least 1");
  DENSER_CHECK(refresh_precision == "fp32" || refresh_precision == "bf16", "train: refresh_precision must be fp32 or bf16, got \"",
               refresh_precision, "\"");
  DENSER_CHECK(train_precision == "fp32" || train_precision == "bf16", "train: train_precision must be fp32 or bf16, got \"",
               train_precision, "\"");
  DENSER_CHECK(checkpoint_every >= 0 && keep_checkpoints >= 1, "train: checkpoint_every >= 0, keep_checkpoints >= 1");
  DENSER_CHECK(log_every >= 1 && threads >= 0 && encode_batch_size >= 1 && dev_holdout >= 0,
               "train: log_every and encode_batch_size must be positive, threads and dev_holdout not negative");
  DENSER_CHECK(query_max_length >= 2 && doc_max_length >= 2, "train: max lengths must be at least 2");
  DENSER_CHECK(vocab_size >= 200, "train: vocab_size must be at least 200");
  DENSER_CHECK(ngram_buckets_log2 == 0 || (ngram_buckets_log2 >= 8 && ngram_buckets_log2 <= 26),
               "train: ngram_buckets_log2 must be 0 (preset) or within 8..26, got ", ngram_buckets_log2);
  DENSER_CHECK(ngram_init_std >= 0, "train: ngram_init_std must not be negative");
  DENSER_CHECK(ngram_dim >= 0 && ngram_dim <= 4096, "train: ngram_dim must be within 0..4096, got ", ngram_dim);
  if (learning_rate <= 0) learning_rate = encoder == "ngram" ? 0.05 : init_model.empty() ? 1e-4 : 5e-5;
  if (temperature <= 0 && encoder == "ngram") temperature = 0.05;
  // A transformer's temperature 0 waits for resolve_temperature: it depends on the model.
  if (warmup_steps < 0) warmup_steps = steps / 10;
  if (warmup_negative_steps < 0) warmup_negative_steps = negatives == "ance" ? steps / 5 : 0;
}

void TrainOptions::resolve_temperature(std::string_view similarity) {
  if (temperature > 0) return;
  temperature = similarity == "cosine" || encoder == "ngram" ? 0.05 : 1.0;
}

std::string TrainOptions::to_json() const {
  json out = json::object();
  TrainOptions copy = *this;
  visit_fields(copy, [&](const char* name, auto& field) { out[name] = field; });
  return out.dump(2) + "\n";
}

void TrainOptions::apply_json(std::string_view text, const std::string& where) {
  json in = json::parse(text, nullptr, false);
  DENSER_CHECK(!in.is_discarded(), where, ": not valid JSON");
  DENSER_CHECK(in.is_object(), where, ": expected a JSON object of training options");
  for (const auto& [key, value] : in.items()) {
    bool known = false;
    visit_fields(*this, [&](const char* name, auto& field) {
      if (key != name) return;
      known = true;
      using T = std::decay_t<decltype(field)>;
      DENSER_CHECK(json_matches<T>(value), where, ": \"", key, "\" must be ", json_kind<T>(), ", got ", value.dump());
      field = value.get<T>();
    });
    DENSER_CHECK(known, where, ": unknown training option \"", key, "\"");
  }
}

TrainOptions TrainOptions::preset_defaults(std::string_view encoder, std::string_view preset) {
  TrainOptions o;
  o.encoder = std::string(encoder);
  o.preset = std::string(preset);
  const bool ngram = encoder == "ngram";
  if (preset == "tiny") {
    o.steps = ngram ? 600 : 300;
    o.refresh_every = ngram ? 150 : 100;
    o.batch_size = ngram ? 64 : 16;
  } else if (preset == "small") {
    o.steps = ngram ? 3000 : 1000;
    o.refresh_every = ngram ? 500 : 250;
    o.batch_size = ngram ? 64 : 32;
  } else {
    o.steps = ngram ? 10000 : 5000;
    o.refresh_every = 1000;
    o.batch_size = 64;
  }
  o.checkpoint_every = o.refresh_every;
  return o;
}

}  // namespace denser
