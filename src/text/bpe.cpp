#include "denser/text/bpe.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/utf8.h"
#include "byte_level.h"
#include "special_layout.h"
#include "string_map.h"

namespace denser {

namespace text_internal {

/// The merge rules over symbol ids. Symbols are the strings that occur in merges.txt
/// (plus the 256 byte characters, whose ids are the byte values); a pair of adjacent
/// symbols maps to its rank and the symbol it merges into.
class PairRanks {
 public:
  struct Merge {
    uint32_t rank;
    uint32_t result;
  };
  PairRanks() {
    for (const auto& c : byte_level_alphabet()) symbol_id(c);
  }
  uint32_t symbol_id(std::string_view s) {
    return symbols_.value_at(symbols_.insert(s, static_cast<uint32_t>(symbols_.size())).first);
  }
  /// Returns false when the pair is already there.
  bool add(uint32_t left, uint32_t right, uint32_t rank, uint32_t result) {
    return pairs_.emplace(key(left, right), Merge{rank, result}).second;
  }
  const Merge* find(uint32_t left, uint32_t right) const {
    auto it = pairs_.find(key(left, right));
    return it == pairs_.end() ? nullptr : &it->second;
  }
  size_t num_symbols() const { return symbols_.size(); }
  std::string_view symbol(size_t id) const { return symbols_.key_at(id); }
  /// Vocabulary id of each symbol (-1: not in the vocabulary).
  std::vector<int32_t> symbol_token;

 private:
  static uint64_t key(uint32_t left, uint32_t right) { return (uint64_t{left} << 32) | right; }
  StringMap symbols_;
  std::unordered_map<uint64_t, Merge> pairs_;
};

}  // namespace text_internal

using text_internal::PairRanks;
using text_internal::StringMap;

// ------------------------------------------------------------------ files

std::vector<std::string> load_vocab_json(const std::string& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    DENSER_THROW(ErrorCode::kCorrupt, path, ": not valid JSON (expected an object token -> id): ", e.what());
  }
  DENSER_CHECK(doc.is_object() && !doc.empty(), ErrorCode::kCorrupt, path,
               ": expected a non-empty JSON object token -> id");
  std::vector<std::string> tokens(doc.size());
  std::vector<bool> seen(doc.size(), false);
  for (const auto& [token, value] : doc.items()) {
    DENSER_CHECK(value.is_number_integer(), ErrorCode::kCorrupt, path, ": the id of token '", token,
                 "' is not an integer");
    const auto id = value.get<int64_t>();
    DENSER_CHECK(id >= 0 && static_cast<size_t>(id) < tokens.size(), ErrorCode::kCorrupt, path, ": id ", id,
                 " of token '", token, "' is outside 0..", tokens.size() - 1, " (ids must be exactly 0..n-1)");
    DENSER_CHECK(!seen[static_cast<size_t>(id)], ErrorCode::kCorrupt, path, ": id ", id, " is given to both '",
                 tokens[static_cast<size_t>(id)], "' and '", token, "'");
    DENSER_CHECK(!token.empty(), ErrorCode::kCorrupt, path, ": empty token for id ", id);
    seen[static_cast<size_t>(id)] = true;
    tokens[static_cast<size_t>(id)] = token;
  }
  return tokens;
}

std::vector<BpeMerge> load_merges_txt(const std::string& path) {
  LineReader reader(path);
  std::vector<BpeMerge> merges;
  std::string line;
  while (reader.next(line)) {
    if (reader.line_number() == 1 && line.starts_with("#version")) continue;
    std::vector<std::string> parts;
    for (size_t pos = 0; pos < line.size();) {
      pos = line.find_first_not_of(" \t\r", pos);
      if (pos == std::string::npos) break;
      size_t end = std::min(line.find_first_of(" \t\r", pos), line.size());
      parts.push_back(line.substr(pos, end - pos));
      pos = end;
    }
    if (parts.empty()) continue;
    DENSER_CHECK(parts.size() == 2, ErrorCode::kCorrupt, reader.where(), ": expected a merge rule 'left right', got '",
                 line, "'");
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  return merges;
}

// ------------------------------------------------------------------ ByteLevelBpe

namespace {

std::atomic<uint64_t> next_instance_id{1};

struct SpecialToken {
  std::string_view text;
  int32_t id;
  bool lstrip;            // swallows the whitespace before it
  size_t next = 0;        // where it next occurs at or after the scan position (npos: never)
  bool searched = false;  // whether `next` is up to date
};

/// text without the Python whitespace (str.rstrip()) at its end.
std::string_view rstrip_python_space(std::string_view text) {
  size_t keep = 0;
  for (size_t pos = 0; pos < text.size();) {
    const char32_t cp = utf8::decode(text, pos);
    if (!text_internal::is_python_space(cp)) keep = pos;
  }
  return text.substr(0, keep);
}

}  // namespace

namespace {
/// Lets the cache be searched with a string_view (no key string built per lookup).
struct WordHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return text_internal::hash_bytes(s); }
};
}  // namespace

