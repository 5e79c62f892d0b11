// TREC run writer and reader: exact round trip of scores and order, and malformed lines.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include "data_test_util.h"
#include "denser/common/io.h"
#include "denser/data/readers.h"

namespace {

using denser_test::TempDir;
using denser_test::throws_error_with;

TEST(TrecRun, WritesTheDocumentedLineFormat) {
  TempDir dir("run_format");
  denser::Run run;
  run.tag = "bm25";
  run.results["q2"] = {{"d9", 12.5}, {"d1", -0.25}};
  run.results["q10"] = {{"d3", 3.0}};
  std::string path = dir.path("run.txt");
  denser::write_trec_run(path, run);
  // Queries in map order (byte order: "q10" < "q2"), ranks from 1, shortest exact scores.
  EXPECT_EQ(denser::read_file(path),
            "q10 Q0 d3 1 3 bm25\n"
            "q2 Q0 d9 1 12.5 bm25\n"
            "q2 Q0 d1 2 -0.25 bm25\n");
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string(), "run.txt");  // no temporary left behind
}

TEST(TrecRun, RoundTripKeepsEveryScoreBitForBit) {
  TempDir dir("run_roundtrip");
  denser::Run run;
  run.tag = "dense";
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> score(-50.0, 50.0);
  for (int q = 0; q < 20; ++q) {
    auto& list = run.results[denser::str("q", q)];
    for (int d = 0; d < 100; ++d) list.push_back({denser::str("doc", d), score(rng)});
  }
  // Scores closer than %.6f can print: a fixed-precision writer would tie them.
  run.results["close"] = {{"a", 0.12345678901234},
                          {"b", 0.12345678901233},
                          {"c", 1e-300},
                          {"d", std::numeric_limits<double>::max()},
                          {"e", -0.0}};
  std::string path = dir.path("run.txt");
  denser::write_trec_run(path, run);
  denser::ReadStats stats;
  denser::Run back = denser::read_trec_run(path, {}, &stats);
  EXPECT_EQ(back.tag, "dense");
  EXPECT_EQ(stats.num_records, 20u * 100u + 5u);
  ASSERT_EQ(back.results.size(), run.results.size());
  for (const auto& [qid, list] : run.results) {
    const auto& got = back.results.at(qid);
    ASSERT_EQ(got.size(), list.size()) << qid;
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(got[i].doc_id, list[i].doc_id);
      EXPECT_EQ(got[i].score, list[i].score) << qid << " " << i;  // exact, not near
    }
  }
}

TEST(TrecRun, WriterRejectsIdsThatWouldBreakTheFormat) {
  TempDir dir("run_bad_ids");
  denser::Run run;
  run.results["q 1"] = {{"d1", 1.0}};
  std::string path = dir.path("run.txt");
  EXPECT_TRUE(throws_error_with([&] { denser::write_trec_run(path, run); }, {path, "whitespace"}));
  EXPECT_FALSE(std::filesystem::exists(path));
  run.results.clear();
  run.results["q1"] = {{"d1", std::nan("")}};
  EXPECT_TRUE(throws_error_with([&] { denser::write_trec_run(path, run); }, {path, "NaN"}));
  run.results["q1"] = {{"d1", 1.0}};
  run.tag = "";
  EXPECT_TRUE(throws_error_with([&] { denser::write_trec_run(path, run); }, {path, "empty run tag"}));
}

TEST(TrecRun, MalformedLinesNameFileAndLine) {
  TempDir dir("run_bad");
  struct Case {
    std::string line;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"q1 Q0 d2 2 1.0", "found 5 columns; expected 6"},
      {"q1 Q0 d2 two 1.0 t", "bad rank \"two\""},
      {"q1 Q0 d2 2 high t", "bad score \"high\""},
      {"q1 Q0 d2 2 nan t", "bad score \"nan\""},
      {"q1 Q0 d1 2 0.5 t", "document \"d1\" appears twice in the ranking of query \"q1\""},
  };
  for (const auto& c : cases) {
    std::string path = dir.write("run.txt", "q1 Q0 d1 1 2.0 t\n" + c.line + "\nq2 Q0 d1 1 1 t\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_trec_run(path); }, {path + ":2: ", c.fragment})) << c.line;
    denser::ReadStats stats;
    denser::Run run = denser::read_trec_run(path, {true}, &stats);
    EXPECT_EQ(stats.num_skipped, 1u);
    EXPECT_EQ(stats.num_records, 2u);
    EXPECT_EQ(run.results.at("q1").size(), 1u);
  }
}

TEST(TrecRun, KeepsFileOrderWithinAQuery) {
  TempDir dir("run_order");
  // Not sorted by score: the reader must not reorder (evaluation sorts as trec_eval does).
  std::string path = dir.write("run.txt", "q1 Q0 b 1 1.0 x\nq1\tQ0\ta\t2\t5.0\tx\n");
  denser::Run run = denser::read_trec_run(path);
  ASSERT_EQ(run.results.at("q1").size(), 2u);
  EXPECT_EQ(run.results.at("q1")[0].doc_id, "b");
  EXPECT_EQ(run.results.at("q1")[1].score, 5.0);
}

}  // namespace
