#pragma once
// A collection is a directory plus a split name. The layout is detected from the files:
//   BEIR:     corpus.jsonl, queries.jsonl, qrels/<split>.tsv
//   MS MARCO: collection.tsv, queries.<split>.tsv, qrels.<split>.tsv (TREC qrels)
//   SMART:    *.all.* documents, *.qry queries, *qrel judgments (split "test" only)
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "denser/data/readers.h"

namespace denser {

enum class CollectionLayout { kBeir, kMsMarco, kSmart };

const char* layout_name(CollectionLayout layout);

class Collection {
 public:
  /// Detects the layout of dir; throws denser::Error listing what was looked for.
  static Collection open(const std::string& dir, ReadOptions options = {});

  CollectionLayout layout() const { return layout_; }
  const std::string& dir() const { return dir_; }
  const std::string& corpus_path() const { return corpus_path_; }

  /// Streams the corpus.
  std::unique_ptr<DocumentReader> documents() const;
  /// Splits that have judgments (e.g. {"dev", "test", "train"}), sorted.
  std::vector<std::string> splits() const;
  /// The split's judgments. Judgments naming a document that is not in the corpus are an
  /// error naming the qrels file and line (or skipped and counted when lenient); this
  /// check streams the corpus once and keeps its ids.
  Qrels qrels(const std::string& split) const;
  /// The queries judged in the split, in the order of the queries file.
  std::vector<Query> queries(const std::string& split) const;

 private:
  Collection() = default;
  std::string qrels_path(const std::string& split) const;
  const std::unordered_set<std::string>& doc_ids() const;

  std::string dir_;
  CollectionLayout layout_ = CollectionLayout::kBeir;
  ReadOptions options_;
  std::string corpus_path_;
  std::string queries_path_;  // BEIR / SMART: one file for all splits
  mutable std::shared_ptr<std::unordered_set<std::string>> doc_ids_;
};

}  // namespace denser
