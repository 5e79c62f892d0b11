// `denser bm25 index` and `denser bm25 search` end to end on a small BEIR-layout fixture:
// the run file must hold exactly what the library returns, and failures must exit 1 with a
// message naming the file.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "denser/common/io.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/sparse/bm25_index.h"
#include "sparse/bm25_test_util.h"
#include "support/command.h"

namespace denser {
namespace {

const std::string kMini = std::string(DENSER_TESTDATA_DIR) + "/sparse/mini";

using denser_test::CommandResult;
using denser_test::contains;

denser_test::CommandResult run_denser(const std::string& args, const std::string& /*dir*/) {
  return denser_test::run_denser(args);
}

class Bm25Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = bm25_test::temp_dir("cli");
    index_ = dir_ + "/mini.idx";
    const CommandResult built =
        run_denser("bm25 index --collection " + kMini + " --index " + index_ + " --threads 2", dir_);
    ASSERT_EQ(built.exit_code, 0) << built.output;
    ASSERT_TRUE(contains(built.output, "indexed 8 documents (1 without terms)")) << built.output;
  }

  std::string dir_, index_;
};

// The classic collections' layouts (Cranfield's, CISI's and Glasgow's fixtures) index and
// score end to end, without --lenient: every query's top document is one judged relevant.
TEST(Bm25SmartVariants, IndexAndScoreEachLayout) {
  const std::string dir = bm25_test::temp_dir("smart_variants");
  for (const std::string name : {"smart_tiny", "smart_cisi", "glasgow"}) {
    const std::string collection = std::string(DENSER_TESTDATA_DIR) + "/data/" + name;
    const std::string index = dir + "/" + name + ".idx", run_path = dir + "/" + name + ".run";
    CommandResult r = run_denser("bm25 index --collection " + collection + " --index " + index, dir);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.output;
    r = run_denser("bm25 search --index " + index + " --collection " + collection + " --split test --run " + run_path,
                   dir);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.output;
    const Collection c = Collection::open(collection);
    const Qrels qrels = c.qrels("test");
    const denser::Run run = read_trec_run(run_path);
    ASSERT_FALSE(qrels.judgments.empty()) << name;
    for (const auto& [qid, judged] : qrels.judgments) {
      if (std::none_of(judged.begin(), judged.end(), [](const auto& j) { return j.second > 0; })) continue;
      ASSERT_TRUE(run.results.count(qid)) << name << " query " << qid;
      EXPECT_GT(qrels.grade(qid, run.results.at(qid)[0].doc_id), 0) << name << " query " << qid;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_F(Bm25Cli, RunFileHoldsTheLibraryResults) {
  const std::string run_path = dir_ + "/mini.run";
  const CommandResult searched = run_denser(
      "bm25 search --index " + index_ + " --collection " + kMini + " --split test --k 1000 --run " + run_path, dir_);
  ASSERT_EQ(searched.exit_code, 0) << searched.output;
  EXPECT_TRUE(contains(searched.output, "searched 4 queries")) << searched.output;
  const denser::Run run = read_trec_run(run_path);
  EXPECT_EQ(run.results.size(), 3u);  // q4 matches nothing and has no lines

  const Bm25Index index = Bm25Index::open(index_);
  EXPECT_TRUE(index.analyzer_options().stem);  // the defaults: Anserini's analyzer
  for (const Query& q : Collection::open(kMini).queries("test")) {
    const Bm25SearchResult expected = index.search(q.text);
    auto it = run.results.find(q.id);
    if (expected.hits.empty()) {
      EXPECT_TRUE(it == run.results.end()) << q.id;
      continue;
    }
    ASSERT_TRUE(it != run.results.end()) << q.id;
    ASSERT_EQ(it->second.size(), expected.hits.size()) << q.id;
    for (size_t i = 0; i < expected.hits.size(); ++i) {
      EXPECT_EQ(it->second[i].doc_id, index.doc_id(expected.hits[i].doc)) << q.id << " rank " << i;
      EXPECT_EQ(it->second[i].score, static_cast<double>(expected.hits[i].score)) << q.id << " rank " << i;
    }
  }
  // The obvious answers come first.
  EXPECT_EQ(run.results.at("q1")[0].doc_id, "doc1");
  EXPECT_EQ(run.results.at("q3")[0].doc_id, "doc6");
  EXPECT_EQ(run.tag, "denser-bm25");

  const std::string exhaustive_path = dir_ + "/exhaustive.run";
  const CommandResult exhaustive = run_denser("bm25 search --index " + index_ + " --collection " + kMini + " --run " +
                                                  exhaustive_path + " --exhaustive --threads 1",
                                              dir_);
  ASSERT_EQ(exhaustive.exit_code, 0) << exhaustive.output;
  EXPECT_EQ(read_file(exhaustive_path), read_file(run_path));
}

TEST_F(Bm25Cli, OptionsReachTheLibrary) {
  const std::string run_path = dir_ + "/k2.run";
  CommandResult r = run_denser("bm25 search --index " + index_ + " --collection " + kMini + " --k 2 --run " + run_path +
                                   " --k1 1.2 --b 0.75 --tag mytag",
                               dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const denser::Run run = read_trec_run(run_path);
  EXPECT_EQ(run.tag, "mytag");
  const Bm25Index index = Bm25Index::open(index_);
  Bm25SearchOptions options;
  options.k = 2;
  options.params = Bm25Params{1.2f, 0.75f, false};
  const Bm25SearchResult expected = index.search("running and heart health", options);
  ASSERT_EQ(run.results.at("q2").size(), 2u);
  EXPECT_EQ(run.results.at("q2")[0].score, static_cast<double>(expected.hits[0].score));

  const std::string exact = dir_ + "/exact.idx";
  r = run_denser("bm25 index --collection " + kMini + " --index " + exact + " --k1 1.5 --b 0.3 --exact-lengths " +
                     "--no-stem --keep-stopwords",
                 dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Bm25Index exact_index = Bm25Index::open(exact);
  EXPECT_EQ(exact_index.params(), (Bm25Params{1.5f, 0.3f, true}));
  EXPECT_FALSE(exact_index.analyzer_options().stem);
  EXPECT_FALSE(exact_index.analyzer_options().remove_stopwords);
  EXPECT_GT(exact_index.doc_freq("and"), 0u);  // a stopword, kept
}

TEST_F(Bm25Cli, FailuresExitWithAMessage) {
  // A damaged index names the file.
  const std::string bytes = read_file(index_);
  const std::string damaged = dir_ + "/damaged.idx";
  write_file_atomic(damaged, bytes.substr(0, bytes.size() / 2));
  CommandResult r =
      run_denser("bm25 search --index " + damaged + " --collection " + kMini + " --run " + dir_ + "/x.run", dir_);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_TRUE(contains(r.output, "denser: error: " + damaged + ": ")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.run"));
  // A missing collection, a missing split, a missing required flag.
  r = run_denser("bm25 index --collection " + dir_ + "/nowhere --index " + dir_ + "/y.idx", dir_);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.output, "nowhere")) << r.output;
  r = run_denser("bm25 search --index " + index_ + " --collection " + kMini + " --split dev --run " + dir_ + "/z.run",
                 dir_);
  EXPECT_EQ(r.exit_code, 3);
  r = run_denser("bm25 search --index " + index_, dir_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "is required")) << r.output;
}

TEST_F(Bm25Cli, HelpDescribesEveryFlag) {
  CommandResult r = run_denser("bm25 index --help", dir_);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--collection", "--index", "--k1", "--b", "--threads", "--exact-lengths", "--lenient",
                           "--no-stem", "--keep-stopwords"})
    EXPECT_TRUE(contains(r.output, flag)) << flag;
  r = run_denser("bm25 search --help", dir_);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--index", "--collection", "--split", "--run", "--k", "--threads", "--exhaustive", "--no-verify", "--tag"})
    EXPECT_TRUE(contains(r.output, flag)) << flag;
}

}  // namespace
}  // namespace denser
