#pragma once
// VectorIndex: approximate or exact nearest-neighbour search over dense vectors, backed by
// any FAISS index_factory string ("Flat", "HNSW32", "IVF1024,PQ32", "IVF256,Flat", ...).
// Rows are labelled by their insertion order; the string doc id of each row is kept beside
// the FAISS index and saved with it, together with the fingerprint of the model that made
// the vectors (so a query encoded by another model is refused). FAISS stays behind this
// header (pimpl): nothing here includes a FAISS header.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace denser {

/// Similarity the index ranks by; higher is better for both.
/// kCosine L2-normalizes vectors when they are added and queries when they are searched,
/// then ranks by inner product (zero vectors stay zero and score 0).
enum class VectorMetric : uint32_t { kInnerProduct = 0, kCosine = 1 };

/// "ip" / "cosine" (also "inner_product"); throws denser::Error naming the bad value.
VectorMetric parse_vector_metric(std::string_view name);
/// "ip" or "cosine".
const char* vector_metric_name(VectorMetric metric);

struct VectorIndexOptions {
  uint32_t dim = 0;
  /// A faiss::index_factory description; the metric is passed separately.
  std::string factory = "Flat";
  VectorMetric metric = VectorMetric::kInnerProduct;
  /// Identifies the encoder that produced the vectors (see check_fingerprint()).
  std::string model_fingerprint;
};

/// Per-search knobs; 0 keeps the index's own default (saved with it).
struct VectorSearchParams {
  int ef_search = 0;  // HNSW: size of the dynamic candidate list (raised to k if smaller)
  int nprobe = 0;     // IVF: number of inverted lists visited per query
};

struct VectorHit {
  std::string doc_id;
  float score = 0.0f;  // inner product (cosine for kCosine)
  uint64_t row = 0;    // insertion order of the vector
};

/// Counters of one search call (all queries together).
struct VectorSearchStats {
  uint64_t num_queries = 0;
  double seconds = 0.0;
  /// Query-vector distances FAISS computed: exact for Flat (nq * n) and for HNSW / IVF
  /// (FAISS's own counters); 0 for index types that do not count them.
  uint64_t distances_computed = 0;
};

struct VectorSearchResults {
  /// hits[i]: the hits of query i, best first; ties in score are ordered by row, so an
  /// exact index (Flat) returns exactly the brute-force top-k. Fewer than k hits when
  /// the index holds fewer vectors (or an approximate index finds fewer).
  std::vector<std::vector<VectorHit>> hits;
  VectorSearchStats stats;
};

/// Thread safety: const methods (search, save, accessors) may run concurrently with each
/// other, but the distance counters of concurrent searches on HNSW / IVF indexes mix
/// (FAISS keeps them in process globals). train/add need exclusive access.
///
/// Threads: `threads` arguments set OpenMP's thread count (omp_set_num_threads) for the
/// calling thread before FAISS runs; FAISS's parallel loops use it, and it stays in effect
/// for later OpenMP work started from that thread (in the CLI, that is the whole process).
/// 0 means all cores.
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  /// A new empty index. Throws denser::Error when dim is 0 or FAISS rejects the factory
  /// string for this dim (FAISS's message is included).
  static std::unique_ptr<VectorIndex> create(const VectorIndexOptions& options);
  /// Loads an index written by save(). Throws denser::Error naming the file for a missing,
  /// truncated or corrupt file (the checksum is verified before FAISS parses anything).
  static std::unique_ptr<VectorIndex> open(const std::string& path);

  /// Whether train() must run before add() (IVF, PQ, ...); false for Flat and HNSW.
  virtual bool needs_training() const = 0;
  /// x: (n, dim) row-major (x.size() == n * dim). No-op when the index needs no training.
  virtual void train(size_t n, std::span<const float> x, int threads = 0) = 0;
  /// ids: n doc ids, x: (n, dim) row-major. Rows are appended after the existing ones.
  /// Doc ids are stored as given (keep them unique: search results report them).
  virtual void add(std::span<const std::string> ids, std::span<const float> x, int threads = 0) = 0;
  /// q: (nq, dim) row-major. Returns up to k hits per query, best first.
  /// Cost: Flat O(nq * n * dim); HNSW about O(nq * ef_search * log n * dim).
  virtual VectorSearchResults search(size_t nq, std::span<const float> q, size_t k,
                                     const VectorSearchParams& params = {}, int threads = 0) const = 0;

  /// Writes the index atomically (see docs/formats/vector-index.md).
  virtual void save(const std::string& path) const = 0;

  /// Throws denser::Error unless `expected` equals the fingerprint stored with the index:
  /// queries from a different model than the corpus vectors give meaningless scores.
  void check_fingerprint(std::string_view expected) const;

  virtual uint64_t num_vectors() const = 0;
  virtual uint32_t dim() const = 0;
  virtual VectorMetric metric() const = 0;
  virtual const std::string& factory() const = 0;
  virtual const std::string& fingerprint() const = 0;
  virtual const std::vector<std::string>& doc_ids() const = 0;
  /// Size in bytes of the serialized FAISS index (a proxy for its memory footprint).
  virtual uint64_t memory_bytes() const = 0;
  /// One line describing the FAISS structure (type and main parameters), for `index info`.
  virtual std::string describe() const = 0;
};

/// Exhaustive (Flat) searches of at least `nq` queries compute their scores with one matrix
/// product (BLAS), reading the stored vectors once per batch; smaller ones scan the vectors
/// once per query. FAISS's default is 20. Process-wide; call it before searches start. The
/// `denser serve` command lowers it (SearchServer itself does not touch it) so that its
/// micro-batches of a few queries share one pass.
void set_exhaustive_batch_threshold(int nq);

/// Mean over queries of |approx top-k ∩ exact top-k| / min(k, |exact top-k|), by row
/// (recall@k of an approximate index against an exact one). Both must hold the same
/// number of queries; throws denser::Error otherwise.
double recall_at_k(const VectorSearchResults& approx, const VectorSearchResults& exact, size_t k);

/// Synthetic clustered data for tests and benchmarks: n rows of dim floats, each a random
/// centre (of num_clusters, uniform in [-1, 1]) plus Gaussian noise of standard deviation
/// `noise`. Deterministic for a seed. Returns (n, dim) row-major.
std::vector<float> make_clustered_vectors(size_t n, uint32_t dim, size_t num_clusters, float noise, uint64_t seed);

}  // namespace denser
