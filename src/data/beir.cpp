// BEIR JSON-lines files: corpus.jsonl {"_id", "title", "text", ...} and queries.jsonl
// {"_id", "text", ...}; other keys ("metadata") are ignored.
//
// Ids: BEIR writes ids as JSON strings, but some converted collections write numbers. An
// integer id is accepted and converted to its decimal string (42 -> "42"), so it matches
// the qrels TSV, where ids are text; any other type (float, null, object) is an error.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "read_util.h"
#include "denser/data/readers.h"

namespace denser {
namespace {

using data_internal::bad_record;
using nlohmann::json;

json parse_object(std::string_view line) {
  json value;
  try {
    value = json::parse(line);
  } catch (const json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column N: ...",
    // or out_of_range.406 for a number beyond double (1e999).
    std::string what = e.what();
    size_t at = what.find("] ");
    bad_record("invalid JSON (", at == std::string::npos ? what : what.substr(at + 2),
               "); expected one JSON object per line");
  }
  if (!value.is_object()) bad_record("found a JSON ", value.type_name(), "; expected one JSON object per line");
  return value;
}

std::string id_field(const json& object, const char* kind) {
  auto it = object.find("_id");
  if (it == object.end()) bad_record("missing \"_id\"; expected {\"_id\": \"...\", ...}");
  std::string id;
  if (it->is_string()) {
    id = it->get<std::string>();
  } else if (it->is_number_integer()) {
    id = it->dump();
  } else {
    bad_record("\"_id\" is a JSON ", it->type_name(), "; expected a string (or an integer)");
  }
  data_internal::check_id(id, kind);
  return id;
}

// A missing or null optional field reads as empty; a required one must be present.
std::string text_field(const json& object, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) bad_record("missing \"", key, "\"; expected a string \"", key, "\" field");
    return {};
  }
  if (!it->is_string()) bad_record("\"", key, "\" is a JSON ", it->type_name(), "; expected a string");
  return it->get<std::string>();
}

void parse_corpus_line(std::string_view line, Document& doc) {
  json object = parse_object(line);
  doc.id = id_field(object, "document");
  doc.title = text_field(object, "title", false);
  doc.text = text_field(object, "text", true);
}

void parse_query_line(std::string_view line, Query& query) {
  json object = parse_object(line);
  query.id = id_field(object, "query");
  query.text = text_field(object, "text", true);
}

}  // namespace

std::unique_ptr<DocumentReader> open_beir_corpus(const std::string& path, ReadOptions options) {
  return data_internal::open_line_documents(path, options, parse_corpus_line);
}

std::vector<Query> read_beir_queries(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_query_lines(path, options, stats, parse_query_line);
}

}  // namespace denser
