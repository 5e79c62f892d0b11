// The names of the retrieval options' enums, in a translation unit of their own: the
// server's request parser (and its fuzzer) use them without the rest of the retriever.
#include <string_view>

#include "denser/common/error.h"
#include "denser/search/retriever.h"

namespace denser {

RetrievalMode parse_retrieval_mode(std::string_view name) {
  if (name == "dense") return RetrievalMode::kDense;
  if (name == "bm25") return RetrievalMode::kBm25;
  if (name == "hybrid") return RetrievalMode::kHybrid;
  DENSER_THROW("unknown retrieval mode \"", name, "\" (expected dense, bm25 or hybrid)");
}

const char* retrieval_mode_name(RetrievalMode mode) {
  switch (mode) {
    case RetrievalMode::kDense: return "dense";
    case RetrievalMode::kBm25: return "bm25";
    case RetrievalMode::kHybrid: return "hybrid";
  }
  return "?";
}

FusionMethod parse_fusion_method(std::string_view name) {
  if (name == "rrf") return FusionMethod::kRrf;
  if (name == "linear") return FusionMethod::kLinear;
  DENSER_THROW("unknown fusion \"", name, "\" (expected rrf or linear)");
}

const char* fusion_method_name(FusionMethod method) { return method == FusionMethod::kRrf ? "rrf" : "linear"; }

PrfMethod parse_prf_method(std::string_view name) {
  if (name == "none") return PrfMethod::kNone;
  if (name == "average") return PrfMethod::kAverage;
  if (name == "rocchio") return PrfMethod::kRocchio;
  DENSER_THROW("unknown PRF method \"", name, "\" (expected none, average or rocchio)");
}

const char* prf_method_name(PrfMethod method) {
  switch (method) {
    case PrfMethod::kNone: return "none";
    case PrfMethod::kAverage: return "average";
    case PrfMethod::kRocchio: return "rocchio";
  }
  return "?";
}

}  // namespace denser
