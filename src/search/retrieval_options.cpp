// The retrieval options, declared once (their table), and the names of their enums, in a
// translation unit of their own: the server's request parser (and its fuzzer) use them
// without the rest of the retriever.
#include <string_view>

#include "denser/common/error.h"
#include "denser/search/retriever.h"

namespace denser {

RetrievalMode parse_retrieval_mode(std::string_view name) {
  if (name == "dense") return RetrievalMode::kDense;
  if (name == "bm25") return RetrievalMode::kBm25;
  if (name == "hybrid") return RetrievalMode::kHybrid;
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown retrieval mode \"", name, "\" (expected dense, bm25 or hybrid)");
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
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown fusion \"", name, "\" (expected rrf or linear)");
}

const char* fusion_method_name(FusionMethod method) { return method == FusionMethod::kRrf ? "rrf" : "linear"; }

PrfMethod parse_prf_method(std::string_view name) {
  if (name == "none") return PrfMethod::kNone;
  if (name == "average") return PrfMethod::kAverage;
  if (name == "rocchio") return PrfMethod::kRocchio;
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown PRF method \"", name, "\" (expected none, average or rocchio)");
}

const char* prf_method_name(PrfMethod method) {
  switch (method) {
    case PrfMethod::kNone: return "none";
    case PrfMethod::kAverage: return "average";
    case PrfMethod::kRocchio: return "rocchio";
  }
  return "?";
}

const OptionTable<RetrievalOptions>& retrieval_option_table() {
  static const OptionTable<RetrievalOptions> table = [] {
    using O = RetrievalOptions;
    OptionTable<O> t;
    t.add("k", &O::k, "Hits returned per query").min = 1;
    t.add_enum("mode", &O::mode, parse_retrieval_mode, retrieval_mode_name, {"dense", "bm25", "hybrid"},
               "Which side ranks: the dense index, BM25, or both fused")
        .default_note = "hybrid when both sides are loaded, else the one loaded";
    t.add_enum("fusion", &O::fusion, parse_fusion_method, fusion_method_name, {"rrf", "linear"},
               "Hybrid fusion: reciprocal rank (rrf) or min-max normalized scores (linear)");
    OptionSpec& alpha = t.add("alpha", &O::alpha, "Linear fusion: weight of the dense score (BM25 gets 1 - alpha)");
    alpha.min = 0, alpha.max = 1;
    OptionSpec& rrf_k = t.add("rrf_k", &O::rrf_k, "Reciprocal rank fusion constant: score = sum of 1 / (rrf_k + rank)");
    rrf_k.min = 0, rrf_k.max = 1e6;
    t.add("fusion_depth", &O::fusion_depth, "Candidates taken from each side before fusion (raised to k)").min = 1;
    t.add_enum(
        "prf", [](O& o) -> PrfMethod& { return o.prf.method; }, parse_prf_method, prf_method_name,
        {"none", "average", "rocchio"}, "Dense pseudo relevance feedback (needs the corpus embeddings)");
    t.add(
         "prf_depth", [](O& o) -> size_t& { return o.prf.depth; },
         "Feedback documents: the top of the first dense search")
        .min = 1;
    OptionSpec& prf_alpha = t.add(
        "prf_alpha", [](O& o) -> float& { return o.prf.alpha; }, "Rocchio: weight of the query vector");
    prf_alpha.min = -10, prf_alpha.max = 10;
    OptionSpec& prf_beta = t.add(
        "prf_beta", [](O& o) -> float& { return o.prf.beta; }, "Rocchio: weight of the feedback documents' mean");
    prf_beta.min = -10, prf_beta.max = 10;
    OptionSpec& ef = t.add(
        "ef_search", [](O& o) -> int& { return o.vector_params.ef_search; },
        "HNSW: candidate list size (0: the index's default)");
    ef.min = 0, ef.max = 1 << 16;
    OptionSpec& nprobe = t.add(
        "nprobe", [](O& o) -> int& { return o.vector_params.nprobe; },
        "IVF: inverted lists visited per query (0: the index's default)");
    nprobe.min = 0, nprobe.max = 1 << 16;
    return t;
  }();
  return table;
}

}  // namespace denser
