#include "search_request.h"

#include <algorithm>

#include "denser/common/utf8.h"

namespace denser::serve_internal {

using json = nlohmann::json;

namespace {

const json& field(const json& body, const char* name) {
  static const json null_value;
  auto it = body.find(name);
  return it == body.end() ? null_value : *it;
}

// The query strings of "query" (one) or "queries" (a batch), each checked.
std::vector<std::string> read_queries(const json& body, const ServerLimits& limits) {
  const json& query = field(body, "query");
  const json& many = field(body, "queries");
  if (query.is_null() == many.is_null())
    reject_field(ErrorCode::kInvalidArgument, "query",
                 "give exactly one of \"query\" (a string) and \"queries\" (an array)");
  std::vector<std::string> queries;
  if (!query.is_null()) {
    if (!query.is_string()) reject_field(ErrorCode::kInvalidArgument, "query", "\"query\" must be a string");
    queries.push_back(query.get<std::string>());
  } else {
    if (!many.is_array())
      reject_field(ErrorCode::kInvalidArgument, "queries", "\"queries\" must be an array of strings");
    if (many.empty()) reject_field(ErrorCode::kInvalidArgument, "queries", "\"queries\" is empty");
    if (many.size() > limits.max_batch)
      reject_field(ErrorCode::kTooLarge, "queries",
                   "\"queries\" holds " + std::to_string(many.size()) + " queries, above the limit of " +
                       std::to_string(limits.max_batch));
    for (const json& q : many) {
      if (!q.is_string()) reject_field(ErrorCode::kInvalidArgument, "queries", "\"queries[]\" must be a string");
      queries.push_back(q.get<std::string>());
    }
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string& q = queries[i];
    const std::string name = queries.size() == 1 && !query.is_null() ? "query" : "queries[" + std::to_string(i) + "]";
    const std::string where = queries.size() == 1 ? "the query" : "query " + std::to_string(i);
    if (q.size() > limits.max_query_bytes)
      reject_field(ErrorCode::kTooLarge, name,
                   where + " is " + std::to_string(q.size()) + " bytes, above the limit of " +
                       std::to_string(limits.max_query_bytes));
    if (utf8::find_invalid(q) != std::string::npos)
      reject_field(ErrorCode::kInvalidArgument, name, where + " is not valid UTF-8");
    if (q.find_first_not_of(" \t\r\n") == std::string::npos)
      reject_field(ErrorCode::kInvalidArgument, name, where + " is empty");
  }
  return queries;
}

// "prf" as an object: {"method", "depth", "alpha", "beta"}, the same options as prf,
// prf_depth, prf_alpha and prf_beta.
void read_prf_object(const json& prf, RetrievalOptions& out) {
  const OptionTable<RetrievalOptions>& table = retrieval_option_table();
  for (const auto& item : prf.items()) {
    const std::string& key = item.key();
    const std::string name = key == "method" ? "prf" : "prf_" + key;
    if (key == "method" || key == "depth" || key == "alpha" || key == "beta")
      table.set(out, name, item.value(), "prf." + key);
    else
      reject_field(ErrorCode::kInvalidArgument, "prf." + key, "unknown field \"prf." + key + "\"");
  }
}

void check_limit(size_t value, size_t limit, const char* name) {
  if (value > limit)
    reject_field(
        ErrorCode::kTooLarge, name,
        std::string("\"") + name + "\" is " + std::to_string(value) + ", above the limit of " + std::to_string(limit));
}

}  // namespace

RetrievalOptions parse_search_request(const json& body, const ServerLimits& limits, const RetrievalOptions& defaults,
                                      const SearchCapabilities& capabilities, std::vector<std::string>& queries) {
  if (!body.is_object()) reject_field(ErrorCode::kInvalidArgument, "", "the request body must be a JSON object");
  const OptionTable<RetrievalOptions>& table = retrieval_option_table();
  RetrievalOptions out = defaults;
  out.prf = PrfOptions{};  // feedback only when the request asks for it
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    if (key == "query" || key == "queries") continue;
    if (key == "prf" && item.value().is_object()) {
      read_prf_object(item.value(), out);
    } else if (table.find(key) != nullptr) {
      table.set(out, key, item.value(), key);
    } else {
      reject_field(ErrorCode::kInvalidArgument, key, "unknown field \"" + key + "\"");
    }
  }
  queries = read_queries(body, limits);
  // The server's limits bound what a request asks for (its own defaults are the operator's).
  if (body.contains("k")) check_limit(out.k, limits.max_k, "k");
  if (body.contains("fusion_depth")) check_limit(out.fusion_depth, limits.max_k, "fusion_depth");
  const json& prf = field(body, "prf");
  if (body.contains("prf_depth") || (prf.is_object() && prf.contains("depth")))
    check_limit(out.prf.depth, limits.max_prf_depth, body.contains("prf_depth") ? "prf_depth" : "prf.depth");

  const std::vector<RetrievalMode>& modes = capabilities.modes;
  if (std::find(modes.begin(), modes.end(), out.mode) == modes.end())
    reject_field(ErrorCode::kUnsupported, "mode",
                 std::string("mode ") + retrieval_mode_name(out.mode) + " is not available on this server");
  if (out.prf.method != PrfMethod::kNone) {
    if (out.mode == RetrievalMode::kBm25)
      reject_field(ErrorCode::kUnsupported, "prf", "PRF works on the dense side; mode bm25 has none");
    if (!capabilities.has_prf)
      reject_field(ErrorCode::kUnsupported, "prf", "PRF is not available: the server was started without --embeddings");
  }
  return out;
}

RetrievalOptions parse_search_body(std::string_view body, const ServerLimits& limits, const RetrievalOptions& defaults,
                                   const SearchCapabilities& capabilities, std::vector<std::string>& queries) {
  json parsed;
  try {
    parsed = json::parse(body);
  } catch (const json::exception& e) {  // parse errors, and numbers beyond double (1e999)
    reject_field(ErrorCode::kInvalidArgument, "", std::string("the body is not valid JSON: ") + e.what());
  }
  return parse_search_request(parsed, limits, defaults, capabilities, queries);
}

}  // namespace denser::serve_internal
