// TREC runs: "qid Q0 docid rank score tag", one retrieved document per line.
//
// Scores are written in the shortest decimal form that parses back to the same double
// (std::to_chars without a precision). Fixed "%.6f" (Anserini's choice) can turn two
// distinct scores into one printed value, and trec_eval, which orders by score and breaks
// ties by document id, would then rank them differently from denser; with round-trip
// output the ordering trec_eval sees is exactly the one denser computed.
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "read_util.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/data/readers.h"

namespace denser {
namespace {

using data_internal::bad_record;
using data_internal::BadRecord;

double parse_score(std::string_view field) {
  double value = 0.0;
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || std::isnan(value)) bad_record("bad score \"", field, "\"; expected a number");
  return value;
}

void append_score(std::string& out, double score) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), score);
  DENSER_CHECK(ec == std::errc(), ErrorCode::kInternal, "cannot format score ", score);
  out.append(buf, ptr);
}

}  // namespace

Run read_trec_run(const std::string& path, ReadOptions options, ReadStats* stats) {
  LineReader lines(path);
  data_internal::SkipPolicy policy(options, stats);
  Run run;
  bool have_tag = false;
  // Per query, the documents seen so far: trec_eval rejects a document twice in a ranking.
  std::unordered_map<std::string, std::unordered_set<std::string>> seen;
  std::string line;
  while (lines.next(line)) {
    if (data_internal::is_blank(line)) continue;
    try {
      data_internal::check_utf8(line);
      auto f = data_internal::split_whitespace(line);
      if (f.size() != 6) bad_record("found ", f.size(), " columns; expected 6 (query-id Q0 doc-id rank score tag)");
      std::string qid(f[0]);
      std::string doc_id(f[2]);
      data_internal::parse_int(f[3], "rank");
      double score = parse_score(f[4]);
      if (!seen[qid].insert(doc_id).second)
        bad_record("document \"", doc_id, "\" appears twice in the ranking of query \"", qid,
                   "\"; expected each document once per query");
      run.results[qid].push_back({std::move(doc_id), score});
      if (!have_tag) run.tag = std::string(f[5]);
      have_tag = true;
      if (stats != nullptr) ++stats->num_records;
    } catch (const BadRecord& e) {
      policy.skip(lines.where(), e.what);
    }
  }
  policy.summarize(path);
  return run;
}

void write_trec_run(const std::string& path, const Run& run) {
  try {
    data_internal::check_id(run.tag, "run tag");
  } catch (const BadRecord& e) {
    DENSER_THROW(ErrorCode::kInvalidArgument, path, ": cannot write the run: ", e.what);
  }
  AtomicFileWriter out(path);
  std::string buffer;
  for (const auto& [qid, entries] : run.results) {
    for (size_t i = 0; i < entries.size(); ++i) {
      const RunEntry& e = entries[i];
      try {
        data_internal::check_id(qid, "query");
        data_internal::check_id(e.doc_id, "document");
      } catch (const BadRecord& bad) {
        DENSER_THROW(ErrorCode::kInvalidArgument, path, ": cannot write the run: ", bad.what);
      }
      DENSER_CHECK(!std::isnan(e.score), ErrorCode::kInvalidArgument, path,
                   ": cannot write the run: score of document \"", e.doc_id, "\" for query \"", qid,
                   "\" is NaN; expected a number");
      buffer.append(qid).append(" Q0 ").append(e.doc_id).push_back(' ');
      buffer.append(std::to_string(i + 1)).push_back(' ');
      append_score(buffer, e.score);
      buffer.append(" ").append(run.tag).push_back('\n');
      if (buffer.size() >= (1 << 16)) {
        out.write(buffer);
        buffer.clear();
      }
    }
  }
  out.write(buffer);
  out.commit();
}

}  // namespace denser
