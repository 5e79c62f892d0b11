// Collection: layout detection, splits, judged queries in file order, the corpus check of
// judgments, and the real SciFact and Cranfield counts.
#include "denser/data/collection.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "data_test_util.h"

namespace {

using denser::Collection;
using denser::CollectionLayout;
using denser::ReadStats;
using denser_test::TempDir;
using denser_test::testdata;
using denser_test::throws_error_with;

std::vector<std::string> ids_of(const std::vector<denser::Query>& queries) {
  std::vector<std::string> ids;
  for (const auto& q : queries) ids.push_back(q.id);
  return ids;
}

TEST(Collection, BeirFixture) {
  Collection c = Collection::open(testdata("beir_tiny"));
  EXPECT_EQ(c.layout(), CollectionLayout::kBeir);
  EXPECT_STREQ(denser::layout_name(c.layout()), "beir");
  EXPECT_EQ(c.corpus_path(), testdata("beir_tiny") + "/corpus.jsonl");
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"test", "train"}));
  EXPECT_EQ(c.num_documents(), 4u);
  EXPECT_EQ(c.qrels("test").num_judgments(), 2u);
  EXPECT_EQ(c.qrels("train").grade("q2", "2"), 1);
  // Queries-file order (q1 before q3), although the qrels list q3 first.
  EXPECT_EQ(ids_of(c.queries("test")), (std::vector<std::string>{"q1", "q3"}));
  EXPECT_EQ(ids_of(c.queries("train")), (std::vector<std::string>{"q2"}));
  EXPECT_TRUE(
      throws_error_with([&] { c.qrels("dev"); }, {"no judgments for split \"dev\"", "qrels/dev.tsv", "test, train"}));
}

TEST(Collection, MsMarcoFixture) {
  Collection c = Collection::open(testdata("msmarco_tiny"));
  EXPECT_EQ(c.layout(), CollectionLayout::kMsMarco);
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"dev", "train"}));
  EXPECT_EQ(c.num_documents(), 3u);
  EXPECT_EQ(c.qrels("dev").num_judgments(), 3u);
  EXPECT_EQ(ids_of(c.queries("dev")), (std::vector<std::string>{"100", "200"}));
  EXPECT_EQ(ids_of(c.queries("train")), (std::vector<std::string>{"300"}));
  auto docs = denser_test::read_all(*c.documents());
  EXPECT_EQ(docs[1].title, "Manhattan Project");
}

TEST(Collection, SmartFixture) {
  Collection c = Collection::open(testdata("smart_tiny"));
  EXPECT_EQ(c.layout(), CollectionLayout::kSmart);
  EXPECT_EQ(c.corpus_path(), testdata("smart_tiny") + "/tiny.all.3");
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"test"}));
  EXPECT_EQ(c.num_documents(), 3u);
  EXPECT_EQ(c.qrels("test").num_judgments(), 3u);
  EXPECT_EQ(ids_of(c.queries("test")), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(throws_error_with([&] { c.qrels("train"); }, {"no judgments for split \"train\"", "test"}));
}

TEST(Collection, SmartDetectionIgnoresCaseAndNeedsOneDocumentsFile) {
  TempDir dir("smart_detect");
  dir.write("MED.ALL", ".I 1\n.W\nsome text\n");
  dir.write("MED.QRY", ".I 1\n.W\na query\n");
  dir.write("MED.REL", "1 1 1\n");
  dir.write("README", "not a collection file\n");
  Collection c = Collection::open(dir.path());
  EXPECT_EQ(c.layout(), CollectionLayout::kSmart);
  EXPECT_EQ(c.corpus_path(), dir.path("MED.ALL"));
  EXPECT_EQ(c.queries("test").size(), 1u);
  dir.write("other.all.5", ".I 1\n.W\nx\n");
  EXPECT_TRUE(throws_error_with([&] { Collection::open(dir.path()); },
                                {"several SMART documents (*.all.*) files", "MED.ALL", "other.all.5"}));
}

