// The vector indexes in a build without FAISS (-DDENSER_WITH_FAISS=OFF): creating or
// opening one (a sharded manifest's shards included) refuses, saying which build option
// brings them in. Embeddings files and the metric names (vector_metric.cpp) stay.
#include "denser/common/error.h"
#include "denser/index/vector_index.h"

namespace denser {
namespace {

[[noreturn]] void no_faiss(const std::string& what) {
  DENSER_THROW(ErrorCode::kUnsupported, what,
               ": this denser was built without FAISS; configure it with -DDENSER_WITH_FAISS=ON");
}

}  // namespace

std::unique_ptr<VectorIndex> VectorIndex::create(const VectorIndexOptions& options) {
  no_faiss("creating a " + options.factory + " vector index");
}

std::unique_ptr<VectorIndex> VectorIndex::open(const std::string& path) {
  no_faiss("opening the vector index " + path);
}

void set_exhaustive_batch_threshold(int) {}  // no FAISS, no threshold to set

}  // namespace denser
