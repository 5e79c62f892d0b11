// One query's ranking as trec_eval sees it, and the measures computed from it.
//
// Every measure repeats trec_eval's arithmetic in its order (same additions, same
// divisions, log2 from the same libm), so the doubles are bit-identical to trec_eval's and
// "%6.4f" rounds them the same way even when a value sits on a rounding boundary.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/eval/metrics.h"

namespace denser {
namespace {

// strcmp order: std::string::compare compares as unsigned char, as strcmp does.
bool ranks_before(const RunEntry* a, const RunEntry* b) {
  if (a->score != b->score) return a->score > b->score;
  return a->doc_id.compare(b->doc_id) > 0;
}

void check_level(const EvalOptions& options) {
  DENSER_CHECK(options.relevance_level >= 0, ErrorCode::kInvalidArgument, "relevance level ", options.relevance_level,
               " is negative; expected a grade >= 0");
}

}  // namespace

RankedJudgments rank_judgments(const std::string& query_id, const std::map<std::string, int>& judged,
                               const std::vector<RunEntry>& retrieved, const EvalOptions& options) {
  check_level(options);
  std::vector<const RunEntry*> order;
  order.reserve(retrieved.size());
  for (const RunEntry& e : retrieved) {
    DENSER_CHECK(!std::isnan(e.score), ErrorCode::kInvalidArgument, "query \"", query_id, "\": document \"", e.doc_id,
                 "\" has a NaN score; expected a number");
    order.push_back(&e);
  }
  // trec_eval refuses a ranking that names a document twice; so do we, before ranking.
  std::vector<const RunEntry*> by_id = order;
  std::sort(by_id.begin(), by_id.end(), [](const RunEntry* a, const RunEntry* b) { return a->doc_id < b->doc_id; });
  auto dup = std::adjacent_find(by_id.begin(), by_id.end(),
                                [](const RunEntry* a, const RunEntry* b) { return a->doc_id == b->doc_id; });
  DENSER_CHECK(dup == by_id.end(), ErrorCode::kInvalidArgument, "query \"", query_id, "\": document \"", (*dup)->doc_id,
               "\" is retrieved twice; expected each document once per query (trec_eval refuses such runs)");
  std::sort(order.begin(), order.end(), ranks_before);

  RankedJudgments r;
  r.rels.reserve(order.size());
  for (const RunEntry* e : order) {
    auto it = judged.find(e->doc_id);
    int rel = it == judged.end() ? RankedJudgments::kNotInQrels
                                 : (it->second < 0 ? RankedJudgments::kUnjudgedInPool : it->second);
    r.rels.push_back(rel);
    if (rel >= 0 && rel >= options.relevance_level) ++r.num_rel_ret;
  }
  for (const auto& [doc_id, grade] : judged) {
    if (grade >= 0 && grade >= options.relevance_level) ++r.num_rel;
    if (grade >= 1) r.ideal_grades.push_back(grade);
  }
  std::sort(r.ideal_grades.begin(), r.ideal_grades.end(), std::greater<int>());
  return r;
}

double average_precision(const RankedJudgments& r, const EvalOptions& options) {
  int64_t rel_so_far = 0;
  double sum = 0.0;
  for (size_t i = 0; i < r.rels.size(); ++i) {
    if (r.rels[i] >= options.relevance_level) {
      ++rel_so_far;
      sum += static_cast<double>(rel_so_far) / static_cast<double>(i + 1);
    }
  }
  return rel_so_far > 0 ? sum / static_cast<double>(r.num_rel) : 0.0;
}

double reciprocal_rank(const RankedJudgments& r, const EvalOptions& options) {
  for (size_t i = 0; i < r.rels.size(); ++i)
    if (r.rels[i] >= options.relevance_level) return 1.0 / static_cast<double>(i + 1);
  return 0.0;
}

namespace {

int64_t relevant_in_top(const RankedJudgments& r, int64_t k, const EvalOptions& options) {
  int64_t n = std::min<int64_t>(k, static_cast<int64_t>(r.rels.size()));
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i)
    if (r.rels[i] >= options.relevance_level) ++count;
  return count;
}

void check_cutoff(int64_t k) {
  DENSER_CHECK(k >= 1, ErrorCode::kInvalidArgument, "cutoff ", k, " is not positive; expected k >= 1");
}

}  // namespace

double precision_at(const RankedJudgments& r, int64_t k, const EvalOptions& options) {
  check_cutoff(k);
  // Missing ranks count as non-relevant: the divisor is k, not the number retrieved.
  return static_cast<double>(relevant_in_top(r, k, options)) / static_cast<double>(k);
}

double recall_at(const RankedJudgments& r, int64_t k, const EvalOptions& options) {
  check_cutoff(k);
  if (r.num_rel == 0) return 0.0;
  return static_cast<double>(relevant_in_top(r, k, options)) / static_cast<double>(r.num_rel);
}

double ndcg_at(const RankedJudgments& r, int64_t k) {
  check_cutoff(k);
  double dcg = 0.0;
  int64_t n = std::min<int64_t>(k, static_cast<int64_t>(r.rels.size()));
  for (int64_t i = 0; i < n; ++i) {
    double gain = r.rels[i];
    if (gain > 0) dcg += gain / std::log2(static_cast<double>(i + 2));
  }
  double ideal = 0.0;
  int64_t m = std::min<int64_t>(k, static_cast<int64_t>(r.ideal_grades.size()));
  for (int64_t i = 0; i < m; ++i) {
    double gain = r.ideal_grades[i];
    ideal += gain / std::log2(static_cast<double>(i + 2));
  }
  // No relevant judgments: trec_eval leaves the (then zero) DCG unnormalized.
  return ideal > 0.0 ? dcg / ideal : dcg;
}

}  // namespace denser
