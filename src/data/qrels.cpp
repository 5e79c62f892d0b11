// Relevance judgments in the formats denser reads: TREC ("qid iter docid grade"), BEIR
// (TSV with a "query-id corpus-id score" header), the SMART family's lines (Cranfield's
// "qid docid code", MED's and CISI's four columns) and Glasgow's groups. One loop does the
// checks common to the line formats; each parses its line.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qrels_internal.h"
#include "read_util.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/data/readers.h"

namespace denser {
namespace data_internal {
namespace {

struct Judgment {
  std::string qid;
  std::string doc_id;
  int grade = 0;
};

using LineParser = Judgment (*)(std::string_view line);

Judgment parse_trec_line(std::string_view line) {
  auto f = split_whitespace(line);
  if (f.size() != 4) bad_record("found ", f.size(), " columns; expected 4 (query-id iteration doc-id grade)");
  return {std::string(f[0]), std::string(f[2]), parse_int(f[3], "grade")};
}

Judgment parse_beir_line(std::string_view line) {
  auto f = split_whitespace(line);
  if (f.size() != 3) bad_record("found ", f.size(), " columns; expected 3 (query-id corpus-id score)");
  return {std::string(f[0]), std::string(f[1]), parse_int(f[2], "score")};
}

// Three columns, Cranfield's "query doc code" with Cleverdon's codes: 1 = complete answer
// ... 4 = minimum interest, 5 = no interest, and -1 for judged but of no interest. Grades
// grow with relevance: 5 - code.
// Four columns, two variants: "query 0 doc grade" (MED.REL: TREC's order; SMART numbers
// documents from 1, so a 0 in the second column is the iteration) and "query doc 0 0"
// (CISI.REL: every listed pair relevant; the last two columns carry nothing).
Judgment parse_smart_line(std::string_view line) {
  auto f = split_whitespace(line);
  if (f.size() == 4) {
    if (f[1] == "0") return {canonical_number(f[0]), canonical_number(f[2]), parse_int(f[3], "grade")};
    return {canonical_number(f[0]), canonical_number(f[1]), 1};
  }
  if (f.size() != 3)
    bad_record("found ", f.size(),
               " columns; expected 3 (query-number doc-id code) or 4 (query-number 0 doc-id "
               "grade, or query-number doc-id 0 0)");
  int code = parse_int(f[2], "relevance code");
  if (code != -1 && (code < 1 || code > 5)) bad_record("bad relevance code ", code, "; expected 1..5 or -1");
  return {canonical_number(f[0]), canonical_number(f[1]), code == -1 ? 0 : 5 - code};
}

// Glasgow: a line with the query's number, the numbers of its relevant documents over the
// following lines, then a line holding only "/". Every listed document has grade 1.
Qrels read_glasgow_judgments(const std::string& path, ReadOptions options, ReadStats* stats,
                             const DocIdSet* known_docs) {
  LineReader lines(path);
  SkipPolicy policy(options, stats);
  Qrels qrels;
  std::string line, qid;
  uint64_t query_line = 0;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    try {
      check_utf8(line);
      auto f = split_whitespace(line);
      if (qid.empty()) {  // the query's number opens a group
        if (f.size() != 1 || f[0] == "/") bad_record("expected a line holding a query number");
        parse_int(f[0], "query number");
        qid = canonical_number(f[0]);
        query_line = lines.line_number();
        check_id(qid, "query");
        continue;
      }
      if (f.size() == 1 && f[0] == "/") {
        qid.clear();
        continue;
      }
      for (std::string_view field : f) {
        if (field == "/") bad_record("\"/\" among document numbers; expected it on a line of its own");
        parse_int(field, "document number");
        const std::string doc = canonical_number(field);
        if (known_docs != nullptr && known_docs->count(doc) == 0)
          bad_record("document \"", doc, "\" is not in the corpus; expected judgments of corpus documents");
        if (!qrels.judgments[qid].emplace(doc, 1).second)
          bad_record("document ", doc, " is listed twice for query ", qid, "; expected each once");
        if (stats != nullptr) ++stats->num_records;
      }
    } catch (const BadRecord& e) {
      policy.skip(lines.where(), e.what);
    }
  }
  if (!qid.empty()) {
    try {
      bad_record("the judgments of query ", qid, " (line ", query_line,
                 ") end without their closing \"/\" line "
                 "(truncated?)");
    } catch (const BadRecord& e) {
      policy.skip(lines.where(), e.what);
    }
  }
  policy.summarize(path);
  return qrels;
}

// A BEIR header is a first line whose third column is not a number. Headerless files are
// read as data rather than losing their first judgment.
bool is_beir_header(std::string_view line) {
  auto f = split_whitespace(line);
  if (f.size() != 3) return false;
  try {
    parse_int(f[2], "score");
    return false;
  } catch (const BadRecord&) {
    return true;
  }
}

Qrels read_judgments(const std::string& path, ReadOptions options, ReadStats* stats, const DocIdSet* known_docs,
                     LineParser parse, bool may_have_header) {
  LineReader lines(path);
  SkipPolicy policy(options, stats);
  Qrels qrels;
  std::string line;
  bool first = true;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    try {
      check_utf8(line);
      if (std::exchange(first, false) && may_have_header && is_beir_header(line)) continue;
      Judgment j = parse(line);
      check_id(j.qid, "query");
      check_id(j.doc_id, "document");
      if (known_docs != nullptr && known_docs->count(j.doc_id) == 0)
        bad_record("document \"", j.doc_id, "\" is not in the corpus; expected judgments of corpus documents");
      auto& docs = qrels.judgments[j.qid];
      if (!docs.emplace(j.doc_id, j.grade).second)
        bad_record("duplicate judgment of query \"", j.qid, "\" and document \"", j.doc_id,
                   "\"; expected each pair once");
      if (stats != nullptr) ++stats->num_records;
    } catch (const BadRecord& e) {
      policy.skip(lines.where(), e.what);
    }
  }
  policy.summarize(path);
  return qrels;
}

}  // namespace

