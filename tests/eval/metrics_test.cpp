// Hand-worked values for every measure, trec_eval's ranking rules, and measure parsing.
// Each expected value is derived in the comment above it.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/eval/metrics.h"

namespace denser {
namespace {

constexpr int kNone = RankedJudgments::kNotInQrels;
constexpr int kPool = RankedJudgments::kUnjudgedInPool;

RankedJudgments make(std::vector<int> rels, int64_t num_rel, std::vector<int> ideal = {}) {
  RankedJudgments r;
  r.rels = std::move(rels);
  r.num_rel = num_rel;
  r.ideal_grades = std::move(ideal);
  return r;
}

std::string thrown_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(RankJudgments, SortsByScoreThenDocIdDescendingIgnoringFileOrder) {
  // Scores: c=1, a=2, b=2, B=2, d=0.5. Ties at 2 go by doc id descending in byte order:
  // "b" (0x62) > "a" (0x61) > "B" (0x42). Ranking: b a B c d.
  std::map<std::string, int> judged = {{"a", 1}, {"B", 2}, {"c", 0}, {"d", -1}};
  std::vector<RunEntry> run = {{"c", 1.0}, {"a", 2.0}, {"b", 2.0}, {"B", 2.0}, {"d", 0.5}};
  RankedJudgments r = rank_judgments("q", judged, run);
  EXPECT_EQ(r.rels, (std::vector<int>{kNone, 1, 2, 0, kPool}));
  EXPECT_EQ(r.num_rel, 2);      // a and B
  EXPECT_EQ(r.num_rel_ret, 2);  // both retrieved
  EXPECT_EQ(r.ideal_grades, (std::vector<int>{2, 1}));
}

TEST(RankJudgments, ComparesDocIdsAsUnsignedBytesLikeStrcmp) {
  // "\xc3\xa9" (é) starts with 0xC3 > 'z': strcmp ranks "é" above "z" on a tie. A signed
  // char comparison would put it below.
  std::map<std::string, int> judged = {{"z", 1}};
  std::vector<RunEntry> run = {{"z", 1.0}, {"\xc3\xa9", 1.0}};
  EXPECT_EQ(rank_judgments("q", judged, run).rels, (std::vector<int>{kNone, 1}));
}

TEST(RankJudgments, NumericLookingIdsCompareAsStrings) {
  // "d10" < "d9" as strings, so on a tie d9 ranks first.
  std::map<std::string, int> judged = {{"d10", 1}, {"d9", 0}};
  std::vector<RunEntry> run = {{"d10", 3.0}, {"d9", 3.0}};
  EXPECT_EQ(rank_judgments("q", judged, run).rels, (std::vector<int>{0, 1}));
}

TEST(RankJudgments, RejectsDuplicateDocumentsAndNaN) {
  std::map<std::string, int> judged = {{"a", 1}};
  std::string dup = thrown_message([&] { rank_judgments("q7", judged, {{"a", 1.0}, {"b", 2.0}, {"a", 0.5}}); });
  EXPECT_NE(dup.find("q7"), std::string::npos) << dup;
  EXPECT_NE(dup.find("\"a\" is retrieved twice"), std::string::npos) << dup;
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(thrown_message([&] { rank_judgments("q", judged, {{"a", nan}}); }).find("NaN"), std::string::npos);
}

TEST(Measures, AveragePrecision) {
  // Relevant at ranks 1 and 3 of 5, 3 relevant judged: (1/1 + 2/3) / 3 = 0.555...
  EXPECT_DOUBLE_EQ(average_precision(make({1, 0, 2, kNone, kPool}, 3)), (1.0 + 2.0 / 3.0) / 3.0);
  // Nothing relevant retrieved: 0, even though num_rel > 0.
  EXPECT_EQ(average_precision(make({0, kNone}, 4)), 0.0);
  // All relevant at the top: (1/1 + 2/2) / 2 = 1.
  EXPECT_DOUBLE_EQ(average_precision(make({1, 3, 0}, 2)), 1.0);
}

TEST(Measures, AveragePrecisionAtRelevanceLevelTwo) {
  // Level 2: only grades >= 2 count; relevant at ranks 2 and 4, num_rel (grades >= 2) = 2:
  // (1/2 + 2/4) / 2 = 0.5.
  EvalOptions level2;
  level2.relevance_level = 2;
  EXPECT_DOUBLE_EQ(average_precision(make({1, 2, 1, 3}, 2), level2), 0.5);
}

TEST(Measures, ReciprocalRank) {
  EXPECT_DOUBLE_EQ(reciprocal_rank(make({0, kNone, 1, 1}, 2)), 1.0 / 3.0);  // first at rank 3
  EXPECT_EQ(reciprocal_rank(make({0, kPool}, 2)), 0.0);                     // none retrieved
}

TEST(Measures, PrecisionDividesByTheCutoffEvenPastTheEndOfTheRun) {
  RankedJudgments r = make({1, 0, 1}, 5);
  EXPECT_DOUBLE_EQ(precision_at(r, 1), 1.0);        // 1/1
  EXPECT_DOUBLE_EQ(precision_at(r, 2), 0.5);        // 1/2
  EXPECT_DOUBLE_EQ(precision_at(r, 10), 2.0 / 10);  // 2 relevant in 3 retrieved, / 10
  EXPECT_THROW(precision_at(r, 0), Error);
}

TEST(Measures, RecallIsZeroWithoutRelevantJudgments) {
  RankedJudgments r = make({1, 0, 1}, 4);
  EXPECT_DOUBLE_EQ(recall_at(r, 1), 0.25);  // 1 of 4
  EXPECT_DOUBLE_EQ(recall_at(r, 3), 0.5);   // 2 of 4
  EXPECT_DOUBLE_EQ(recall_at(r, 1000), 0.5);
  EXPECT_EQ(recall_at(make({0, kNone}, 0), 10), 0.0);
}

TEST(Measures, NdcgUsesGradesAsGainsAndTheJudgedIdealRanking) {
  // Ranked grades 3, (unjudged), 2, 0, 1; judged grades >= 1 are {3, 2, 2, 1} (one 2 not
  // retrieved). DCG@5 = 3/log2(2) + 2/log2(4) + 1/log2(6) = 3 + 1 + 0.386853 = 4.386853.
  // IDCG@5 = 3/log2(2) + 2/log2(3) + 2/log2(4) + 1/log2(5)
  //        = 3 + 1.261860 + 1 + 0.430677 = 5.692537.  nDCG@5 = 0.770632.
  RankedJudgments r = make({3, kNone, 2, 0, 1}, 4, {3, 2, 2, 1});
  double dcg5 = 3.0 + 1.0 + 1.0 / std::log2(6.0);
  double idcg5 = 3.0 + 2.0 / std::log2(3.0) + 1.0 + 1.0 / std::log2(5.0);
  EXPECT_NEAR(ndcg_at(r, 5), 0.770632, 1e-6);
  EXPECT_DOUBLE_EQ(ndcg_at(r, 5), dcg5 / idcg5);
  // Cut at 1: 3/3 = 1. Cut at 2: DCG 3, IDCG 3 + 2/log2(3) = 4.261860 -> 0.703918.
  EXPECT_DOUBLE_EQ(ndcg_at(r, 1), 1.0);
  EXPECT_NEAR(ndcg_at(r, 2), 0.703918, 1e-6);
}

TEST(Measures, NdcgIgnoresNegativeAndZeroGradesAndHandlesNoRelevant) {
  // Grades -2 (pool) and 0 give no gain; the single relevant doc at rank 3 has gain 1:
  // DCG = 1/log2(4) = 0.5, IDCG = 1 -> 0.5.
  EXPECT_DOUBLE_EQ(ndcg_at(make({kPool, 0, 1}, 1, {1}), 10), 0.5);
  // No judged grade >= 1: 0 (not NaN).
  EXPECT_EQ(ndcg_at(make({0, kNone}, 0, {}), 10), 0.0);
}

TEST(Measures, NdcgIdealIgnoresTheRelevanceLevel) {
  // trec_eval's ideal ranking uses every grade >= 1 whatever -l is; rank_judgments keeps
  // them: grades {1, 2} -> ideal {2, 1} even at level 2.
  EvalOptions level2;
  level2.relevance_level = 2;
  RankedJudgments r = rank_judgments("q", {{"a", 1}, {"b", 2}}, {{"a", 2.0}, {"b", 1.0}}, level2);
  EXPECT_EQ(r.ideal_grades, (std::vector<int>{2, 1}));
  EXPECT_EQ(r.num_rel, 1);
  // DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3).
  EXPECT_DOUBLE_EQ(ndcg_at(r, 10), (1.0 + 2.0 / std::log2(3.0)) / (2.0 + 1.0 / std::log2(3.0)));
}

TEST(Evaluate, EvaluatesOnlyQueriesInBothAndAveragesOverThem) {
  Qrels qrels;
  qrels.judgments["q1"] = {{"a", 1}, {"b", 1}};
  qrels.judgments["q2"] = {{"c", 0}};  // judged, nothing relevant: evaluated, scores 0
  qrels.judgments["q3"] = {{"d", 1}};  // not in the run: ignored
  denser::Run run;
  run.results["q1"] = {{"a", 2.0}, {"x", 1.0}};
  run.results["q2"] = {{"c", 1.0}};
  run.results["q9"] = {{"a", 1.0}};  // not judged: ignored
  EvalResult result = evaluate(qrels, run, MeasureSet::parse({"num_q", "num_ret", "map", "recall.1"}));
  ASSERT_EQ(result.names, (std::vector<std::string>{"num_q", "num_ret", "map", "recall_1"}));
  ASSERT_EQ(result.num_queries(), 2);
  EXPECT_EQ(result.per_query[0].query_id, "q1");
  EXPECT_EQ(result.num_run_only_queries, 1);
  EXPECT_EQ(result.num_qrels_only_queries, 1);
  // q1: AP = (1/1) / 2 = 0.5, recall@1 = 1/2. q2: 0 and 0. Means: 0.25, 0.25.
  EXPECT_EQ(result.per_query[0].values, (std::vector<double>{1, 2, 0.5, 0.5}));
  EXPECT_EQ(result.per_query[1].values, (std::vector<double>{1, 1, 0.0, 0.0}));
  EXPECT_EQ(result.all, (std::vector<double>{2, 3, 0.25, 0.25}));  // num_ret is a sum
}

TEST(Evaluate, RejectsNegativeRelevanceLevel) {
  EvalOptions options;
  options.relevance_level = -1;
  EXPECT_THROW(evaluate({}, {}, MeasureSet::defaults(), options), Error);
}

TEST(Format, PrintsTrecEvalLines) {
  Qrels qrels;
  qrels.judgments["q1"] = {{"a", 1}};
  denser::Run run;
  run.results["q1"] = {{"b", 2.0}, {"a", 1.0}};
  EvalResult result = evaluate(qrels, run, MeasureSet::parse({"num_q", "num_ret", "map", "ndcg_cut.1000"}));
  // AP = 1/2; nDCG = (1/log2(3)) / 1 = 0.6309.
  EXPECT_EQ(format_trec_eval(result, false),
            "num_q                 \tall\t1\n"
            "num_ret               \tall\t2\n"
            "map                   \tall\t0.5000\n"
            "ndcg_cut_1000         \tall\t0.6309\n");
  EXPECT_EQ(format_trec_eval(result, true),
            "num_ret               \tq1\t2\n"
            "map                   \tq1\t0.5000\n"
            "ndcg_cut_1000         \tq1\t0.6309\n"
            "num_q                 \tall\t1\n"
            "num_ret               \tall\t2\n"
            "map                   \tall\t0.5000\n"
            "ndcg_cut_1000         \tall\t0.6309\n");
}

TEST(MeasureSetTest, DefaultsInTrecEvalOrder) {
  EXPECT_EQ(MeasureSet::defaults().value_names(),
            (std::vector<std::string>{"num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank", "P_10",
                                      "recall_10", "recall_100", "recall_1000", "ndcg_cut_10", "ndcg_cut_100"}));
}

TEST(MeasureSetTest, ParsesTrecEvalSyntaxIntoPrintOrder) {
  // Given in any order, printed in trec_eval's order; cutoffs sorted; lists merged.
  MeasureSet set = MeasureSet::parse({"ndcg_cut.20,5", "map", "P.10", "P.5,20", "recip_rank"});
  EXPECT_EQ(set.value_names(),
            (std::vector<std::string>{"map", "recip_rank", "P_5", "P_10", "P_20", "ndcg_cut_5", "ndcg_cut_20"}));
  // A bare cutoff measure gets trec_eval's defaults, unless a list is given elsewhere.
  EXPECT_EQ(MeasureSet::parse({"recall"}).specs()[0].cutoffs,
            (std::vector<int64_t>{5, 10, 15, 20, 30, 100, 200, 500, 1000}));
  EXPECT_EQ(MeasureSet::parse({"recall", "recall.7"}).specs()[0].cutoffs, (std::vector<int64_t>{7}));
}

TEST(MeasureSetTest, RejectsBadArguments) {
  std::string unknown = thrown_message([] { MeasureSet::parse({"bpref"}); });
  EXPECT_NE(unknown.find("unknown measure \"bpref\""), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("ndcg_cut.K"), std::string::npos) << unknown;  // lists what is supported
  for (const char* bad : {"P.0", "P.-5", "P.5,5", "P.x", "P.", "P.5,", "map.5", "P.10abc"})
    EXPECT_THROW(MeasureSet::parse({bad}), Error) << bad;
}

}  // namespace
}  // namespace denser
