#pragma once
// Negative sources behind one interface (ARCHITECTURE.md's NegativeSource): random
// documents, BM25's top results, and ANCE's top results from the ANN index of the corpus
// encoded by a recent checkpoint. A source samples, for one training query, documents
// that are never among the query's positives. Torch-free.
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "train_data.h"

namespace denser::train_internal {

/// Per training query, a ranked candidate list with the query's positives removed:
/// candidates [offsets[q], offsets[q + 1]). Immutable once built; shared between threads.
struct CandidatePool {
  std::vector<uint64_t> offsets;  // num_queries + 1
  std::vector<uint32_t> docs;
  int64_t snapshot_step = -1;  // the weights that mined it (-1: not from a model)
  std::string source;          // "bm25" or "ance"

  size_t num_queries() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  size_t size(size_t q) const { return offsets[q + 1] - offsets[q]; }
  /// Appends query q's candidates (best first, positives excluded, at most depth).
  void add_query(const std::vector<uint32_t>& ranked, const std::vector<uint32_t>& positives, size_t depth);
  /// Binary form (docs/formats/checkpoint.md): magic, counts, offsets, docs, CRC-32C.
  std::string serialize() const;
  /// Throws denser::Error naming `where` for a malformed or corrupt buffer.
  static CandidatePool deserialize(std::string_view bytes, const std::string& where);
};

class NegativeSource {
 public:
  virtual ~NegativeSource() = default;
  /// "random", "bm25", "ance@<step>"...: what the next samples come from.
  virtual std::string describe() const = 0;
  /// Appends n negatives for training query q to out (doc indices, none a positive of q;
  /// repeats are possible when the candidate list is short). Thread-compatible: the
  /// trainer samples from one thread; ANCE's pool may be swapped from another.
  virtual void sample(uint32_t q, int n, std::mt19937_64& rng, std::vector<uint32_t>& out) const = 0;
};

/// Uniform over the corpus minus the query's positives.
std::unique_ptr<NegativeSource> make_random_negatives(const TrainingData& data);

/// Uniform over a candidate pool's list for the query (random documents when the list is
/// empty).
std::unique_ptr<NegativeSource> make_pool_negatives(const TrainingData& data,
                                                    std::shared_ptr<const CandidatePool> pool);

/// BM25's top `depth` per training query (an in-memory index of the corpus texts, Lucene
/// English analysis, k1 0.9, b 0.4), positives removed. O(queries × BM25 query time).
std::shared_ptr<const CandidatePool> mine_bm25_pool(const TrainingData& data, size_t depth, int num_threads);

/// ANCE negatives: samples from the newest swapped-in pool, and from `fallback` (BM25's
/// pool, the warm-up) until the first one arrives. swap() is atomic with respect to sample().
class AnceNegatives final : public NegativeSource {
 public:
  AnceNegatives(const TrainingData& data, std::shared_ptr<const CandidatePool> fallback);
  std::string describe() const override;
  void sample(uint32_t q, int n, std::mt19937_64& rng, std::vector<uint32_t>& out) const override;
  void swap(std::shared_ptr<const CandidatePool> pool);
  /// The pool in use (the fallback before the first swap).
  std::shared_ptr<const CandidatePool> current() const;

 private:
  const TrainingData& data_;
  mutable std::mutex mutex_;
  std::shared_ptr<const CandidatePool> pool_;
};

}  // namespace denser::train_internal