TEST(Collection, UndetectableLayoutSaysWhatWasLookedFor) {
  TempDir dir("no_layout");
  dir.write("notes.txt", "hello\n");
  EXPECT_TRUE(throws_error_with([&] { Collection::open(dir.path()); },
                                {dir.path(), "corpus.jsonl", "collection.tsv", "*.all.*"}));
  EXPECT_TRUE(throws_error_with([&] { Collection::open(dir.path("missing")); }, {"not a directory"}));
}

TEST(Collection, JudgmentOfAnUnknownDocumentNamesTheQrelsLine) {
  TempDir dir("unknown_doc");
  dir.write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"one\"}\n{\"_id\": \"d2\", \"text\": \"two\"}\n");
  dir.write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"query\"}\n");
  std::string qrels = dir.write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\tnope\t1\n");
  EXPECT_TRUE(throws_error_with([&] { Collection::open(dir.path()).qrels("test"); },
                                {qrels + ":3: ", "document \"nope\" is not in the corpus"}));
  ReadStats stats;
  auto judged = Collection::open(dir.path(), {true}).qrels("test", &stats);
  EXPECT_EQ(judged.num_judgments(), 1u);
  EXPECT_EQ(stats.num_skipped, 1u);
  // The plain reader does not know the corpus and keeps it.
  EXPECT_EQ(denser::read_beir_qrels(qrels).num_judgments(), 2u);
}

TEST(Collection, JudgedQueryWithoutTextIsAnError) {
  TempDir dir("missing_query");
  dir.write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"one\"}\n");
  std::string queries = dir.write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"query\"}\n");
  std::string qrels = dir.write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\n");
  EXPECT_TRUE(throws_error_with([&] { Collection::open(dir.path()).queries("test"); },
                                {qrels, "query \"q9\" is judged but has no text in " + queries}));
  ReadStats stats;
  auto got = Collection::open(dir.path(), {true}).queries("test", &stats);
  EXPECT_EQ(ids_of(got), (std::vector<std::string>{"q1"}));
  EXPECT_EQ(stats.num_skipped, 1u);
}

// ---------------------------------------------------------------- real collections

std::string shared(const std::string& name) { return std::string(DENSER_SHARED_DIR) + "/datasets/" + name; }

TEST(Collection, SciFactCounts) {
  if (!std::filesystem::exists(shared("scifact/corpus.jsonl")))
    GTEST_SKIP() << "../shared not found: " << shared("scifact");
  Collection c = Collection::open(shared("scifact"));
  EXPECT_EQ(c.layout(), CollectionLayout::kBeir);
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"test", "train"}));
  EXPECT_EQ(c.num_documents(), 5183u);
  auto train = c.qrels("train");
  auto test = c.qrels("test");
  EXPECT_EQ(train.num_queries(), 809u);
  EXPECT_EQ(train.num_judgments(), 919u);
  EXPECT_EQ(test.num_queries(), 300u);
  EXPECT_EQ(test.num_judgments(), 339u);
  for (const auto& [qid, docs] : test.judgments) EXPECT_EQ(train.judgments.count(qid), 0u) << qid;
  auto test_queries = c.queries("test");
  ASSERT_EQ(test_queries.size(), 300u);
  EXPECT_EQ(test_queries[0].id, "1");
  EXPECT_EQ(test_queries[1].id, "3");
  EXPECT_EQ(test_queries.back().id, "1395");
  EXPECT_EQ(c.queries("train").size(), 809u);
  EXPECT_EQ(denser::read_beir_queries(shared("scifact/queries.jsonl")).size(), 1109u);
}

TEST(Collection, CranfieldThroughTheCollection) {
  if (!std::filesystem::exists(shared("cranfield/cran.all.1400")))
    GTEST_SKIP() << "../shared not found: " << shared("cranfield");
  Collection c = Collection::open(shared("cranfield"));
  EXPECT_EQ(c.layout(), CollectionLayout::kSmart);
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"test"}));
  EXPECT_EQ(c.num_documents(), 1400u);
  EXPECT_EQ(c.qrels("test").num_judgments(), 1837u);  // every judged document is in the corpus
  EXPECT_EQ(c.queries("test").size(), 225u);
}

}  // namespace
