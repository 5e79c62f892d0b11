#pragma once
// The write side of the BM25 index: analyzes documents (title + " " + text, as Pyserini's
// "flat" BEIR indexes do) in parallel batches, accumulates compressed postings in memory,
// and writes the single-file index read by Bm25Index.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/data/readers.h"
#include "denser/data/types.h"
#include "denser/sparse/bm25_index.h"
#include "denser/sparse/bm25_scoring.h"
#include "denser/text/analyzer.h"

namespace denser {

struct Bm25BuildOptions {
  /// Stored in the index as its default scoring parameters; the per-block pruning bounds
  /// are tightest for them (others can still be given at search time).
  Bm25Params params;
  /// Stored in the index: queries are analyzed the same way.
  AnalyzerOptions analyzer;
  /// Threads analyzing and merging documents (0 = all cores).
  int num_threads = 0;
  /// Documents analyzed per parallel batch; memory grows with it, not with the corpus.
  size_t batch_docs = 4096;
};

struct Bm25BuildStats {
  uint64_t num_docs = 0;
  uint64_t num_empty_docs = 0;  // documents without any term (not counted in N)
  uint64_t num_terms = 0;       // distinct terms (known once the index is finished)
  uint64_t num_postings = 0;
  uint64_t total_terms = 0;
  double seconds = 0.0;  // time spent in add() calls
};

/// Accumulates documents in the order given (internal numbers 0, 1, ...), then writes or
/// builds the index. Memory: the compressed postings, the ids and lengths of the documents,
/// and one batch of documents; not the corpus text. Not thread-safe (it uses threads itself).
class Bm25IndexBuilder {
 public:
  /// Throws denser::Error for invalid params.
  explicit Bm25IndexBuilder(Bm25BuildOptions options = {});
  ~Bm25IndexBuilder();
  Bm25IndexBuilder(const Bm25IndexBuilder&) = delete;
  Bm25IndexBuilder& operator=(const Bm25IndexBuilder&) = delete;

  /// Adds documents; after write() or build() adding is an error.
  void add(const Document& doc);
  void add(const std::vector<Document>& docs);
  /// Streams every document of `reader`, reporting progress("indexing", bytes).
  void add(DocumentReader& reader);

  const Bm25BuildStats& stats() const;

  /// Writes the index atomically to `path` (temporary file, then rename). May be called
  /// more than once; the first call (or build()) closes the builder to new documents.
  void write(const std::string& path);
  /// The index in memory, without a file.
  Bm25Index build();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace denser
