// The body of POST /search: every malformed body must be a BadRequest (4xx) naming the
// problem; any other exception would be a 500.
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
      RetrievalOptions options = serve_internal::parse_search_body(fuzz::as_text(data, size), limits, defaults,
                                                                   capabilities, queries);
      if (queries.empty() || queries.size() > limits.max_batch || options.k == 0 || options.k > limits.max_k)
        std::abort();  // accepted, but outside what the parser promises
    } catch (const serve_internal::BadRequest& e) {
      if (e.status < 400 || e.status > 499 || e.message.empty()) std::abort();
    }
  }
  return 0;
}
