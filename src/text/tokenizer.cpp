#include "denser/text/tokenizer.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/parallel.h"
#include "denser/text/bpe.h"
#include "denser/text/wordpiece.h"
#include "special_layout.h"

namespace denser {

std::pair<size_t, size_t> truncate_longest_first(size_t la, size_t lb, size_t budget) {
  la = std::min(la, budget);
  lb = std::min(lb, budget);
  if (la + lb <= budget) return {la, lb};
  size_t excess = la + lb - budget;
  size_t diff = la > lb ? la - lb : lb - la;
  size_t first = std::min(diff, excess);  // evens the two out
  size_t rest = excess - first;           // then shared, the second losing the odd one
  if (la > lb) return {la - first - rest / 2, lb - (rest - rest / 2)};
  return {la - rest / 2, lb - first - (rest - rest / 2)};
}

BatchEncoding pad_encodings(const std::vector<Encoding>& rows, int32_t pad_id, std::string_view who) {
  BatchEncoding batch;
  batch.batch_size = rows.size();
  bool ragged = false;
  for (const auto& row : rows) batch.seq_len = std::max(batch.seq_len, row.size());
  for (const auto& row : rows) ragged = ragged || row.size() != batch.seq_len;
  DENSER_CHECK(!ragged || pad_id >= 0, ErrorCode::kUnsupported, who,
               ": the vocabulary has no padding token to pad a batch with");
  const int32_t pad = ragged ? pad_id : 0;
  const size_t cells = batch.batch_size * batch.seq_len;
  batch.ids.assign(cells, pad);
  batch.type_ids.assign(cells, 0);
  batch.attention_mask.assign(cells, 0);
  batch.lengths.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const Encoding& row = rows[r];
    const auto offset = static_cast<std::ptrdiff_t>(r * batch.seq_len);
    std::copy(row.ids.begin(), row.ids.end(), batch.ids.begin() + offset);
    std::copy(row.type_ids.begin(), row.type_ids.end(), batch.type_ids.begin() + offset);
    std::copy(row.attention_mask.begin(), row.attention_mask.end(), batch.attention_mask.begin() + offset);
    batch.lengths.push_back(static_cast<int32_t>(row.size()));
  }
  return batch;
}

namespace text_internal {

Encoding build_single(const SpecialLayout& layout, const PrefixEncoder& encode, std::string_view text,
                      size_t max_length) {
  const size_t specials = layout.head.size() + layout.tail.size();
  DENSER_CHECK(max_length == 0 || max_length >= specials, ErrorCode::kInvalidArgument, layout.who, ": max_length ",
               max_length, " leaves no room for the ", specials, " special tokens of a single sequence");
  Encoding out;
  out.ids = layout.head;
  encode(text, max_length == 0 ? std::numeric_limits<size_t>::max() : max_length - specials, out.ids);
  out.ids.insert(out.ids.end(), layout.tail.begin(), layout.tail.end());
  out.type_ids.assign(out.ids.size(), 0);
  out.attention_mask.assign(out.ids.size(), 1);
  return out;
}

Encoding build_pair(const SpecialLayout& layout, const PrefixEncoder& encode, std::string_view first,
                    std::string_view second, size_t max_length) {
  const size_t specials = layout.head.size() + layout.middle.size() + layout.tail.size();
  DENSER_CHECK(max_length == 0 || max_length >= specials, ErrorCode::kInvalidArgument, layout.who, ": max_length ",
               max_length, " leaves no room for the ", specials, " special tokens of a pair");
  const size_t budget = max_length == 0 ? std::numeric_limits<size_t>::max() : max_length - specials;
  std::vector<int32_t> a;
  std::vector<int32_t> b;
  encode(first, budget, a);
  encode(second, budget, b);
  auto [la, lb] = truncate_longest_first(a.size(), b.size(), budget);
  Encoding out;
  out.ids = layout.head;
  out.ids.reserve(la + lb + specials);
  out.ids.insert(out.ids.end(), a.begin(), a.begin() + static_cast<std::ptrdiff_t>(la));
  out.ids.insert(out.ids.end(), layout.middle.begin(), layout.middle.end());
  out.type_ids.assign(out.ids.size(), 0);
  out.ids.insert(out.ids.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(lb));
  out.ids.insert(out.ids.end(), layout.tail.begin(), layout.tail.end());
  out.type_ids.resize(out.ids.size(), layout.second_type);
  out.attention_mask.assign(out.ids.size(), 1);
  return out;
}

uint32_t crc_strings(const std::vector<std::string>& strings, uint32_t crc) {
  for (const auto& s : strings) crc = crc32c(s.data(), s.size() + 1, crc);  // with its terminating 0
  return crc;
}

}  // namespace text_internal

