#pragma once
// Evaluation of a run against relevance judgments with trec_eval's semantics (usnistgov/
// trec_eval, 9.0.8 / 10.0 development line), so that `denser eval` prints the same numbers
// as `trec_eval -m ...` to the last printed digit. What that means, in short:
//
//  - Only queries present in both the run and the qrels are evaluated (trec_eval without
//    -c); "all" is the mean over those. A query that has judgments but no relevant
//    document is evaluated and scores 0 on map, recall, ndcg and recip_rank.
//  - The run's order is ignored: each query's documents are re-ranked by score (double)
//    descending, ties broken by document id descending in byte (strcmp) order.
//  - A document is relevant when its grade >= relevance_level (default 1). Documents not
//    in the qrels are non-relevant; a negative grade (trec_eval's "in the pool but not
//    judged") is never relevant and counts towards nothing.
//  - ndcg_cut.K: gain = grade of a retrieved document with grade > 0, discount
//    log2(rank + 1); the ideal ranking is every judged grade >= 1 sorted descending
//    (independent of relevance_level), both cut at K.
//  - P.K divides by K even when fewer than K documents were retrieved; recall.K divides
//    by the number of relevant judged documents (0 when there are none).
//
// Thread safety: everything here is a pure function of its arguments.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "denser/data/types.h"

namespace denser {

/// The measure families denser computes, in the order trec_eval prints them.
enum class MeasureKind { kNumQ, kNumRet, kNumRel, kNumRelRet, kMap, kRecipRank, kP, kRecall, kNdcgCut };

/// trec_eval's name of a family: "num_q", "map", "P", "recall", "ndcg_cut", ...
std::string_view measure_name(MeasureKind kind);
/// True for the families that take cutoffs (P, recall, ndcg_cut).
bool measure_has_cutoffs(MeasureKind kind);

/// One requested family; cutoffs are ascending and distinct (empty when the family takes none).
struct MeasureSpec {
  MeasureKind kind = MeasureKind::kMap;
  std::vector<int64_t> cutoffs;

  bool operator==(const MeasureSpec&) const = default;
};

/// The measures to compute, at most one spec per family, kept in trec_eval's print order.
class MeasureSet {
 public:
  /// denser's default: num_q num_ret num_rel num_rel_ret map recip_rank P.10
  /// recall.10,100,1000 ndcg_cut.10,100.
  static MeasureSet defaults();
  /// Parses trec_eval -m arguments: "map", "recip_rank", "num_q", "P.5,10", "ndcg_cut.10",
  /// "recall" (no list: trec_eval's defaults 5,10,15,20,30,100,200,500,1000). A family
  /// named twice gets the union of its cutoffs (trec_eval would keep the first list only).
  /// Throws denser::Error naming the argument for an unknown measure (listing the
  /// supported ones), a cutoff that is not a positive integer, a cutoff repeated within
  /// one argument, or parameters given to a measure that takes none.
  static MeasureSet parse(const std::vector<std::string>& args);

  const std::vector<MeasureSpec>& specs() const { return specs_; }
  /// One name per printed value, in print order: "num_q", "map", "P_10", "ndcg_cut_100".
  std::vector<std::string> value_names() const;
  /// The supported measures, for help and error messages.
  static std::string supported_list();

 private:
  void add(MeasureKind kind, const std::vector<int64_t>& cutoffs);
  std::vector<MeasureSpec> specs_;
};

struct EvalOptions {
  /// trec_eval -l: the minimum grade of a relevant document. Must be >= 0.
  int relevance_level = 1;
};

/// The retrieved documents of one query, in trec_eval's order, with their judgments:
/// the input every measure is computed from. O(n log n) to build for n retrieved docs.
struct RankedJudgments {
  /// rels[i]: grade of the document at rank i + 1; kNotInQrels for a document without a
  /// judgment, kUnjudgedInPool for one whose grade is negative.
  std::vector<int> rels;
  /// Judged documents with grade >= relevance_level (retrieved or not).
  int64_t num_rel = 0;
  /// Retrieved documents with grade >= relevance_level.
  int64_t num_rel_ret = 0;
  /// Every judged grade >= 1, descending: the ideal ranking for ndcg.
  std::vector<int> ideal_grades;

  static constexpr int kNotInQrels = -1;
  static constexpr int kUnjudgedInPool = -2;
};

/// Ranks `retrieved` by score descending, ties by doc id descending (strcmp order), and
/// looks each document up in `judged` (doc id -> grade). Throws denser::Error naming the
/// query for a NaN score or a document retrieved twice (trec_eval refuses both).
RankedJudgments rank_judgments(const std::string& query_id, const std::map<std::string, int>& judged,
                               const std::vector<RunEntry>& retrieved, const EvalOptions& options = {});

/// Per-query measures over a RankedJudgments, each exactly as trec_eval computes it.
double average_precision(const RankedJudgments& r, const EvalOptions& options = {});
double reciprocal_rank(const RankedJudgments& r, const EvalOptions& options = {});
/// Cutoff k >= 1.
double precision_at(const RankedJudgments& r, int64_t k, const EvalOptions& options = {});
double recall_at(const RankedJudgments& r, int64_t k, const EvalOptions& options = {});
double ndcg_at(const RankedJudgments& r, int64_t k);

/// The values of one evaluated query, aligned with EvalResult::names.
struct QueryEval {
  std::string query_id;
  std::vector<double> values;
};

/// What evaluate() returns: per-query values and the "all" line, plus counters.
struct EvalResult {
  /// Printed names, aligned with every values vector (see MeasureSet::value_names).
  std::vector<std::string> names;
  /// is_count[i]: the value prints as an integer (num_q, num_ret, num_rel, num_rel_ret).
  std::vector<bool> is_count;
  /// Evaluated queries in query-id strcmp order (trec_eval's -q order). num_q is 1 here.
  std::vector<QueryEval> per_query;
  /// The "all" values: means over per_query for measures, sums for num_* counts,
  /// num_q = per_query.size(). All zero when nothing was evaluated.
  std::vector<double> all;
  /// Queries of the run without judgments, and judged queries absent from the run (both
  /// ignored, as trec_eval does).
  int64_t num_run_only_queries = 0;
  int64_t num_qrels_only_queries = 0;

  int64_t num_queries() const { return static_cast<int64_t>(per_query.size()); }
  /// Index of a printed name ("P_10") in names, or -1.
  int64_t index_of(std::string_view name) const;
};

/// Evaluates every query present in both (an empty ranking or empty judgment list counts
/// as absent). Throws denser::Error for a negative relevance_level, a NaN score or a
/// document retrieved twice by an evaluated query. O(total retrieved * log).
EvalResult evaluate(const Qrels& qrels, const Run& run, const MeasureSet& measures, const EvalOptions& options = {});

/// trec_eval's text output: with per_query, each query's lines (all measures but num_q)
/// before the "all" lines. Lines are "%-22s\t%s\t%6.4f" (counts "%-22s\t%s\t%ld").
std::string format_trec_eval(const EvalResult& result, bool per_query);

}  // namespace denser
