// The body of POST /search: every malformed body must be a denser::Error whose category
// maps to a 4xx status, with a message; any other exception (or a 5xx category) would be
// answered 500.
#include "fuzz_support.h"
#include "serve/search_request.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ServerLimits limits;
  RetrievalOptions defaults;
  const serve_internal::SearchCapabilities caps[] = {
      {{RetrievalMode::kDense, RetrievalMode::kBm25, RetrievalMode::kHybrid}, true}, {{RetrievalMode::kBm25}, false}};
  for (const auto& capabilities : caps) {
    std::vector<std::string> queries;
    try {
      RetrievalOptions options =
          serve_internal::parse_search_body(fuzz::as_text(data, size), limits, defaults, capabilities, queries);
      if (queries.empty() || queries.size() > limits.max_batch || options.k == 0 || options.k > limits.max_k)
        std::abort();  // accepted, but outside what the parser promises
    } catch (const Error& e) {
      const int status = http_status(e.code());
      if (status < 400 || status > 499 || std::string_view(e.what()).empty()) std::abort();
    }
  }
  return 0;
}
