#pragma once
// The peer side of bench_bm25_vs_xapian: Xapian's BM25 (k1=0.9, b=0.4, English stemming),
// built and searched the way a Xapian user would, so the comparison is side by side.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "denser/data/types.h"

namespace denser::bench {

struct XapianHit {
  std::string doc_id;
  double score;
};

class XapianBm25 {
 public:
  /// Xapian's library version ("1.4.22").
  static std::string version();

  /// Indexes title + " " + text of every document into a new database at `path`
  /// (single-threaded: Xapian's writer has no parallel build). Returns seconds taken.
  static double build(const std::vector<Document>& docs, const std::string& path);

  explicit XapianBm25(std::string path) : path_(std::move(path)) {}

  /// Top-k for every query, queries split over `threads` threads, each with its own
  /// Database handle (Xapian handles are not thread-safe). results[i] is query i's list.
  /// Returns seconds taken for the whole batch. Xapian errors (from any thread) are
  /// rethrown as denser::Error after every thread has stopped; so are those of build().
  double search(const std::vector<Query>& queries, int k, int threads,
                std::vector<std::vector<XapianHit>>& results) const;

 private:
  // Queries first, first + step, ... on one thread with its own Database handle.
  void search_strided(const std::vector<Query>& queries, int k, size_t first, size_t step,
                      std::vector<std::vector<XapianHit>>& results) const;

  std::string path_;
};

}  // namespace denser::bench