/// Word -> ids of the words a thread has encoded lately, for one tokenizer instance.
struct ByteLevelBpe::Cache {
  uint64_t owner = 0;
  std::unordered_map<std::string, std::vector<int32_t>, WordHash, std::equal_to<>> words;
};

ByteLevelBpe ByteLevelBpe::load(const std::string& vocab_json, const std::string& merges_txt, BpeOptions options) {
  return ByteLevelBpe(load_vocab_json(vocab_json), load_merges_txt(merges_txt), std::move(options));
}

ByteLevelBpe::ByteLevelBpe(std::vector<std::string> tokens, std::vector<BpeMerge> merges, BpeOptions options)
    : options_(std::move(options)),
      tokens_(std::move(tokens)),
      merges_(std::move(merges)),
      vocab_(std::make_unique<StringMap>()),
      ranks_(std::make_unique<PairRanks>()),
      instance_id_(next_instance_id.fetch_add(1)) {
  DENSER_CHECK(!tokens_.empty(), ErrorCode::kCorrupt, "ByteLevelBpe: empty vocabulary");
  DENSER_CHECK(tokens_.size() < (size_t{1} << 31), ErrorCode::kTooLarge, "ByteLevelBpe: vocabulary of ", tokens_.size(),
               " tokens is too large");
  for (size_t id = 0; id < tokens_.size(); ++id) {
    DENSER_CHECK(!tokens_[id].empty(), ErrorCode::kCorrupt, "ByteLevelBpe: token ", id, " is empty");
    auto [index, inserted] = vocab_->insert(tokens_[id], static_cast<uint32_t>(id));
    DENSER_CHECK(inserted, ErrorCode::kCorrupt, "ByteLevelBpe: duplicate token '", tokens_[id], "' at ids ",
                 vocab_->value_at(index), " and ", id);
  }
  for (size_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [left, right] = merges_[rank];
    DENSER_CHECK(!left.empty() && !right.empty(), ErrorCode::kCorrupt, "ByteLevelBpe: merge ", rank,
                 " has an empty side");
    const uint32_t l = ranks_->symbol_id(left);
    const uint32_t r = ranks_->symbol_id(right);
    const uint32_t m = ranks_->symbol_id(left + right);
    DENSER_CHECK(ranks_->add(l, r, static_cast<uint32_t>(rank), m), ErrorCode::kCorrupt, "ByteLevelBpe: merge '", left,
                 " ", right, "' (rank ", rank, ") appears twice");
  }
  ranks_->symbol_token.resize(ranks_->num_symbols());
  for (size_t s = 0; s < ranks_->num_symbols(); ++s) ranks_->symbol_token[s] = token_to_id(ranks_->symbol(s));
  unk_id_ = token_to_id(options_.unk_token);
  DENSER_CHECK(unk_id_ >= 0, ErrorCode::kCorrupt, "ByteLevelBpe: the unknown token '", options_.unk_token,
               "' is not in the vocabulary");
  bos_id_ = token_to_id(options_.bos_token);
  eos_id_ = token_to_id(options_.eos_token);
  pad_id_ = token_to_id(options_.pad_token);
  mask_id_ = token_to_id(options_.mask_token);
}

ByteLevelBpe::~ByteLevelBpe() = default;
ByteLevelBpe::ByteLevelBpe(ByteLevelBpe&&) noexcept = default;
ByteLevelBpe& ByteLevelBpe::operator=(ByteLevelBpe&&) noexcept = default;

int32_t ByteLevelBpe::token_to_id(std::string_view token) const {
  const uint32_t* id = vocab_->find(token);
  return id == nullptr ? -1 : static_cast<int32_t>(*id);
}

const std::string& ByteLevelBpe::id_to_token(int32_t id) const {
  DENSER_CHECK(id >= 0 && static_cast<size_t>(id) < tokens_.size(), ErrorCode::kInvalidArgument,
               "ByteLevelBpe: token id ", id, " out of range [0, ", tokens_.size(), ")");
  return tokens_[static_cast<size_t>(id)];
}

