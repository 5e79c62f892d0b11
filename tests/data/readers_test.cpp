// BEIR and MS MARCO readers, TREC qrels, and the UTF-8 validator. Each malformed input
// is checked for the "file:line:" its error names and for what was wrong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/read_util.h"
#include "data_test_util.h"
#include "denser/data/readers.h"

namespace {

using denser::Document;
using denser::Query;
using denser::ReadOptions;
using denser::ReadStats;
using denser_test::read_all;
using denser_test::TempDir;
using denser_test::testdata;
using denser_test::throws_error_with;

constexpr ReadOptions kLenient{true};

// ---------------------------------------------------------------- BEIR corpus

TEST(BeirCorpus, ReadsFixture) {
  std::string path = testdata("beir_tiny/corpus.jsonl");
  auto reader = denser::open_beir_corpus(path);
  Document doc;
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "d1");
  EXPECT_EQ(doc.title, "Solar power");
  EXPECT_EQ(doc.text, "Photovoltaic cells turn sunlight into electricity.");
  EXPECT_EQ(reader->where(), path + ":1");
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "2");  // a JSON integer id becomes its decimal string
  EXPECT_EQ(doc.title, "Wind");
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "d3");
  EXPECT_EQ(doc.title, "");  // no title key
  EXPECT_EQ(doc.text,
            "Hydroelectric dams store water: \xC3\x9Cn\xC3\xAF"
            "c\xC3\xB6"
            "d\xC3\xA9 \xE2\x86\x92 fine.");
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "d4");  // the blank line 4 is no record
  EXPECT_EQ(doc.title, "");
  EXPECT_EQ(doc.text, "");
  EXPECT_EQ(reader->where(), path + ":5");
  EXPECT_FALSE(reader->next(doc));
  EXPECT_EQ(reader->stats().num_records, 4u);
  EXPECT_EQ(reader->stats().num_skipped, 0u);
  EXPECT_EQ(reader->bytes_read(), reader->total_bytes());
}

struct BadLine {
  std::string line;
  std::string fragment;
};

// Each bad line comes second, after a good one, so the error must name line 2.
TEST(BeirCorpus, MalformedLinesNameFileAndLine) {
  const std::string good = R"({"_id": "d1", "text": "fine"})";
  const std::vector<BadLine> cases = {
      {R"({"_id": "x", "text": })", "invalid JSON"},
      {R"({"_id": "x", "text": "t", "score": 7e777})", "number overflow"},  // found by fuzz_beir
      {"7e777e77eqeq5", "invalid JSON"},
      {R"(["_id", "x"])", "expected one JSON object per line"},
      {R"({"text": "no id"})", "missing \"_id\""},
      {R"({"_id": "", "text": "t"})", "empty document id"},
      {R"({"_id": 1.5, "text": "t"})", "expected a string (or an integer)"},
      {R"({"_id": null, "text": "t"})", "expected a string (or an integer)"},
      {R"({"_id": "a b", "text": "t"})", "whitespace"},
      {R"({"_id": "d1", "text": "again"})", "duplicate document id \"d1\" (first seen at line 1)"},
      {R"({"_id": "x"})", "missing \"text\""},
      {R"({"_id": "x", "text": 5})", "\"text\" is a JSON number"},
      {R"({"_id": "x", "title": ["t"], "text": "t"})", "\"title\" is a JSON array"},
      {"{\"_id\": \"x\", \"text\": \"caf\xE9\"}", "invalid UTF-8 at byte 26"},
      {"{\"_id\": \"\xFF\", \"text\": \"t\"}", "invalid UTF-8 at byte 10"},
  };
  TempDir dir("beir_bad");
  for (const auto& c : cases) {
    std::string path = dir.write("corpus.jsonl", good + "\n" + c.line + "\n");
    EXPECT_TRUE(throws_error_with([&] { read_all(*denser::open_beir_corpus(path)); }, {path + ":2: ", c.fragment}))
        << c.line;
  }
}

TEST(BeirCorpus, LenientSkipsAndCounts) {
  TempDir dir("beir_lenient");
  std::string path = dir.write("corpus.jsonl",
                               "{\"_id\": \"a\", \"text\": \"one\"}\n"
                               "not json\n"
                               "{\"_id\": \"a\", \"text\": \"duplicate\"}\n"
                               "{\"_id\": \"b\", \"text\": \"two\"}\n");
  auto reader = denser::open_beir_corpus(path, kLenient);
  auto docs = read_all(*reader);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "one");  // the first of two duplicates is kept
  EXPECT_EQ(docs[1].id, "b");
  EXPECT_EQ(reader->stats().num_records, 2u);
  EXPECT_EQ(reader->stats().num_skipped, 2u);
}

