#pragma once
// The records that flow out of every collection reader.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace denser {

struct Document {
  std::string id;
  std::string title;  // empty when the collection has none
  std::string text;
};

struct Query {
  std::string id;
  std::string text;
};

/// Relevance judgments: query id -> (doc id -> grade). A grade <= 0 means judged not
/// relevant (trec_eval semantics). Ordered maps so output is deterministic.
struct Qrels {
  std::map<std::string, std::map<std::string, int>> judgments;

  size_t num_queries() const { return judgments.size(); }
  /// Number of (query, doc) pairs.
  size_t num_judgments() const;
  /// Grade of (query, doc), or 0 when unjudged.
  int grade(const std::string& query_id, const std::string& doc_id) const;
};

/// One retrieved document in a ranked list.
struct RunEntry {
  std::string doc_id;
  double score = 0.0;
};

/// A TREC run: query id -> documents in rank order (best first).
struct Run {
  std::map<std::string, std::vector<RunEntry>> results;
  std::string tag = "denser";
};

/// Options every reader takes.
struct ReadOptions {
  /// false: the first malformed record throws denser::Error naming file and line.
  /// true: malformed records are skipped, counted, and logged as warnings.
  bool lenient = false;
};

/// Counters a reader keeps; with lenient reading, num_skipped says what was dropped.
struct ReadStats {
  uint64_t num_records = 0;
  uint64_t num_skipped = 0;
};

}  // namespace denser
