#include "serve/search_request.h"

#include <algorithm>
#include <set>

#include "denser/common/utf8.h"

namespace denser::serve_internal {

using json = nlohmann::json;

namespace {

const json& field(const json& body, const char* name) {
  static const json null_value;
  auto it = body.find(name);
  return it == body.end() ? null_value : *it;
}

size_t positive_int(const json& value, const char* name, size_t max) {
  if (!value.is_number_integer()) reject(400, std::string("\"") + name + "\" must be an integer");
  if (value.is_number_unsigned() ? value.get<uint64_t>() == 0 : value.get<int64_t>() <= 0)
    reject(400, std::string("\"") + name + "\" must be positive");
  uint64_t v = value.get<uint64_t>();
  if (v > max) reject(400, std::string("\"") + name + "\" is " + std::to_string(v) + ", above the limit of " +
                               std::to_string(max));
  return static_cast<size_t>(v);
}

double number_in(const json& value, const char* name, double lo, double hi) {
  if (!value.is_number()) reject(400, std::string("\"") + name + "\" must be a number");
  double v = value.get<double>();
  if (!(v >= lo && v <= hi)) reject(400, std::string("\"") + name + "\" must lie in [" + json(lo).dump() + ", " +
                                             json(hi).dump() + "]");
  return v;
}

std::string string_field(const json& value, const char* name) {
  if (!value.is_string()) reject(400, std::string("\"") + name + "\" must be a string");
  return value.get<std::string>();
}

}  // namespace

RetrievalOptions parse_search_request(const json& body, const ServerLimits& limits, const RetrievalOptions& defaults,
                                      const SearchCapabilities& capabilities, std::vector<std::string>& queries) {
  static const std::set<std::string> known{"query", "queries", "k", "mode", "fusion", "alpha", "prf", "rrf_k",
                                           "fusion_depth"};
  if (!body.is_object()) reject(400, "the request body must be a JSON object");
  for (const auto& item : body.items())
    if (known.count(item.key()) == 0) reject(400, "unknown field \"" + item.key() + "\"");

  const json& query = field(body, "query");
  const json& many = field(body, "queries");
  if (query.is_null() == many.is_null()) reject(400, "give exactly one of \"query\" (a string) and \"queries\" (an array)");
  if (!query.is_null()) {
    queries.push_back(string_field(query, "query"));
  } else {
    if (!many.is_array()) reject(400, "\"queries\" must be an array of strings");
    if (many.empty()) reject(400, "\"queries\" is empty");
    if (many.size() > limits.max_batch)
      reject(413, "\"queries\" holds " + std::to_string(many.size()) + " queries, above the limit of " +
                      std::to_string(limits.max_batch));
    for (const json& q : many) queries.push_back(string_field(q, "queries[]"));
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string& q = queries[i];
    std::string where = queries.size() == 1 ? "the query" : "query " + std::to_string(i);
    if (q.size() > limits.max_query_bytes)
      reject(413, where + " is " + std::to_string(q.size()) + " bytes, above the limit of " +
                      std::to_string(limits.max_query_bytes));
    if (utf8::find_invalid(q) != std::string::npos) reject(400, where + " is not valid UTF-8");
    if (q.find_first_not_of(" \t\r\n") == std::string::npos) reject(400, where + " is empty");
  }

  RetrievalOptions out = defaults;
  if (const json& k = field(body, "k"); !k.is_null()) out.k = positive_int(k, "k", limits.max_k);
  if (const json& mode = field(body, "mode"); !mode.is_null()) {
    std::string name = string_field(mode, "mode");
    if (name != "dense" && name != "bm25" && name != "hybrid")
      reject(400, "unknown mode \"" + name + "\" (expected dense, bm25 or hybrid)");
    out.mode = parse_retrieval_mode(name);
  }
  const std::vector<RetrievalMode>& modes = capabilities.modes;
  if (std::find(modes.begin(), modes.end(), out.mode) == modes.end())
    reject(400, std::string("mode ") + retrieval_mode_name(out.mode) + " is not available on this server");
  if (const json& fusion = field(body, "fusion"); !fusion.is_null()) {
    std::string name = string_field(fusion, "fusion");
    if (name != "rrf" && name != "linear") reject(400, "unknown fusion \"" + name + "\" (expected rrf or linear)");
    out.fusion = parse_fusion_method(name);
  }
  if (const json& alpha = field(body, "alpha"); !alpha.is_null()) out.alpha = number_in(alpha, "alpha", 0, 1);
  if (const json& rrf_k = field(body, "rrf_k"); !rrf_k.is_null()) out.rrf_k = number_in(rrf_k, "rrf_k", 0, 1e6);
  if (const json& depth = field(body, "fusion_depth"); !depth.is_null())
    out.fusion_depth = positive_int(depth, "fusion_depth", limits.max_k);
  out.prf = PrfOptions{};
  if (const json& prf = field(body, "prf"); !prf.is_null()) {
    std::string method;
    if (prf.is_string()) {
      method = prf.get<std::string>();
    } else if (prf.is_object()) {
      static const std::set<std::string> prf_known{"method", "depth", "alpha", "beta"};
      for (const auto& item : prf.items())
        if (prf_known.count(item.key()) == 0) reject(400, "unknown field \"prf." + item.key() + "\"");
      method = string_field(field(prf, "method"), "prf.method");
      if (const json& d = field(prf, "depth"); !d.is_null()) out.prf.depth = positive_int(d, "prf.depth", limits.max_prf_depth);
      if (const json& a = field(prf, "alpha"); !a.is_null()) out.prf.alpha = static_cast<float>(number_in(a, "prf.alpha", -10, 10));
      if (const json& b = field(prf, "beta"); !b.is_null()) out.prf.beta = static_cast<float>(number_in(b, "prf.beta", -10, 10));
    } else {
      reject(400, "\"prf\" must be a method name or an object {\"method\", \"depth\", \"alpha\", \"beta\"}");
    }
    if (method != "none" && method != "average" && method != "rocchio")
      reject(400, "unknown PRF method \"" + method + "\" (expected none, average or rocchio)");
    out.prf.method = parse_prf_method(method);
    if (out.prf.method != PrfMethod::kNone) {
      if (out.mode == RetrievalMode::kBm25) reject(400, "PRF works on the dense side; mode bm25 has none");
      if (!capabilities.has_prf) reject(400, "PRF is not available: the server was started without --embeddings");
    }
  }
  return out;
}

RetrievalOptions parse_search_body(std::string_view body, const ServerLimits& limits, const RetrievalOptions& defaults,
                                   const SearchCapabilities& capabilities, std::vector<std::string>& queries) {
  json parsed;
  try {
    parsed = json::parse(body);
  } catch (const json::exception& e) {  // parse errors, and numbers beyond double (1e999)
    reject(400, std::string("the body is not valid JSON: ") + e.what());
  }
  return parse_search_request(parsed, limits, defaults, capabilities, queries);
}

}  // namespace denser::serve_internal
