// Helpers for tests and benchmarks (see vector_index.h): synthetic clustered vectors and
// recall@k of an approximate index against an exact one.
#include <algorithm>
#include <random>
#include <unordered_set>

#include "denser/common/error.h"
#include "denser/index/vector_index.h"

namespace denser {

std::vector<float> make_clustered_vectors(size_t n, uint32_t dim, size_t num_clusters, float noise, uint64_t seed) {
  DENSER_CHECK(num_clusters > 0, ErrorCode::kInvalidArgument, "make_clustered_vectors needs at least one cluster");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::normal_distribution<float> gaussian(0.0f, noise);
  std::vector<float> centres(num_clusters * dim);
  for (float& c : centres) c = uniform(rng);
  std::uniform_int_distribution<size_t> pick(0, num_clusters - 1);
  std::vector<float> out(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const float* centre = centres.data() + pick(rng) * dim;
    for (uint32_t j = 0; j < dim; ++j) out[i * dim + j] = centre[j] + gaussian(rng);
  }
  return out;
}

double recall_at_k(const VectorSearchResults& approx, const VectorSearchResults& exact, size_t k) {
  DENSER_CHECK(approx.hits.size() == exact.hits.size(), ErrorCode::kInvalidArgument,
               "recall_at_k: ", approx.hits.size(), " vs ", exact.hits.size(), " queries");
  if (exact.hits.empty() || k == 0) return 1.0;
  double total = 0.0;
  for (size_t i = 0; i < exact.hits.size(); ++i) {
    const size_t depth = std::min(k, exact.hits[i].size());
    if (depth == 0) {
      total += 1.0;
      continue;
    }
    std::unordered_set<uint64_t> truth;
    for (size_t r = 0; r < depth; ++r) truth.insert(exact.hits[i][r].row);
    size_t found = 0;
    for (size_t r = 0; r < std::min(k, approx.hits[i].size()); ++r) found += truth.count(approx.hits[i][r].row);
    total += static_cast<double>(found) / static_cast<double>(depth);
  }
  return total / static_cast<double>(exact.hits.size());
}

}  // namespace denser
