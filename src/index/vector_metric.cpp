// What every build of the index module has, FAISS or not: the metric names and the
// fingerprint check of the VectorIndex interface.
#include "denser/common/error.h"
#include "denser/index/vector_index.h"

namespace denser {

VectorMetric parse_vector_metric(std::string_view name) {
  if (name == "ip" || name == "inner_product") return VectorMetric::kInnerProduct;
  if (name == "cosine") return VectorMetric::kCosine;
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown vector metric '", name, "'; expected 'ip' or 'cosine'");
}

const char* vector_metric_name(VectorMetric metric) { return metric == VectorMetric::kCosine ? "cosine" : "ip"; }

void VectorIndex::check_fingerprint(std::string_view expected) const {
  DENSER_CHECK(expected == fingerprint(), ErrorCode::kUnsupported,
               "model fingerprint mismatch: the index was built from vectors of model '", fingerprint(),
               "' but the queries come from model '", expected,
               "'; encode the corpus with this model and rebuild the index, or search with the index's model");
}

}  // namespace denser
