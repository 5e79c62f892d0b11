// NgramConfig (config.json) and the text -> table rows mapping of the n-gram family.
// No libtorch here.
#include <nlohmann/json.hpp>

#include <utility>

#include "denser/common/error.h"
#include "denser/encode/ngram.h"
#include "denser/text/analyzer.h"

namespace denser {
namespace {

using json = nlohmann::json;

constexpr const char* kModelType = "denser-ngram";
constexpr const char* kHash = "fnv1a64";

// Every field config.json may hold, with the JSON kind it must have. Checked up front, so
// that a float where an integer belongs is an error rather than a silent truncation.
enum class Kind { kBool, kInt, kNumber, kString };
constexpr std::pair<const char*, Kind> kFields[] = {{"model_type", Kind::kString},
                                                    {"hash", Kind::kString},
                                                    {"tokenizer", Kind::kString},
                                                    {"num_buckets", Kind::kInt},
                                                    {"embedding_dim", Kind::kInt},
                                                    {"output_dim", Kind::kInt},
                                                    {"bigrams", Kind::kBool},
                                                    {"shared_towers", Kind::kBool},
                                                    {"stem", Kind::kBool},
                                                    {"remove_stopwords", Kind::kBool},
                                                    {"initializer_range", Kind::kNumber}};

bool has_kind(const json& value, Kind kind) {
  switch (kind) {
    case Kind::kBool: return value.is_boolean();
    case Kind::kInt: return value.is_number_integer();
    case Kind::kNumber: return value.is_number();
    case Kind::kString: return value.is_string();
  }
  return false;
}

}  // namespace

void NgramConfig::validate(const std::string& where) const {
  DENSER_CHECK(num_buckets > 0, ErrorCode::kCorrupt, where, ": num_buckets must be positive, got ", num_buckets);
  DENSER_CHECK(embedding_dim > 0, ErrorCode::kCorrupt, where, ": embedding_dim must be positive, got ", embedding_dim);
  DENSER_CHECK(output_dim >= 0, ErrorCode::kCorrupt, where, ": output_dim must not be negative, got ", output_dim);
  DENSER_CHECK(initializer_range >= 0, ErrorCode::kCorrupt, where, ": initializer_range must not be negative, got ",
               initializer_range);
}

std::string NgramConfig::to_json() const {
  json j;  // nlohmann's object keeps keys sorted: the text is canonical (fingerprints hash it)
  j["model_type"] = kModelType;
  j["architectures"] = json::array({"DenserNgramEncoder"});
  j["hash"] = kHash;
  j["tokenizer"] = "bm25-analyzer";
  j["num_buckets"] = num_buckets;
  j["embedding_dim"] = embedding_dim;
  j["output_dim"] = output_dim;
  j["bigrams"] = bigrams;
  j["shared_towers"] = shared_towers;
  j["stem"] = stem;
  j["remove_stopwords"] = remove_stopwords;
  j["initializer_range"] = initializer_range;
  return j.dump(2) + "\n";
}

NgramConfig NgramConfig::from_json(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  DENSER_CHECK(!j.is_discarded(), ErrorCode::kCorrupt, where, ": not valid JSON");
  DENSER_CHECK(j.is_object(), ErrorCode::kCorrupt, where, ": expected a JSON object at the top level");
  for (const auto& [key, kind] : kFields) {
    auto it = j.find(key);
    DENSER_CHECK(it == j.end() || has_kind(*it, kind), ErrorCode::kCorrupt, where, ": \"", key,
                 "\" has the wrong JSON type (", it->type_name(), ")");
  }
  std::string model_type = j.value("model_type", std::string());
  DENSER_CHECK(model_type == kModelType, ErrorCode::kCorrupt, where, ": model_type is \"", model_type,
               "\", expected \"", kModelType, "\"");
  std::string hash = j.value("hash", std::string(kHash));
  DENSER_CHECK(hash == kHash, ErrorCode::kUnsupported, where, ": hash \"", hash, "\" is not supported (only \"", kHash,
               "\")");
  std::string tokenizer = j.value("tokenizer", std::string("bm25-analyzer"));
  DENSER_CHECK(tokenizer == "bm25-analyzer", ErrorCode::kUnsupported, where, ": tokenizer \"", tokenizer,
               "\" is not supported (only \"bm25-analyzer\")");
  NgramConfig c;
  c.num_buckets = j.value("num_buckets", c.num_buckets);
  c.embedding_dim = j.value("embedding_dim", c.embedding_dim);
  c.output_dim = j.value("output_dim", c.output_dim);
  c.bigrams = j.value("bigrams", c.bigrams);
  c.shared_towers = j.value("shared_towers", c.shared_towers);
  c.stem = j.value("stem", c.stem);
  c.remove_stopwords = j.value("remove_stopwords", c.remove_stopwords);
  c.initializer_range = j.value("initializer_range", c.initializer_range);
  c.validate(where);
  return c;
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::vector<int64_t> ngram_buckets(std::string_view text, const NgramConfig& config) {
  Bm25Analyzer analyzer(AnalyzerOptions{config.stem, config.remove_stopwords});
  std::vector<std::string> words = analyzer.analyze(text);
  auto bucket = [&](std::string_view bytes) {
    return static_cast<int64_t>(fnv1a64(bytes) % static_cast<uint64_t>(config.num_buckets));
  };
  std::vector<int64_t> rows;
  rows.reserve(config.bigrams && !words.empty() ? 2 * words.size() - 1 : words.size());
  for (const std::string& w : words) rows.push_back(bucket(w));
  if (config.bigrams) {
    std::string pair;
    for (size_t i = 1; i < words.size(); ++i) {
      pair.assign(words[i - 1]).append(1, ' ').append(words[i]);
      rows.push_back(bucket(pair));
    }
  }
  return rows;
}

}  // namespace denser
