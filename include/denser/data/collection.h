#pragma once
// A collection is a directory plus a split name. The layout is detected from the files:
//   BEIR:     corpus.jsonl, queries.jsonl, qrels/<split>.tsv
//   MS MARCO: collection.tsv, queries.<split>.tsv, qrels.<split>.tsv (TREC qrels)
//   SMART:    *.all.* documents, *.qry queries, *qrel judgments (split "test" only)
// Detection looks for corpus.jsonl first, then collection.tsv, then the SMART files; the
// queries and qrels files may be absent (the corpus alone can be indexed).
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "denser/data/readers.h"

namespace denser {

enum class CollectionLayout { kBeir, kMsMarco, kSmart };

const char* layout_name(CollectionLayout layout);

/// A handle on a collection directory: paths and options, plus a cache of the corpus ids
/// (shared between copies). Not thread-safe: use one per thread.
class Collection {
 public:
  /// Detects the layout of dir; throws denser::Error listing what was looked for.
  static Collection open(const std::string& dir, ReadOptions options = {});

  CollectionLayout layout() const { return layout_; }
  const std::string& dir() const { return dir_; }
  const std::string& corpus_path() const { return corpus_path_; }

  /// Streams the corpus (a new reader at the start of the file per call).
  std::unique_ptr<DocumentReader> documents() const;
  /// Number of corpus documents; the first call streams the corpus once and keeps its ids
  /// (O(#docs) memory, shared with the qrels check).
  uint64_t num_documents() const;
  /// Splits that have judgments (e.g. {"dev", "test", "train"}), sorted.
  std::vector<std::string> splits() const;
  /// The split's judgments. Judgments naming a document that is not in the corpus are an
  /// error naming the qrels file and line (or skipped and counted when lenient); this
  /// check streams the corpus once and keeps its ids.
  /// stats (optional) receives the qrels reader's counters.
  Qrels qrels(const std::string& split, ReadStats* stats = nullptr) const;
  /// The queries judged in the split, in the order of the queries file. A judged query
  /// missing from the queries file is an error naming both files (skipped and counted
  /// when lenient). Reads the split's judgments without the corpus check.
  std::vector<Query> queries(const std::string& split, ReadStats* stats = nullptr) const;
  /// The file queries(split) reads, and the judgments file of the split (which must
  /// exist: a missing split is an error listing the splits found).
  std::string queries_path(const std::string& split) const;
  std::string qrels_path(const std::string& split) const;

 private:
  Collection() = default;
  const std::unordered_set<std::string>& doc_ids() const;
  Qrels read_judgments(const std::string& split, ReadStats* stats, bool check_docs) const;

  std::string dir_;
  CollectionLayout layout_ = CollectionLayout::kBeir;
  ReadOptions options_;
  std::string corpus_path_;
  std::string queries_path_;      // BEIR / SMART: one file for all splits
  std::string smart_qrels_path_;  // SMART: the one judgments file, split "test"
  mutable std::shared_ptr<std::unordered_set<std::string>> doc_ids_;
};

}  // namespace denser