// ---------------------------------------------------------------- BEIR queries and qrels

TEST(BeirQueries, ReadsFixtureInFileOrder) {
  ReadStats stats;
  auto queries = denser::read_beir_queries(testdata("beir_tiny/queries.jsonl"), {}, &stats);
  ASSERT_EQ(queries.size(), 4u);
  EXPECT_EQ(queries[0].id, "q1");
  EXPECT_EQ(queries[0].text, "how do solar panels work");
  EXPECT_EQ(queries[3].id, "q4");
  EXPECT_EQ(stats.num_records, 4u);
}

TEST(BeirQueries, MalformedAndLenient) {
  TempDir dir("beir_queries");
  const std::string good = R"({"_id": "q1", "text": "fine"})";
  const std::vector<BadLine> cases = {
      {R"({"_id": "q1", "text": "again"})", "duplicate query id \"q1\" (first seen at line 1)"},
      {R"({"_id": "q2", "text": "  "})", "empty text"},
      {R"({"_id": "q2"})", "missing \"text\""},
      {R"({"_id": 7.25, "text": "t"})", "expected a string"},
      {R"({"_id": "q2", "text": "t")", "invalid JSON"},
  };
  for (const auto& c : cases) {
    std::string path = dir.write("queries.jsonl", good + "\n" + c.line + "\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_beir_queries(path); }, {path + ":2: ", c.fragment})) << c.line;
    ReadStats stats;
    auto queries = denser::read_beir_queries(path, kLenient, &stats);
    EXPECT_EQ(queries.size(), 1u);
    EXPECT_EQ(stats.num_records, 1u);
    EXPECT_EQ(stats.num_skipped, 1u);
  }
}

TEST(BeirQrels, ReadsHeaderAndGrades) {
  ReadStats stats;
  auto qrels = denser::read_beir_qrels(testdata("beir_tiny/qrels/train.tsv"), {}, &stats);
  EXPECT_EQ(qrels.num_queries(), 1u);
  EXPECT_EQ(qrels.num_judgments(), 2u);
  EXPECT_EQ(qrels.grade("q2", "2"), 1);
  EXPECT_EQ(qrels.grade("q2", "d1"), 0);
  EXPECT_EQ(qrels.judgments.at("q2").count("d1"), 1u);  // judged non-relevant is kept
  EXPECT_EQ(stats.num_records, 2u);
}

TEST(BeirQrels, HeaderlessFileKeepsItsFirstJudgment) {
  TempDir dir("beir_qrels");
  std::string path = dir.write("test.tsv", "q1\td1\t2\nq1\td2\t1\n");
  auto qrels = denser::read_beir_qrels(path);
  EXPECT_EQ(qrels.num_judgments(), 2u);
  EXPECT_EQ(qrels.grade("q1", "d1"), 2);
}

TEST(BeirQrels, MalformedLinesNameFileAndLine) {
  TempDir dir("beir_qrels_bad");
  const std::string header = "query-id\tcorpus-id\tscore\nq1\td1\t1\n";
  const std::vector<BadLine> cases = {
      {"q1\td2\tx", "bad score \"x\"; expected an integer"},
      {"q1\td2\t1.5", "bad score \"1.5\""},
      {"q1\td2", "found 2 columns; expected 3"},
      {"q1\td2\t1\textra", "found 4 columns; expected 3"},
      {"q1\td1\t0", "duplicate judgment of query \"q1\" and document \"d1\""},
      {"q1\t\xC3\x28\t1", "invalid UTF-8"},
  };
  for (const auto& c : cases) {
    std::string path = dir.write("test.tsv", header + c.line + "\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_beir_qrels(path); }, {path + ":3: ", c.fragment})) << c.line;
    ReadStats stats;
    auto qrels = denser::read_beir_qrels(path, kLenient, &stats);
    EXPECT_EQ(qrels.num_judgments(), 1u);
    EXPECT_EQ(stats.num_skipped, 1u);
  }
}

// ---------------------------------------------------------------- MS MARCO

TEST(MsMarcoCollection, ReadsTwoAndThreeColumns) {
  auto reader = denser::open_msmarco_collection(testdata("msmarco_tiny/collection.tsv"));
  auto docs = read_all(*reader);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].id, "7");
  EXPECT_EQ(docs[0].title, "");
  EXPECT_EQ(docs[0].text, "The presence of communication amid scientific minds was equally important.");
  EXPECT_EQ(docs[1].id, "8");
  EXPECT_EQ(docs[1].title, "Manhattan Project");
  EXPECT_EQ(docs[1].text, "The Manhattan Project was a research effort.");
  EXPECT_EQ(docs[2].text, "Atomic bombs ended the war.");
}

