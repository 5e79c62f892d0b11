#include "denser/text/wordpiece.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/utf8.h"
#include "special_layout.h"
#include "string_map.h"

namespace denser {

using text_internal::StringMap;

std::vector<std::string> load_vocab_txt(const std::string& path) {
  LineReader reader(path);
  std::vector<std::string> tokens;
  StringMap seen;
  std::string line;
  while (reader.next(line)) {
    DENSER_CHECK(!line.empty(), ErrorCode::kCorrupt, reader.where(),
                 ": empty line in vocabulary (expected one token per line)");
    auto [index, inserted] = seen.insert(line, static_cast<uint32_t>(reader.line_number()));
    DENSER_CHECK(inserted, ErrorCode::kCorrupt, reader.where(), ": duplicate token '", line, "' (first at line ",
                 seen.value_at(index), ")");
    tokens.push_back(line);
  }
  DENSER_CHECK(!tokens.empty(), ErrorCode::kCorrupt, path, ": empty vocabulary file (expected one token per line)");
  return tokens;
}

void save_vocab_txt(const std::string& path, const std::vector<std::string>& tokens) {
  AtomicFileWriter writer(path);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& token = tokens[i];
    DENSER_CHECK(!token.empty() && token.find_first_of("\r\n") == std::string::npos, ErrorCode::kUnsupported, path,
                 ": token ", i, " is empty or contains a line break and cannot be written to a vocab.txt");
    writer.write(token);
    writer.write("\n");
  }
  writer.commit();
}

// ------------------------------------------------------------------ WordPiece

WordPiece WordPiece::load(const std::string& vocab_path, WordPieceOptions options) {
  return WordPiece(load_vocab_txt(vocab_path), std::move(options));
}

WordPiece::WordPiece(std::vector<std::string> tokens, WordPieceOptions options)
    : options_(std::move(options)),
      basic_(options_.basic),
      tokens_(std::move(tokens)),
      whole_(std::make_unique<StringMap>()),
      continuation_(std::make_unique<StringMap>()) {
  DENSER_CHECK(!tokens_.empty(), ErrorCode::kCorrupt, "WordPiece: empty vocabulary");
  DENSER_CHECK(tokens_.size() < (size_t{1} << 31), ErrorCode::kTooLarge, "WordPiece: vocabulary of ", tokens_.size(),
               " tokens is too large");
  const std::string& prefix = options_.continuation_prefix;
  for (size_t id = 0; id < tokens_.size(); ++id) {
    const std::string& token = tokens_[id];
    DENSER_CHECK(!token.empty(), ErrorCode::kCorrupt, "WordPiece: token ", id, " is empty");
    auto [index, inserted] = whole_->insert(token, static_cast<uint32_t>(id));
    DENSER_CHECK(inserted, ErrorCode::kCorrupt, "WordPiece: duplicate token '", token, "' at ids ",
                 whole_->value_at(index), " and ", id);
    max_whole_bytes_ = std::max(max_whole_bytes_, token.size());
    if (!prefix.empty() && token.size() > prefix.size() && token.starts_with(prefix)) {
      continuation_->insert(std::string_view(token).substr(prefix.size()), static_cast<uint32_t>(id));
      max_continuation_bytes_ = std::max(max_continuation_bytes_, token.size() - prefix.size());
    }
  }
  unk_id_ = token_to_id(options_.unk_token);
  DENSER_CHECK(unk_id_ >= 0, ErrorCode::kCorrupt, "WordPiece: the unknown token '", options_.unk_token,
               "' is not in the vocabulary");
  cls_id_ = token_to_id(options_.cls_token);
  sep_id_ = token_to_id(options_.sep_token);
  pad_id_ = token_to_id(options_.pad_token);
  mask_id_ = token_to_id(options_.mask_token);
  for (const auto& token : options_.basic.never_split)
    if (token.find_first_of(" \t\n\r") != std::string::npos) chunking_safe_ = false;
}

WordPiece::~WordPiece() = default;
WordPiece::WordPiece(WordPiece&&) noexcept = default;
WordPiece& WordPiece::operator=(WordPiece&&) noexcept = default;

int32_t WordPiece::token_to_id(std::string_view token) const {
  const uint32_t* id = whole_->find(token);
  return id == nullptr ? -1 : static_cast<int32_t>(*id);
}

const std::string& WordPiece::id_to_token(int32_t id) const {
  DENSER_CHECK(id >= 0 && static_cast<size_t>(id) < tokens_.size(), ErrorCode::kInvalidArgument, "WordPiece: token id ",
               id, " out of range [0, ", tokens_.size(), ")");
  return tokens_[static_cast<size_t>(id)];
}

void WordPiece::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.size() > options_.max_input_chars_per_word &&
      utf8::count_code_points(word) > options_.max_input_chars_per_word) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t mark = ids.size();
  auto boundary = [&](size_t pos) { return pos >= word.size() || !utf8::is_continuation(word[pos]); };
  // Greedy longest match first: the longest vocabulary piece at `start`, then on from its end.
  for (size_t start = 0; start < word.size();) {
    const StringMap& table = start == 0 ? *whole_ : *continuation_;
    size_t end = std::min(word.size(), start + (start == 0 ? max_whole_bytes_ : max_continuation_bytes_));
    while (end > start && !boundary(end)) --end;
    const uint32_t* found = nullptr;
    while (end > start) {
      found = table.find(word.substr(start, end - start));
      if (found != nullptr) break;
      do --end;
      while (end > start && !boundary(end));
    }
    if (found == nullptr) {  // no segmentation: the whole word is unknown
      ids.resize(mark);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(static_cast<int32_t>(*found));
    start = end;
  }
}

