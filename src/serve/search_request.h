#pragma once
// The body of POST /search, parsed and checked against the server's limits: every way a
// client can get it wrong is a denser::Error naming the field (invalid argument: 400, too
// large: 413, unsupported by this server: 422). The options are read through the retrieval
// options' table (retrieval_option_table), as the CLI's flags are. Free of the HTTP
// library and of the retriever, so that a fuzzer can drive it with arbitrary bytes.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "denser/search/retriever.h"
#include "denser/serve/server.h"
#include "bad_request.h"

namespace denser::serve_internal {

/// What the retriever behind the server can do (modes with an index, PRF or not).
struct SearchCapabilities {
  std::vector<RetrievalMode> modes;
  bool has_prf = false;
};

/// The options of one parsed request; `queries` receives its query strings (one or more).
RetrievalOptions parse_search_request(const nlohmann::json& body, const ServerLimits& limits,
                                      const RetrievalOptions& defaults, const SearchCapabilities& capabilities,
                                      std::vector<std::string>& queries);

/// The same from the raw body text (invalid JSON, and numbers beyond double such as 1e999,
/// are 400).
RetrievalOptions parse_search_body(std::string_view body, const ServerLimits& limits, const RetrievalOptions& defaults,
                                   const SearchCapabilities& capabilities, std::vector<std::string>& queries);

}  // namespace denser::serve_internal
