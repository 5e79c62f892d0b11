// Whole-run evaluation and trec_eval's printed form.
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "denser/common/error.h"
#include "denser/eval/metrics.h"

namespace denser {
namespace {

bool is_count(MeasureKind kind) {
  return kind == MeasureKind::kNumQ || kind == MeasureKind::kNumRet || kind == MeasureKind::kNumRel ||
         kind == MeasureKind::kNumRelRet;
}

// Appends one query's values in MeasureSet order.
void compute_values(const RankedJudgments& r, const MeasureSet& measures, const EvalOptions& options,
                    std::vector<double>& out) {
  for (const MeasureSpec& spec : measures.specs()) {
    switch (spec.kind) {
      case MeasureKind::kNumQ: out.push_back(1.0); break;
      case MeasureKind::kNumRet: out.push_back(static_cast<double>(r.rels.size())); break;
      case MeasureKind::kNumRel: out.push_back(static_cast<double>(r.num_rel)); break;
      case MeasureKind::kNumRelRet: out.push_back(static_cast<double>(r.num_rel_ret)); break;
      case MeasureKind::kMap: out.push_back(average_precision(r, options)); break;
      case MeasureKind::kRecipRank: out.push_back(reciprocal_rank(r, options)); break;
      case MeasureKind::kP:
        for (int64_t k : spec.cutoffs) out.push_back(precision_at(r, k, options));
        break;
      case MeasureKind::kRecall:
        for (int64_t k : spec.cutoffs) out.push_back(recall_at(r, k, options));
        break;
      case MeasureKind::kNdcgCut:
        for (int64_t k : spec.cutoffs) out.push_back(ndcg_at(r, k));
        break;
    }
  }
}

// Sums in query order then divides, as trec_eval accumulates and averages; counts are
// summed, num_q is the number of queries.
std::vector<double> aggregate(const EvalResult& result, const MeasureSet& measures) {
  std::vector<double> all(result.names.size(), 0.0);
  for (const QueryEval& q : result.per_query)
    for (size_t i = 0; i < all.size(); ++i) all[i] += q.values[i];
  size_t i = 0;
  double n = static_cast<double>(result.per_query.size());
  for (const MeasureSpec& spec : measures.specs()) {
    size_t width = measure_has_cutoffs(spec.kind) ? spec.cutoffs.size() : 1;
    for (size_t j = 0; j < width; ++j, ++i) {
      if (spec.kind == MeasureKind::kNumQ)
        all[i] = n;
      else if (!is_count(spec.kind) && n > 0)
        all[i] /= n;
    }
  }
  return all;
}

// "%-22s\t%s\t%6.4f\n" (counts "%ld"), trec_eval's line format.
void append_line(std::string& out, const std::string& name, const std::string& qid, double value, bool count) {
  out.append(name);
  if (name.size() < 22) out.append(22 - name.size(), ' ');
  out.push_back('\t');
  out.append(qid);
  char buf[64];
  int len = count ? std::snprintf(buf, sizeof(buf), "\t%ld\n", static_cast<long>(value))
                  : std::snprintf(buf, sizeof(buf), "\t%6.4f\n", value);
  out.append(buf, static_cast<size_t>(len));
}

}  // namespace

int64_t EvalResult::index_of(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int64_t>(i);
  return -1;
}

EvalResult evaluate(const Qrels& qrels, const Run& run, const MeasureSet& measures, const EvalOptions& options) {
  DENSER_CHECK(options.relevance_level >= 0, ErrorCode::kInvalidArgument, "relevance level ", options.relevance_level,
               " is negative; expected a grade >= 0");
  EvalResult result;
  result.names = measures.value_names();
  for (const MeasureSpec& spec : measures.specs()) {
    size_t width = measure_has_cutoffs(spec.kind) ? spec.cutoffs.size() : 1;
    result.is_count.insert(result.is_count.end(), width, is_count(spec.kind));
  }
  // trec_eval walks the qrels' queries in strcmp order; std::map iterates in that order.
  for (const auto& [qid, judged] : qrels.judgments) {
    if (judged.empty()) continue;
    auto it = run.results.find(qid);
    if (it == run.results.end() || it->second.empty()) {
      ++result.num_qrels_only_queries;
      continue;
    }
    RankedJudgments r = rank_judgments(qid, judged, it->second, options);
    QueryEval q{qid, {}};
    q.values.reserve(result.names.size());
    compute_values(r, measures, options, q.values);
    result.per_query.push_back(std::move(q));
  }
  for (const auto& [qid, entries] : run.results) {
    if (entries.empty()) continue;
    auto it = qrels.judgments.find(qid);
    if (it == qrels.judgments.end() || it->second.empty()) ++result.num_run_only_queries;
  }
  result.all = aggregate(result, measures);
  return result;
}

std::string format_trec_eval(const EvalResult& result, bool per_query) {
  std::string out;
  if (per_query) {
    for (const QueryEval& q : result.per_query) {
      for (size_t i = 0; i < result.names.size(); ++i) {
        if (result.names[i] == "num_q") continue;  // trec_eval prints num_q only for "all"
        append_line(out, result.names[i], q.query_id, q.values[i], result.is_count[i]);
      }
    }
  }
  for (size_t i = 0; i < result.names.size(); ++i)
    append_line(out, result.names[i], "all", result.all[i], result.is_count[i]);
  return out;
}

}  // namespace denser