void WordPiece::append_token_ids(const TokenList& tokens, size_t size_limit, std::vector<int32_t>& ids) const {
  for (size_t i = 0; i < tokens.size() && ids.size() < size_limit; ++i) {
    if (tokens.is_special(i)) {
      int32_t id = token_to_id(tokens[i]);
      ids.push_back(id >= 0 ? id : unk_id_);
    } else {
      encode_word(tokens[i], ids);
    }
  }
  if (ids.size() > size_limit) ids.resize(size_limit);
}

void WordPiece::encode_prefix(std::string_view text, size_t max_ids, std::vector<int32_t>& ids) const {
  // Long texts go through the basic tokenizer in pieces cut at ASCII whitespace, which
  // ends words and cannot be inside a special token or a UTF-8 sequence, so the pieces
  // give exactly the tokens of the whole text; we stop as soon as max_ids are found.
  constexpr size_t kChunkBytes = 16 * 1024;
  const size_t limit = ids.size() + std::min(max_ids, std::numeric_limits<size_t>::max() - ids.size());
  TokenList tokens;
  for (size_t pos = 0; pos < text.size() && ids.size() < limit;) {
    size_t end = text.size();
    if (chunking_safe_ && max_ids != std::numeric_limits<size_t>::max() && end - pos > kChunkBytes) {
      end = pos + kChunkBytes;
      auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
      while (end < text.size() && !is_space(text[end])) ++end;
    }
    tokens.clear();
    basic_.tokenize(text.substr(pos, end - pos), tokens);
    append_token_ids(tokens, limit, ids);
    pos = end;
  }
}

void WordPiece::encode(std::string_view text, std::vector<int32_t>& ids) const {
  encode_prefix(text, std::numeric_limits<size_t>::max(), ids);
}

std::vector<int32_t> WordPiece::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  encode(text, ids);
  return ids;
}

std::vector<std::string> WordPiece::tokenize(std::string_view text) const { return decode_tokens(encode(text)); }

int32_t WordPiece::required_id(int32_t id, const std::string& name) const {
  DENSER_CHECK(id >= 0, ErrorCode::kUnsupported, "WordPiece: the special token '", name, "' is not in the vocabulary");
  return id;
}

text_internal::SpecialLayout WordPiece::layout() const {
  const int32_t cls = required_id(cls_id_, options_.cls_token);
  const int32_t sep = required_id(sep_id_, options_.sep_token);
  return {{cls}, {sep}, {sep}, 1, "WordPiece"};
}

Encoding WordPiece::encode_single(std::string_view text, size_t max_length) const {
  return text_internal::build_single(
      layout(), [this](std::string_view t, size_t n, std::vector<int32_t>& ids) { encode_prefix(t, n, ids); }, text,
      max_length);
}

Encoding WordPiece::encode_pair(std::string_view first, std::string_view second, size_t max_length) const {
  return text_internal::build_pair(
      layout(), [this](std::string_view t, size_t n, std::vector<int32_t>& ids) { encode_prefix(t, n, ids); }, first,
      second, max_length);
}

std::vector<std::string> WordPiece::decode_tokens(std::span<const int32_t> ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int32_t id : ids) out.push_back(id_to_token(id));
  return out;
}

std::string WordPiece::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const std::string& prefix = options_.continuation_prefix;
  std::string text;
  for (int32_t id : ids) {
    const std::string& token = id_to_token(id);
    if (skip_special_tokens && (id == unk_id_ || id == cls_id_ || id == sep_id_ || id == pad_id_ || id == mask_id_))
      continue;
    if (text.empty()) {
      text = token;
    } else if (!prefix.empty() && token.starts_with(prefix)) {
      text.append(token, prefix.size());
    } else {
      text.push_back(' ');
      text.append(token);
    }
  }
  return text;
}

uint32_t WordPiece::fingerprint() const {
  const BasicTokenizerOptions& basic = options_.basic;
  std::vector<std::string> settings = {
      "wordpiece",
      options_.unk_token,
      options_.cls_token,
      options_.sep_token,
      options_.pad_token,
      options_.mask_token,
      options_.continuation_prefix,
      std::to_string(options_.max_input_chars_per_word),
      str(basic.do_lower_case, basic.strip_accents.has_value() ? int{*basic.strip_accents} : -1,
          basic.tokenize_chinese_chars, basic.drop_all_other_categories)};
  settings.insert(settings.end(), basic.never_split.begin(), basic.never_split.end());
  return text_internal::crc_strings(tokens_, text_internal::crc_strings(settings, 0));
}

void WordPiece::save(const std::string& dir) const {
  save_vocab_txt(dir + "/vocab.txt", tokens_);
  const BasicTokenizerOptions& basic = options_.basic;
  nlohmann::ordered_json config = {
      {"tokenizer_class", "BertTokenizer"}, {"do_lower_case", basic.do_lower_case},
      {"strip_accents", nullptr},           {"tokenize_chinese_chars", basic.tokenize_chinese_chars},
      {"unk_token", options_.unk_token},    {"cls_token", options_.cls_token},
      {"sep_token", options_.sep_token},    {"pad_token", options_.pad_token},
      {"mask_token", options_.mask_token}};
  if (basic.strip_accents.has_value()) config["strip_accents"] = *basic.strip_accents;
  write_file_atomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace denser
