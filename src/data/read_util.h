#pragma once
// Private helpers shared by the collection readers: UTF-8 validation, field splitting,
// id and grade checks, and the strict-or-lenient handling of malformed records.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/data/readers.h"
#include "denser/data/types.h"

namespace denser::data_internal {

/// Thrown by the per-record parsers with what was wrong and what was expected; the
/// record loop adds "file:line" and either rethrows it as denser::Error or skips.
struct BadRecord {
  std::string what;
};
template <typename... Args>
[[noreturn]] void bad_record(Args&&... args) {
  throw BadRecord{str(std::forward<Args>(args)...)};
}

/// Throws BadRecord when line is not valid UTF-8, naming the byte offset.
void check_utf8(std::string_view line);
/// Throws BadRecord unless id is non-empty and free of whitespace and control characters
/// (ids are written into whitespace-separated TREC files). kind: "document", "query".
void check_id(std::string_view id, const char* kind);
/// Parses a whole field as a base-10 int; throws BadRecord naming `what` otherwise.
int parse_int(std::string_view field, const char* what);
/// SMART ids are numbers that files write with or without leading zeros ("001", "1"):
/// an all-digit id is returned without them ("0" stays "0"); other ids are unchanged.
std::string canonical_number(std::string_view id);
bool is_blank(std::string_view s);
/// Whether the file's first non-blank line holds one number alone: how the Glasgow layout
/// (records and judgment groups opened by a number) is told from the SMART one.
bool starts_with_number_line(const std::string& path);
std::string_view trim(std::string_view s);

/// Fields separated by runs of spaces or tabs (TREC qrels and runs).
std::vector<std::string_view> split_whitespace(std::string_view line);
/// Fields separated by single tabs; empty fields are kept (MS MARCO TSV).
std::vector<std::string_view> split_tabs(std::string_view line);

/// Routes a malformed record: strict mode throws denser::Error "where: what"; lenient
/// mode counts it in stats.num_skipped and logs a warning (the first kMaxWarnings per
/// reader, then one notice that further warnings are suppressed).
class SkipPolicy {
 public:
  static constexpr int kMaxWarnings = 20;
  SkipPolicy(ReadOptions options, ReadStats* stats) : options_(options), stats_(stats) {}
  void skip(const std::string& where, const std::string& what);
  /// Logs one summary warning when anything was skipped (called once, at end of input).
  void summarize(const std::string& path) const;
  bool lenient() const { return options_.lenient; }

 private:
  ReadOptions options_;
  ReadStats* stats_;
  uint64_t num_skipped_ = 0;
};

/// Remembers the ids seen so far (and the line of each) to reject duplicates. Memory is
/// O(number of ids); no record text is kept.
class IdTracker {
 public:
  explicit IdTracker(const char* kind) : kind_(kind) {}
  /// Throws BadRecord naming the first occurrence when id was claimed before.
  void claim(const std::string& id, uint64_t line);

 private:
  const char* kind_;
  std::unordered_map<std::string, uint64_t> first_line_;
};

/// The bookkeeping every document reader shares: counters, the skip policy, duplicate ids,
/// where() of the last document, and the end-of-input summary.
class DocumentReaderBase : public DocumentReader {
 public:
  std::string where() const override { return where_; }
  uint64_t total_bytes() const override { return total_bytes_; }
  const ReadStats& stats() const override { return stats_; }

 protected:
  DocumentReaderBase(std::string path, ReadOptions options)
      : path_(std::move(path)), total_bytes_(file_size(path_)), policy_(options, &stats_) {}
  /// Claims doc.id (BadRecord when it is a duplicate) and counts the document found at line.
  void accept(const Document& doc, uint64_t line) {
    ids_.claim(doc.id, line);
    ++stats_.num_records;
    where_ = str(path_, ":", line);
  }
  void reject(const std::string& where, const std::string& what) { policy_.skip(where, what); }
  /// End of input: logs the skip summary once; returns false for next() to return.
  bool end() {
    if (!finished_) policy_.summarize(path_);
    finished_ = true;
    return false;
  }

 private:
  std::string path_;
  uint64_t total_bytes_;
  ReadStats stats_;
  SkipPolicy policy_;
  IdTracker ids_{"document"};
  std::string where_;
  bool finished_ = false;
};

/// Parses one non-blank, UTF-8-checked line into a document or query; throws BadRecord.
using DocumentLineParser = void (*)(std::string_view line, Document& doc);
using QueryLineParser = void (*)(std::string_view line, Query& query);

/// A DocumentReader over a one-record-per-line file (BEIR JSONL, MS MARCO TSV): blank
/// lines are ignored; every other line is a document or a malformed record.
std::unique_ptr<DocumentReader> open_line_documents(const std::string& path, ReadOptions options,
                                                    DocumentLineParser parse);
/// Reads a one-query-per-line file; rejects duplicate ids and empty query text.
std::vector<Query> read_query_lines(const std::string& path, ReadOptions options, ReadStats* stats,
                                    QueryLineParser parse);

}  // namespace denser::data_internal
