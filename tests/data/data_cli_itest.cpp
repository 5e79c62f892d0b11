// `denser data stats` and `denser data debian-packages` through the built binary,
// including the real apt lists when this machine has them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "data_test_util.h"
#include "support/command.h"
#include "denser/common/io.h"
#include "denser/data/collection.h"
#include "denser/data/debian_packages.h"

namespace {

using denser_test::TempDir;
using denser_test::testdata;

using denser_test::contains;
using denser_test::run_denser;

TEST(DataCli, StatsPrintsLayoutAndCounts) {
  auto r = run_denser("data stats --collection " + testdata("beir_tiny"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "layout: beir")) << r.output;
  EXPECT_TRUE(contains(r.output, "documents: 4")) << r.output;
  EXPECT_TRUE(contains(r.output, "split test: queries: 2, judged queries: 2, judgments: 2 (relevant: 2)")) << r.output;
  EXPECT_TRUE(contains(r.output, "split train: queries: 1, judged queries: 1, judgments: 2 (relevant: 1)")) << r.output;
  r = run_denser("data stats --collection " + testdata("smart_tiny") + " --split test");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "layout: smart")) << r.output;
  EXPECT_TRUE(contains(r.output, "split test: queries: 2, judged queries: 2, judgments: 3 (relevant: 2)")) << r.output;
}

TEST(DataCli, StatsReportsMalformedInputAndLenientCounts) {
  TempDir dir("cli_bad");
  dir.write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"one\"}\n");
  dir.write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"query\"}\n{\"_id\": \"q1\", \"text\": \"again\"}\n");
  std::string qrels = dir.write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
  auto r = run_denser("data stats --collection " + dir.path());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_TRUE(contains(r.output, "denser: error: " + dir.path("queries.jsonl") + ":2: duplicate query id")) << r.output;
  r = run_denser("data stats --lenient --collection " + dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "split test: queries: 1")) << r.output;
  EXPECT_TRUE(contains(r.output, "skipped (lenient): 1 malformed")) << r.output;
}

TEST(DataCli, DebianPackagesFromAListsDirectory) {
  TempDir dir("cli_debian");
  dir.write("lists/x_main_i18n_Translation-en", denser::read_file(testdata("Translation-en-sample")));
  std::string out = dir.path("out");
  auto r =
      run_denser("data debian-packages --out " + out + " --lists " + dir.path("lists") + " --dev 3 --test 3 --seed 9");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "entries: 20, packages: 17 (duplicate entries dropped: 3)")) << r.output;
  EXPECT_TRUE(contains(r.output, "packages skipped: 1 without a long description, 0 malformed stanzas")) << r.output;
  EXPECT_TRUE(contains(r.output, "documents: 15")) << r.output;
  EXPECT_TRUE(contains(r.output, "train  queries: 8")) << r.output;
  EXPECT_TRUE(contains(r.output, "test   queries: 3")) << r.output;
  EXPECT_EQ(denser::Collection::open(out).num_documents(), 15u);
  r = run_denser("data debian-packages --out " + out + " --lists " + dir.path("lists"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "only 14 distinct synopses")) << r.output;
}

// The real index: whatever its size, the split must hold its promises.
TEST(DataCli, DebianPackagesFromTheSystemLists) {
  if (denser::find_translation_files(denser::kAptListsDir).empty())
    GTEST_SKIP() << "no Translation-en lists in " << denser::kAptListsDir;
  TempDir dir("cli_debian_real");
  std::string out = dir.path("out");
  auto r = run_denser("data debian-packages --out " + out + " --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  denser::Collection c = denser::Collection::open(out);
  auto test = c.queries("test");
  auto dev = c.queries("dev");
  auto train = c.queries("train");
  EXPECT_EQ(test.size(), 1000u);
  EXPECT_EQ(dev.size(), 1000u);
  EXPECT_GT(train.size(), 10000u);
  std::set<std::string> train_synopses;
  for (const auto& q : train) train_synopses.insert(denser::normalize_synopsis(q.text));
  for (const auto& q : test) EXPECT_EQ(train_synopses.count(denser::normalize_synopsis(q.text)), 0u) << q.text;
  // Every judgment names a corpus document (Collection::qrels checks it) and is relevant.
  for (const char* split : {"train", "dev", "test"})
    for (const auto& [qid, docs] : c.qrels(split).judgments)
      for (const auto& [doc, grade] : docs) ASSERT_EQ(grade, 1);
}

}  // namespace