void ByteLevelBpe::merge_word(std::string_view word, std::vector<int32_t>& ids) const {
  // GPT-2's loop: merge every occurrence of the lowest-ranked adjacent pair, left to
  // right, until no adjacent pair has a rule.
  std::vector<uint32_t> syms(word.begin(), word.end());
  for (auto& s : syms) s &= 0xFF;  // byte value = symbol id of its character
  while (syms.size() > 1) {
    const PairRanks::Merge* best = nullptr;
    uint32_t left = 0, right = 0;
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      const PairRanks::Merge* m = ranks_->find(syms[i], syms[i + 1]);
      if (m != nullptr && (best == nullptr || m->rank < best->rank)) best = m, left = syms[i], right = syms[i + 1];
    }
    if (best == nullptr) break;
    size_t out = 0;
    for (size_t i = 0; i < syms.size(); ++out) {
      if (i + 1 < syms.size() && syms[i] == left && syms[i + 1] == right) {
        syms[out] = best->result;
        i += 2;
      } else {
        syms[out] = syms[i++];
      }
    }
    syms.resize(out);
  }
  for (uint32_t s : syms) {
    const int32_t id = ranks_->symbol_token[s];
    ids.push_back(id >= 0 ? id : unk_id_);
  }
}

void ByteLevelBpe::encode_word(std::string_view word, Cache& cache, std::vector<int32_t>& ids) const {
  constexpr size_t kMaxCachedWords = 1 << 16;
  constexpr size_t kMaxCachedBytes = 64;  // long words are rare: not worth the memory
  if (word.size() > kMaxCachedBytes) return merge_word(word, ids);
  auto it = cache.words.find(word);
  if (it == cache.words.end()) {
    if (cache.words.size() >= kMaxCachedWords) cache.words.clear();
    std::vector<int32_t> pieces;
    merge_word(word, pieces);
    it = cache.words.emplace(std::string(word), std::move(pieces)).first;
  }
  ids.insert(ids.end(), it->second.begin(), it->second.end());
}

void ByteLevelBpe::encode_plain(std::string_view text, size_t limit, Cache& cache, std::vector<int32_t>& ids) const {
  for (size_t pos = 0; pos < text.size() && ids.size() < limit;) {
    const size_t end = text_internal::next_pretoken_end(text, pos);
    encode_word(text.substr(pos, end - pos), cache, ids);
    pos = end;
  }
}

void ByteLevelBpe::encode_prefix(std::string_view text, size_t max_ids, std::vector<int32_t>& ids) const {
  std::string prefixed;
  if (options_.add_prefix_space && !text.empty()) {
    size_t pos = 0;
    if (!text_internal::is_python_space(utf8::decode(text, pos))) {
      prefixed.reserve(text.size() + 1);
      prefixed.push_back(' ');
      prefixed.append(text);
      text = prefixed;
    }
  }
  // One cache per thread, emptied when the thread moves to another tokenizer.
  thread_local Cache cache;
  if (cache.owner != instance_id_) {
    cache.words.clear();
    cache.owner = instance_id_;
  }
  const size_t limit = ids.size() + std::min(max_ids, std::numeric_limits<size_t>::max() - ids.size());
  std::vector<SpecialToken> specials;
  if (options_.split_special_tokens) {
    for (const std::string* s :
         {&options_.bos_token, &options_.pad_token, &options_.eos_token, &options_.unk_token, &options_.mask_token}) {
      const int32_t id = token_to_id(*s);
      if (id >= 0) specials.push_back({*s, id, s == &options_.mask_token});
    }
  }
  // Cut the text at the special tokens (the leftmost; the longest of those starting there).
  for (size_t seg = 0; ids.size() < limit;) {
    SpecialToken* hit = nullptr;
    for (auto& special : specials) {
      if (!special.searched || (special.next != std::string_view::npos && special.next < seg)) {
        special.next = text.find(special.text, seg);
        special.searched = true;
      }
      if (special.next == std::string_view::npos) continue;
      if (hit == nullptr || special.next < hit->next ||
          (special.next == hit->next && special.text.size() > hit->text.size()))
        hit = &special;
    }
    const size_t at = hit == nullptr ? text.size() : hit->next;
    std::string_view piece = text.substr(seg, at - seg);
    if (hit != nullptr && hit->lstrip) piece = rstrip_python_space(piece);
    encode_plain(piece, limit, cache, ids);
    if (hit == nullptr) break;
    if (ids.size() < limit) ids.push_back(hit->id);
    seg = at + hit->text.size();
  }
  if (ids.size() > limit) ids.resize(limit);
}

void ByteLevelBpe::encode(std::string_view text, std::vector<int32_t>& ids) const {
  encode_prefix(text, std::numeric_limits<size_t>::max(), ids);
}

std::vector<std::string> ByteLevelBpe::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  for (int32_t id : encode(text)) out.push_back(id_to_token(id));
  return out;
}

int32_t ByteLevelBpe::required_id(int32_t id, const std::string& name) const {
  DENSER_CHECK(id >= 0, ErrorCode::kUnsupported, "ByteLevelBpe: the special token '", name,
               "' is not in the vocabulary");
  return id;
}

text_internal::SpecialLayout ByteLevelBpe::layout() const {
  const int32_t bos = required_id(bos_id_, options_.bos_token);
  const int32_t eos = required_id(eos_id_, options_.eos_token);
  return {{bos}, {eos, eos}, {eos}, 0, "ByteLevelBpe"};
}

