#pragma once
// Retrieval over a collection in three modes: dense (encoder + vector index), BM25, and
// hybrid (the two fused by reciprocal rank or by interpolating normalized scores), with
// optional dense pseudo relevance feedback (average or Rocchio of the top documents'
// vectors). One Retriever serves the CLI, the evaluation runs and the HTTP server.
//
// Torch-free: it reaches the model through the Encoder interface.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "denser/data/types.h"
#include "denser/common/options.h"
#include "denser/index/vector_index.h"

namespace denser {

class Encoder;
class Bm25Index;
class Embeddings;

enum class RetrievalMode { kDense, kBm25, kHybrid };
enum class FusionMethod { kRrf, kLinear };
enum class PrfMethod { kNone, kAverage, kRocchio };

/// "dense" | "bm25" | "hybrid"; anything else throws an Error naming the accepted values.
RetrievalMode parse_retrieval_mode(std::string_view name);
const char* retrieval_mode_name(RetrievalMode mode);
/// "rrf" | "linear".
FusionMethod parse_fusion_method(std::string_view name);
const char* fusion_method_name(FusionMethod method);
/// "none" | "average" | "rocchio".
PrfMethod parse_prf_method(std::string_view name);
const char* prf_method_name(PrfMethod method);

/// Dense pseudo relevance feedback: the query vector is replaced before a second dense
/// search by
///   average: (q + d_1 + ... + d_n) / (n + 1)
///   Rocchio: alpha q + beta (d_1 + ... + d_n) / n
/// over the top `depth` documents of the first dense search (their stored vectors).
struct PrfOptions {
  PrfMethod method = PrfMethod::kNone;
  size_t depth = 3;
  float alpha = 0.4f;
  float beta = 0.6f;
};

struct RetrievalOptions {
  RetrievalMode mode = RetrievalMode::kHybrid;
  FusionMethod fusion = FusionMethod::kRrf;
  size_t k = 10;
  /// Candidates taken from each side before fusion (raised to k when smaller).
  size_t fusion_depth = 1000;
  /// Reciprocal rank fusion: score = sum over the lists of 1 / (rrf_k + rank).
  double rrf_k = 60.0;
  /// Linear fusion: alpha * dense + (1 - alpha) * bm25, each min-max normalized over its
  /// own candidate list; a document missing from a list gets 0 there.
  double alpha = 0.5;
  PrfOptions prf;
  VectorSearchParams vector_params;
};

/// Every RetrievalOptions field, declared once (name, type, default, range, help): the
/// flags of `denser search` and `denser serve`, the body of POST /search and
/// docs/options.md all come from it. Names: k, mode, fusion, alpha, rrf_k, fusion_depth,
/// prf, prf_depth, prf_alpha, prf_beta, ef_search, nprobe.
const OptionTable<RetrievalOptions>& retrieval_option_table();

/// One fused hit. dense_rank / bm25_rank: 1-based rank in that side's candidates, 0 when
/// the document was not among them (or the side did not run).
struct RetrievedHit {
  std::string doc_id;
  double score = 0.0;
  uint32_t dense_rank = 0;
  uint32_t bm25_rank = 0;
};

/// Milliseconds spent per stage for one query; a stage that did not run stays negative.
/// In a batch, the shared stages (encoding, dense search) are the batch's time.
struct StageTimes {
  double encode_ms = -1, dense_ms = -1, prf_ms = -1, bm25_ms = -1, fusion_ms = -1, total_ms = -1;
};

struct RetrievalResult {
  std::vector<RetrievedHit> hits;
  StageTimes times;
};

/// A ranked list to fuse: (doc id, score), best first.
using RankedList = std::vector<std::pair<std::string, double>>;

/// Reciprocal rank fusion of any number of lists; the top k, ties broken by doc id.
std::vector<RetrievedHit> fuse_rrf(const RankedList& dense, const RankedList& bm25, double rrf_k, size_t k);
/// Linear interpolation of min-max normalized scores (a constant list normalizes to 1).
std::vector<RetrievedHit> fuse_linear(const RankedList& dense, const RankedList& bm25, double alpha, size_t k);
/// The PRF query vector (see PrfOptions) from q (dim) and the feedback rows (n x dim).
std::vector<float> prf_query(std::span<const float> q, std::span<const float> feedback_rows, size_t n,
                             const PrfOptions& options);

/// The parts a Retriever searches with; either side may be absent (not both).
struct RetrieverParts {
  std::unique_ptr<Encoder> encoder;    // with index: the dense side
  std::unique_ptr<VectorIndex> index;  // its fingerprint must match the encoder's
  std::shared_ptr<const Bm25Index> bm25;
  std::shared_ptr<const Embeddings> embeddings;  // document vectors for PRF (optional)
  int threads = 1;                               // encoder and FAISS threads per batch
  std::string model_name;                        // shown to people (the model directory's name)
};

/// Thread-safe: concurrent search() calls share the encoder through a micro-batcher. The
/// first caller to reach the encoder encodes and searches every query waiting at that
/// moment in one batch, so under load requests are batched without any added delay when
/// the server is idle. BM25 runs in the calling thread.
class Retriever {
 public:
  explicit Retriever(RetrieverParts parts);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  bool has_dense() const;
  bool has_bm25() const;
  bool has_prf() const;
  /// The model fingerprint of the dense side ("" without one).
  std::string model_fingerprint() const;
  /// RetrieverParts::model_name ("" without the dense side).
  std::string model_name() const;
  uint64_t num_docs() const;
  /// The modes this retriever can run.
  std::vector<RetrievalMode> modes() const;

  /// Searches every query; throws an Error when the mode needs a side that is absent,
  /// or PRF is asked for without document vectors.
  std::vector<RetrievalResult> search(std::span<const std::string> queries, const RetrievalOptions& options);

  /// Dense encode calls so far and the queries they held (micro-batching counters).
  uint64_t encode_batches() const;
  uint64_t encoded_queries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A TREC run of a split's queries (results per query = options.k).
Run retrieve_run(Retriever& retriever, const std::vector<Query>& queries, const RetrievalOptions& options,
                 const std::string& tag, size_t batch_size = 64);

}  // namespace denser
