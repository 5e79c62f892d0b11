#pragma once
// Private: the one VectorIndex implementation, over a FAISS index. Shared by
// vector_index.cpp (build and search) and vector_index_io.cpp (file format).
#include <faiss/Index.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "denser/index/vector_index.h"

namespace denser::detail {

class FaissVectorIndex final : public VectorIndex {
 public:
  /// Takes ownership of `index`, whose dim and metric must already match `options`.
  FaissVectorIndex(VectorIndexOptions options, std::unique_ptr<faiss::Index> index, std::vector<std::string> ids);

  bool needs_training() const override;
  void train(size_t n, std::span<const float> x, int threads) override;
  void add(std::span<const std::string> ids, std::span<const float> x, int threads) override;
  VectorSearchResults search(size_t nq, std::span<const float> q, size_t k, const VectorSearchParams& params,
                             int threads) const override;
  void save(const std::string& path) const override;

  uint64_t num_vectors() const override { return ids_.size(); }
  uint32_t dim() const override { return options_.dim; }
  VectorMetric metric() const override { return options_.metric; }
  const std::string& factory() const override { return options_.factory; }
  const std::string& fingerprint() const override { return options_.model_fingerprint; }
  const std::vector<std::string>& doc_ids() const override { return ids_; }
  uint64_t memory_bytes() const override;
  std::string describe() const override;

  const faiss::Index& faiss_index() const { return *index_; }

 private:
  /// Copies x and L2-normalizes the rows when the metric is cosine; else returns x itself.
  std::span<const float> prepare(std::span<const float> x, std::vector<float>& buffer) const;
  void search_faiss(size_t nq, const float* q, size_t k, const faiss::SearchParameters* params,
                    std::vector<float>& scores, std::vector<int64_t>& labels) const;
  /// Fills out[0, nq) with the top-k of each query (ties by row); returns the distances
  /// an exhaustive scan would have computed (Flat's counter).
  uint64_t search_hits(size_t nq, const float* queries, size_t k, const faiss::SearchParameters* params,
                       std::vector<std::vector<VectorHit>>& out) const;

  VectorIndexOptions options_;
  std::unique_ptr<faiss::Index> index_;
  std::vector<std::string> ids_;  // ids_[row]: doc id of FAISS label `row`
  // Exclusive while a search runs with its own HNSW efSearch set on index_ (see search()).
  mutable std::shared_mutex ef_mutex_;
};

/// Sets OpenMP's thread count for the calling thread (0 = all cores).
void set_faiss_threads(int threads);

}  // namespace denser::detail