Qrels read_trec_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                              const DocIdSet* known_docs) {
  return read_judgments(path, options, stats, known_docs, parse_trec_line, false);
}

Qrels read_beir_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                              const DocIdSet* known_docs) {
  return read_judgments(path, options, stats, known_docs, parse_beir_line, true);
}

Qrels read_smart_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                               const DocIdSet* known_docs) {
  if (starts_with_number_line(path)) {  // a query number alone opens a Glasgow group
    DENSER_LOG_INFO(path, ": Glasgow judgments (a query number, its relevant documents, \"/\")");
    return read_glasgow_judgments(path, options, stats, known_docs);
  }
  return read_judgments(path, options, stats, known_docs, parse_smart_line, false);
}

Qrels read_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats, const DocIdSet* known_docs) {
  std::string line;
  std::string where;
  {
    LineReader lines(path);
    while (lines.next(line) && is_blank(line)) {}
    if (is_blank(line)) return {};  // no judgments at all
    where = lines.where();
  }
  size_t columns = split_whitespace(line).size();
  if (columns == 4) return read_trec_qrels_checked(path, options, stats, known_docs);
  if (columns == 3) return read_beir_qrels_checked(path, options, stats, known_docs);
  DENSER_THROW(ErrorCode::kCorrupt, where, ": cannot tell the qrels format from a line of ", columns,
               " columns; expected TREC \"query-id iteration doc-id grade\" or BEIR "
               "\"query-id corpus-id score\" (with a header line)");
}

}  // namespace data_internal

Qrels read_trec_qrels(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_trec_qrels_checked(path, options, stats, nullptr);
}

Qrels read_beir_qrels(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_beir_qrels_checked(path, options, stats, nullptr);
}

Qrels read_smart_qrels(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_smart_qrels_checked(path, options, stats, nullptr);
}

Qrels read_qrels(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_qrels_checked(path, options, stats, nullptr);
}

}  // namespace denser
