#pragma once
// The read side of the BM25 index: an immutable, memory-mapped inverted index with
// compressed postings, searched for the exact top k under Lucene's BM25 (see
// bm25_scoring.h) with block-max MaxScore pruning. The file format is described in
// docs/formats/bm25-index.md; Bm25IndexBuilder (bm25_builder.h) writes it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "denser/data/types.h"
#include "denser/sparse/bm25_scoring.h"
#include "denser/text/analyzer.h"

namespace denser {

struct Bm25LoadOptions {
  /// Check the CRC-32C of the whole file at load (reads every byte once, ~1 GB/s). The
  /// structure (sizes, offsets, sort order) is always checked; without the checksum, a
  /// flipped bit inside a postings block is found when the block is decoded (search then
  /// throws), or not at all when the damaged block still decodes consistently.
  bool verify_checksum = true;
};

/// How a query is evaluated. All give identical results (documents, float scores bit for
/// bit, order); kExhaustive is the reference that kPruned is tested against.
enum class Bm25Algorithm {
  kAuto,        // per query: kPruned when k is small against the query's postings, else kExhaustive
  kPruned,      // document-at-a-time block-max MaxScore
  kExhaustive,  // term-at-a-time: every posting of every query term is scored
};

/// kAuto scores exhaustively when k * kAutoExhaustiveRatio >= the query's total postings
/// (the sum of its terms' document frequencies): with that many results wanted, the
/// threshold rises too slowly for pruning to skip enough to pay for its bookkeeping.
/// Measured on SciFact, Debian and a 1M-document corpus (docs/benchmarks.md).
inline constexpr uint64_t kAutoExhaustiveRatio = 256;

/// The algorithm kAuto picks for a query wanting k results whose terms hold `postings`
/// postings in all.
inline Bm25Algorithm choose_bm25_algorithm(size_t k, uint64_t postings) {
  return static_cast<uint64_t>(k) * kAutoExhaustiveRatio >= postings ? Bm25Algorithm::kExhaustive
                                                                     : Bm25Algorithm::kPruned;
}

struct Bm25SearchOptions {
  /// Number of results; fewer when fewer documents contain a query term.
  size_t k = 1000;
  Bm25Algorithm algorithm = Bm25Algorithm::kAuto;
  /// Scoring parameters; unset: the index's defaults (the ones it was built with, which
  /// also give the tightest pruning bounds).
  std::optional<Bm25Params> params;
};

/// One result: an internal document number (0..num_docs-1, corpus order) and its score.
struct Bm25Hit {
  uint32_t doc = 0;
  float score = 0.0f;
};

/// Work counters of one search (or, summed, of a batch).
struct Bm25SearchStats {
  uint64_t num_query_terms = 0;   // distinct analyzed query terms found in the index
  uint64_t docs_scored = 0;       // documents whose full score was computed
  uint64_t postings_decoded = 0;  // postings decompressed
  uint64_t blocks_decoded = 0;
  uint64_t blocks_skipped = 0;  // blocks of the query terms never decompressed
  double seconds = 0.0;         // wall time, analysis included

  void add(const Bm25SearchStats& other);
};

struct Bm25SearchResult {
  /// Best first: score descending, ties by smaller document number (Lucene's order).
  std::vector<Bm25Hit> hits;
  Bm25SearchStats stats;
};

/// One posting, decoded (for inspection and tests; search does not build these).
struct Bm25Posting {
  uint32_t doc = 0;
  uint32_t tf = 0;
};

/// Immutable after loading; every const method is thread-safe. Movable, not copyable.
class Bm25Index {
 public:
  /// Maps the file read-only and validates it: magic, version, sizes, that every offset is
  /// in bounds, and (unless disabled) the checksum. Throws denser::Error naming the file and
  /// what is wrong. O(file size) with the checksum, else O(docs + terms + blocks).
  static Bm25Index open(const std::string& path, const Bm25LoadOptions& options = {});
  /// The same from bytes already in memory (what Bm25IndexBuilder::build() returns).
  /// `name` stands for the file in error messages.
  static Bm25Index from_bytes(std::vector<uint8_t> bytes, const std::string& name = "<memory>",
                              const Bm25LoadOptions& options = {});

  Bm25Index(Bm25Index&&) noexcept;
  Bm25Index& operator=(Bm25Index&&) noexcept;
  ~Bm25Index();

  /// Analyzes `query` with the index's analyzer and returns the top options.k documents.
  /// A term repeated in the query counts once per occurrence (boost = count, as Anserini's
  /// bag-of-words queries); terms not in the index contribute nothing.
  /// Throws denser::Error for invalid params or a corrupt postings block.
  Bm25SearchResult search(std::string_view query, const Bm25SearchOptions& options = {}) const;
  /// The same for a query already analyzed into terms.
  Bm25SearchResult search_terms(const std::vector<std::string>& terms, const Bm25SearchOptions& options = {}) const;
  /// Searches every query, spread over num_threads threads (0 = all cores); results[i]
  /// belongs to queries[i] and equals search(queries[i], options).
  std::vector<Bm25SearchResult> search_batch(const std::vector<std::string>& queries,
                                             const Bm25SearchOptions& options = {}, int num_threads = 0) const;

  /// A TREC run from batch results: run.results[queries[i].id] = results[i] with external
  /// document ids. results.size() must equal queries.size().
  Run to_run(const std::vector<Query>& queries, const std::vector<Bm25SearchResult>& results,
             const std::string& tag = "denser-bm25") const;

  uint32_t num_docs() const;
  /// Documents with at least one term: the N of idf and avgdl (Lucene's docCount).
  uint64_t num_docs_with_terms() const;
  uint64_t num_terms() const;
  uint64_t num_postings() const;
  /// Sum of all document lengths.
  uint64_t total_terms() const;
  /// total_terms / num_docs_with_terms, as float (Lucene's avgdl).
  float avgdl() const;
  /// The parameters the index was built with: the search default.
  const Bm25Params& params() const;
  const AnalyzerOptions& analyzer_options() const;
  /// Size of the index file (or buffer) in bytes.
  uint64_t size_bytes() const;

  /// External id of internal document `doc` (< num_docs()); the view lives as long as the index.
  std::string_view doc_id(uint32_t doc) const;
  /// Exact number of terms in document `doc`.
  uint32_t doc_length(uint32_t doc) const;
  /// Number of documents containing `term` (already analyzed); 0 when absent.
  uint32_t doc_freq(std::string_view term) const;
  /// The decoded postings of `term`, in document order (empty when absent). O(df).
  std::vector<Bm25Posting> postings(std::string_view term) const;

  struct Impl;

 private:
  explicit Bm25Index(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace denser
