#pragma once
// Streaming readers for the formats denser reads: BEIR (corpus.jsonl, queries.jsonl,
// qrels/<split>.tsv with a header), MS MARCO (collection.tsv, queries.<split>.tsv, TREC
// qrels), TREC qrels and runs, and classic SMART (.I/.T/.A/.B/.W records).
// Every error names the file and line; see ReadOptions for lenient mode. Details and the
// choices made for each format: docs/formats/collections.md. All readers are O(file size)
// time; document readers hold O(#ids) memory (for duplicate detection), the others return
// everything they read. Functions are thread-safe; a DocumentReader is not.
#include <memory>
#include <string>
#include <vector>

#include "denser/data/types.h"

namespace denser {

/// Streams documents in file order in constant memory. Duplicate ids, missing ids and
/// invalid UTF-8 are errors (or counted skips when lenient). Not thread-safe.
class DocumentReader {
 public:
  virtual ~DocumentReader() = default;
  /// Reads the next document; false at end of input.
  virtual bool next(Document& doc) = 0;
  /// "file:line" of the record last returned.
  virtual std::string where() const = 0;
  /// Bytes consumed / total bytes of the input, for progress display.
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
  virtual const ReadStats& stats() const = 0;
};

/// BEIR corpus.jsonl: {"_id", "title", "text", ...}. A JSON integer _id is converted to its
/// decimal string; "title" may be missing (empty); "text" is required.
std::unique_ptr<DocumentReader> open_beir_corpus(const std::string& path, ReadOptions options = {});
/// MS MARCO collection.tsv: "docid<TAB>text" (or "docid<TAB>title<TAB>text", or the
/// document collection's "docid<TAB>url<TAB>title<TAB>body", URL dropped).
std::unique_ptr<DocumentReader> open_msmarco_collection(const std::string& path, ReadOptions options = {});
/// SMART (Cranfield cran.all.1400): .I id, .T title, .A, .B, .W text; fields span lines
/// (joined with one space), repeated markers append, a record without .W is truncated.
std::unique_ptr<DocumentReader> open_smart_documents(const std::string& path, ReadOptions options = {});

/// BEIR queries.jsonl: {"_id", "text", ...}. Queries are returned in file order.
std::vector<Query> read_beir_queries(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// MS MARCO queries.<split>.tsv: "qid<TAB>text".
std::vector<Query> read_msmarco_queries(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// SMART queries (cran.qry): ids are the queries' 1-based positions in the file, since
/// the judgments number them by position, not by their .I value.
std::vector<Query> read_smart_queries(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);

/// TREC qrels: "qid iter docid grade" (whitespace separated).
Qrels read_trec_qrels(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// BEIR qrels TSV with header "query-id corpus-id score".
Qrels read_beir_qrels(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// Either of the two, told apart by the first line.
Qrels read_qrels(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// Cranfield cranqrel: "qid docid code", code 1 (complete answer) .. 4 (minimum interest),
/// -1 (no interest). Mapped to grades 5 - code, and -1 to 0 (judged, not relevant).
Qrels read_smart_qrels(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);

/// TREC run: "qid Q0 docid rank score tag". Entries are kept in file order per query; a
/// document twice in one query's list is malformed; the tag is the first line's.
/// Which record layout a SMART-family documents or queries file has, as its readers detect
/// it from the first non-blank line: SMART records (".I <id>" and field markers) or Glasgow
/// records (a number, the text, a "/" line). One line for `denser data stats`.
std::string smart_file_layout(const std::string& path);

Run read_trec_run(const std::string& path, ReadOptions options = {}, ReadStats* stats = nullptr);
/// Writes "qid Q0 docid rank score tag" lines, queries in map order, ranks from 1, through
/// AtomicFileWriter. Scores use the shortest text that reads back as the same double, so
/// trec_eval orders exactly as denser did. Throws on NaN scores and on ids or a tag that
/// are empty or contain whitespace.
void write_trec_run(const std::string& path, const Run& run);

}  // namespace denser
