#include "read_util.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "denser/common/error.h"
#include "denser/common/utf8.h"
#include "denser/common/log.h"

namespace denser::data_internal {

void check_utf8(std::string_view line) {
  size_t bad = utf8::find_invalid(line);
  if (bad == std::string_view::npos) return;
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(line[bad])));
  bad_record("invalid UTF-8 at byte ", bad + 1, " of the line (byte ", hex, "); expected UTF-8 text");
}

void check_id(std::string_view id, const char* kind) {
  if (id.empty()) bad_record("empty ", kind, " id; expected a non-empty id");
  for (unsigned char c : id) {
    if (c <= 0x20 || c == 0x7F)
      bad_record(kind, " id \"", id,
                 "\" contains whitespace or a control character; expected an id "
                 "without them (ids are written into whitespace-separated TREC files)");
  }
}

int parse_int(std::string_view field, const char* what) {
  int value = 0;
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (field.empty() || ec != std::errc() || ptr != end)
    bad_record("bad ", what, " \"", field, "\"; expected an integer");
  return value;
}

std::string canonical_number(std::string_view id) {
  if (id.empty()) return std::string(id);
  for (char c : id)
    if (c < '0' || c > '9') return std::string(id);
  size_t first = id.find_first_not_of('0');
  return first == std::string_view::npos ? std::string("0") : std::string(id.substr(first));
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

bool starts_with_number_line(const std::string& path) {
  LineReader lines(path);
  std::string line;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    auto f = split_whitespace(line);
    return f.size() == 1 && f[0].find_first_not_of("0123456789") == std::string_view::npos;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

void SkipPolicy::skip(const std::string& where, const std::string& what) {
  if (!options_.lenient) DENSER_THROW(ErrorCode::kCorrupt, where, ": ", what);
  ++num_skipped_;
  if (stats_ != nullptr) ++stats_->num_skipped;
  if (num_skipped_ <= kMaxWarnings) DENSER_LOG_WARN(where, ": skipped: ", what);
  if (num_skipped_ == kMaxWarnings + 1)
    DENSER_LOG_WARN(where, ": more malformed records; further warnings for this file are suppressed");
}

void SkipPolicy::summarize(const std::string& path) const {
  if (num_skipped_ > 0) DENSER_LOG_WARN(path, ": skipped ", num_skipped_, " malformed records (lenient mode)");
}

}  // namespace denser::data_internal

namespace denser::data_internal {

void IdTracker::claim(const std::string& id, uint64_t line) {
  auto [it, inserted] = first_line_.emplace(id, line);
  if (!inserted)
    bad_record("duplicate ", kind_, " id \"", id, "\" (first seen at line ", it->second, "); expected unique ids");
}

namespace {

class LineDocumentReader : public DocumentReaderBase {
 public:
  LineDocumentReader(const std::string& path, ReadOptions options, DocumentLineParser parse)
      : DocumentReaderBase(path, options), lines_(path), parse_(parse) {}

  bool next(Document& doc) override {
    while (lines_.next(line_)) {
      if (is_blank(line_)) continue;
      try {
        check_utf8(line_);
        parse_(line_, doc);
        accept(doc, lines_.line_number());
        return true;
      } catch (const BadRecord& e) {
        reject(lines_.where(), e.what);
      }
    }
    return end();
  }
  uint64_t bytes_read() const override { return lines_.bytes_read(); }

 private:
  LineReader lines_;
  DocumentLineParser parse_;
  std::string line_;
};

}  // namespace

std::unique_ptr<DocumentReader> open_line_documents(const std::string& path, ReadOptions options,
                                                    DocumentLineParser parse) {
  return std::make_unique<LineDocumentReader>(path, options, parse);
}

std::vector<Query> read_query_lines(const std::string& path, ReadOptions options, ReadStats* stats,
                                    QueryLineParser parse) {
  LineReader lines(path);
  SkipPolicy policy(options, stats);
  IdTracker ids("query");
  std::vector<Query> queries;
  std::string line;
  Query query;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    try {
      check_utf8(line);
      parse(line, query);
      if (is_blank(query.text)) bad_record("query \"", query.id, "\" has empty text; expected query text");
      ids.claim(query.id, lines.line_number());
      queries.push_back(std::move(query));
      if (stats != nullptr) ++stats->num_records;
    } catch (const BadRecord& e) {
      policy.skip(lines.where(), e.what);
    }
  }
  policy.summarize(path);
  return queries;
}

}  // namespace denser::data_internal