BatchEncoding SubwordTokenizer::encode_batch(std::span<const std::string_view> texts, size_t max_length,
                                             int num_threads) const {
  std::vector<Encoding> rows(texts.size());
  parallel_for(texts.size(), num_threads, 16, [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) rows[i] = encode_single(texts[i], max_length);
  });
  return pad_encodings(rows, pad_id(), kind());
}

BatchEncoding SubwordTokenizer::encode_batch(std::span<const std::string> texts, size_t max_length,
                                             int num_threads) const {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  return encode_batch(std::span<const std::string_view>(views), max_length, num_threads);
}

BatchEncoding SubwordTokenizer::encode_pair_batch(std::span<const std::string_view> firsts,
                                                  std::span<const std::string_view> seconds, size_t max_length,
                                                  int num_threads) const {
  DENSER_CHECK(firsts.size() == seconds.size(), ErrorCode::kInvalidArgument, kind(), ": encode_pair_batch got ",
               firsts.size(), " first texts but ", seconds.size(), " second texts");
  std::vector<Encoding> rows(firsts.size());
  parallel_for(firsts.size(), num_threads, 16, [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) rows[i] = encode_pair(firsts[i], seconds[i], max_length);
  });
  return pad_encodings(rows, pad_id(), kind());
}

namespace {

/// A special token of tokenizer_config.json: a string, or an AddedToken object whose
/// "content" is the string. Keeps `value` when the key is absent or null.
void read_token(const nlohmann::json& config, const char* key, const std::string& path, std::string& value) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return;
  if (it->is_object() && it->contains("content")) {
    DENSER_CHECK((*it)["content"].is_string(), ErrorCode::kCorrupt, path, ": \"", key, "\".content is not a string");
    value = (*it)["content"].get<std::string>();
    return;
  }
  DENSER_CHECK(it->is_string(), ErrorCode::kCorrupt, path, ": \"", key,
               "\" is neither a string nor an object with \"content\"");
  value = it->get<std::string>();
}

void read_bool(const nlohmann::json& config, const char* key, const std::string& path, bool& value) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return;
  DENSER_CHECK(it->is_boolean(), ErrorCode::kCorrupt, path, ": \"", key, "\" is not true or false");
  value = it->get<bool>();
}

nlohmann::json read_config(const std::string& path) {
  if (!file_exists(path)) return nlohmann::json::object();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    DENSER_THROW(ErrorCode::kCorrupt, path, ": not valid JSON: ", e.what());
  }
  DENSER_CHECK(config.is_object(), ErrorCode::kCorrupt, path, ": expected a JSON object");
  return config;
}

}  // namespace

std::unique_ptr<SubwordTokenizer> load_tokenizer(const std::string& model_dir) {
  const std::string config_path = model_dir + "/tokenizer_config.json";
  const nlohmann::json config = read_config(config_path);
  const std::string vocab_json = model_dir + "/vocab.json";
  const std::string merges_txt = model_dir + "/merges.txt";
  if (file_exists(vocab_json) && file_exists(merges_txt)) {
    BpeOptions options;
    read_bool(config, "add_prefix_space", config_path, options.add_prefix_space);
    read_token(config, "bos_token", config_path, options.bos_token);
    read_token(config, "eos_token", config_path, options.eos_token);
    read_token(config, "unk_token", config_path, options.unk_token);
    read_token(config, "pad_token", config_path, options.pad_token);
    read_token(config, "mask_token", config_path, options.mask_token);
    return std::make_unique<ByteLevelBpe>(ByteLevelBpe::load(vocab_json, merges_txt, std::move(options)));
  }
  const std::string vocab_txt = model_dir + "/vocab.txt";
  DENSER_CHECK(file_exists(vocab_txt), ErrorCode::kNotFound, model_dir,
               ": no tokenizer files (expected vocab.txt for WordPiece, or vocab.json and merges.txt for "
               "byte-level BPE)");
  WordPieceOptions options;
  read_bool(config, "do_lower_case", config_path, options.basic.do_lower_case);
  read_bool(config, "tokenize_chinese_chars", config_path, options.basic.tokenize_chinese_chars);
  if (auto it = config.find("strip_accents"); it != config.end() && !it->is_null()) {
    bool strip = false;
    read_bool(config, "strip_accents", config_path, strip);
    options.basic.strip_accents = strip;
  }
  read_token(config, "unk_token", config_path, options.unk_token);
  read_token(config, "cls_token", config_path, options.cls_token);
  read_token(config, "sep_token", config_path, options.sep_token);
  read_token(config, "pad_token", config_path, options.pad_token);
  read_token(config, "mask_token", config_path, options.mask_token);
  return std::make_unique<WordPiece>(WordPiece::load(vocab_txt, std::move(options)));
}

}  // namespace denser