TEST(MsMarcoCollection, FourColumnsDropTheUrl) {
  TempDir dir("msmarco_docs");
  std::string path = dir.write("collection.tsv", "D1\thttp://x.org/\tA title\tThe body.\r\n");
  auto docs = read_all(*denser::open_msmarco_collection(path));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].title, "A title");
  EXPECT_EQ(docs[0].text, "The body.");  // and the CR of a CRLF line is gone
}

TEST(MsMarcoCollection, MalformedLinesNameFileAndLine) {
  TempDir dir("msmarco_bad");
  const std::vector<BadLine> cases = {
      {"no tab here", "found 1 tab-separated columns"},
      {"1\ta\tb\tc\td", "found 5 tab-separated columns"},
      {"\tempty id", "empty document id"},
      {"1\tduplicate", "duplicate document id \"1\""},
      {"2\tbad \xC0\x80 bytes", "invalid UTF-8 at byte 7"},
  };
  for (const auto& c : cases) {
    std::string path = dir.write("collection.tsv", "1\tgood\n" + c.line + "\n");
    EXPECT_TRUE(
        throws_error_with([&] { read_all(*denser::open_msmarco_collection(path)); }, {path + ":2: ", c.fragment}))
        << c.line;
    auto reader = denser::open_msmarco_collection(path, kLenient);
    EXPECT_EQ(read_all(*reader).size(), 1u);
    EXPECT_EQ(reader->stats().num_skipped, 1u);
  }
}

TEST(MsMarcoQueries, ReadsAndRejectsExtraColumns) {
  auto queries = denser::read_msmarco_queries(testdata("msmarco_tiny/queries.dev.tsv"));
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[1].id, "200");
  EXPECT_EQ(queries[1].text, "who dropped atomic bombs");
  TempDir dir("msmarco_queries");
  std::string path = dir.write("queries.dev.tsv", "1\tfine\n2\ttoo\tmany\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_msmarco_queries(path); },
                                {path + ":2: ", "found 3 tab-separated columns; expected 2"}));
}

// ---------------------------------------------------------------- TREC qrels

TEST(TrecQrels, ReadsSpaceAndTabSeparated) {
  auto dev = denser::read_trec_qrels(testdata("msmarco_tiny/qrels.dev.tsv"));
  EXPECT_EQ(dev.num_queries(), 2u);
  EXPECT_EQ(dev.num_judgments(), 3u);
  EXPECT_EQ(dev.grade("100", "8"), 1);
  EXPECT_EQ(dev.grade("200", "7"), 0);
  auto train = denser::read_trec_qrels(testdata("msmarco_tiny/qrels.train.tsv"));
  EXPECT_EQ(train.grade("300", "7"), 1);
}

TEST(TrecQrels, MalformedLinesNameFileAndLine) {
  TempDir dir("trec_qrels");
  const std::vector<BadLine> cases = {
      {"q1 0 d2", "found 3 columns; expected 4"},
      {"q1 0 d2 high", "bad grade \"high\""},
      {"q1 0 d1 3", "duplicate judgment"},
  };
  for (const auto& c : cases) {
    std::string path = dir.write("qrels.txt", "q1 0 d1 1\n" + c.line + "\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_trec_qrels(path); }, {path + ":2: ", c.fragment})) << c.line;
  }
}

TEST(Qrels, ReadQrelsTellsTheFormatsApart) {
  TempDir dir("qrels_auto");
  auto trec = denser::read_qrels(dir.write("a.txt", "\nq1 0 d1 2\nq1 0 d2 0\n"));
  EXPECT_EQ(trec.num_judgments(), 2u);
  EXPECT_EQ(trec.grade("q1", "d1"), 2);
  auto beir = denser::read_qrels(testdata("beir_tiny/qrels/test.tsv"));
  EXPECT_EQ(beir.num_judgments(), 2u);
  EXPECT_EQ(beir.grade("q3", "d3"), 2);
  EXPECT_EQ(denser::read_qrels(dir.write("empty.txt", "")).num_queries(), 0u);
  std::string odd = dir.write("odd.txt", "\nq1 d1\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_qrels(odd); }, {odd + ":2: ", "cannot tell the qrels format"}));
}

TEST(Readers, MissingFileIsAnErrorNamingIt) {
  EXPECT_TRUE(throws_error_with([] { denser::read_beir_queries("/nonexistent/queries.jsonl"); },
                                {"/nonexistent/queries.jsonl"}));
  EXPECT_TRUE(
      throws_error_with([] { denser::open_beir_corpus("/nonexistent/corpus.jsonl"); }, {"/nonexistent/corpus.jsonl"}));
}

}  // namespace