Encoding ByteLevelBpe::encode_single(std::string_view text, size_t max_length) const {
  return text_internal::build_single(
      layout(), [this](std::string_view t, size_t n, std::vector<int32_t>& ids) { encode_prefix(t, n, ids); }, text,
      max_length);
}

Encoding ByteLevelBpe::encode_pair(std::string_view first, std::string_view second, size_t max_length) const {
  return text_internal::build_pair(
      layout(), [this](std::string_view t, size_t n, std::vector<int32_t>& ids) { encode_prefix(t, n, ids); }, first,
      second, max_length);
}

namespace {

/// Byte of each character of the byte-level alphabet, by code point (-1: not in it).
const std::vector<int>& alphabet_bytes() {
  static const std::vector<int> table = [] {
    std::vector<int> t(512, -1);
    const auto& alphabet = byte_level_alphabet();
    for (int b = 0; b < 256; ++b) {
      size_t pos = 0;
      t[utf8::decode(alphabet[static_cast<size_t>(b)], pos)] = b;
    }
    return t;
  }();
  return table;
}

/// Length of the longest prefix of s[pos..] that could start a well-formed UTF-8
/// sequence (at least 1): what one U+FFFD replaces, as Python's errors="replace".
size_t invalid_run(std::string_view s, size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  const size_t len = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 1;
  size_t n = 1;
  for (; n < len && pos + n < s.size(); ++n) {
    const auto b = static_cast<unsigned char>(s[pos + n]);
    unsigned char lo = 0x80, hi = 0xBF;
    if (n == 1 && b0 == 0xE0) lo = 0xA0;
    if (n == 1 && b0 == 0xED) hi = 0x9F;
    if (n == 1 && b0 == 0xF0) lo = 0x90;
    if (n == 1 && b0 == 0xF4) hi = 0x8F;
    if (b < lo || b > hi) break;
  }
  return n;
}

}  // namespace

std::string ByteLevelBpe::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const auto& bytes_of = alphabet_bytes();
  std::string raw;
  for (int32_t id : ids) {
    const std::string& token = id_to_token(id);
    if (skip_special_tokens && (id == unk_id_ || id == bos_id_ || id == eos_id_ || id == pad_id_ || id == mask_id_))
      continue;
    for (size_t pos = 0; pos < token.size();) {
      const size_t start = pos;
      const char32_t cp = utf8::decode(token, pos);
      if (cp < bytes_of.size() && bytes_of[cp] >= 0)
        raw.push_back(static_cast<char>(bytes_of[cp]));
      else  // not a byte character (an added token): keep it as written
        raw.append(token, start, pos - start);
    }
  }
  std::string text;
  text.reserve(raw.size());
  for (size_t pos = 0; pos < raw.size();) {
    const size_t start = pos;
    if (utf8::decode(raw, pos) != utf8::kInvalid) {
      text.append(raw, start, pos - start);
    } else {
      utf8::append(text, 0xFFFD);
      pos = start + invalid_run(raw, start);
    }
  }
  return text;
}

uint32_t ByteLevelBpe::fingerprint() const {
  std::vector<std::string> settings = {"bpe",
                                       options_.bos_token,
                                       options_.eos_token,
                                       options_.unk_token,
                                       options_.pad_token,
                                       options_.mask_token,
                                       str(options_.add_prefix_space, options_.split_special_tokens)};
  uint32_t crc = text_internal::crc_strings(tokens_, text_internal::crc_strings(settings, 0));
  for (const auto& [left, right] : merges_) crc = text_internal::crc_strings({left, right}, crc);
  return crc;
}

void ByteLevelBpe::save(const std::string& dir) const {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t id = 0; id < tokens_.size(); ++id) vocab[tokens_[id]] = id;
  write_file_atomic(dir + "/vocab.json", vocab.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string merges = "#version: 0.2\n";
  for (const auto& [left, right] : merges_) {
    DENSER_CHECK(
        left.find_first_of(" \t\r\n") == std::string::npos && right.find_first_of(" \t\r\n") == std::string::npos,
        ErrorCode::kUnsupported, "ByteLevelBpe: merge '", left, "' '", right,
        "' contains whitespace and cannot be saved");
    merges += left + " " + right + "\n";
  }
  write_file_atomic(dir + "/merges.txt", merges);
  nlohmann::ordered_json config = {
      {"tokenizer_class", "RobertaTokenizer"}, {"add_prefix_space", options_.add_prefix_space},
      {"bos_token", options_.bos_token},       {"eos_token", options_.eos_token},
      {"unk_token", options_.unk_token},       {"pad_token", options_.pad_token},
      {"mask_token", options_.mask_token}};
  write_file_atomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace denser
