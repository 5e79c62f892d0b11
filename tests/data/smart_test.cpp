// SMART readers (documents, queries numbered by position, Cranfield judgments) on a
// fixture, on malformed records, and on the real Cranfield collection.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data_test_util.h"
#include "denser/data/readers.h"

namespace {

using denser::ReadStats;
using denser_test::read_all;
using denser_test::TempDir;
using denser_test::testdata;
using denser_test::throws_error_with;

TEST(SmartDocuments, ReadsFixtureFieldsAcrossLines) {
  std::string path = testdata("smart_tiny/tiny.all.3");
  auto reader = denser::open_smart_documents(path);
  denser::Document doc;
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "1");
  EXPECT_EQ(doc.title, "experimental wing in a slipstream .");
  // A repeated .W appends; the .A between them is dropped.
  EXPECT_EQ(doc.text, "experimental investigation of a wing in a slipstream . more text .");
  EXPECT_EQ(reader->where(), path + ":1");
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "2");  // ".I 002"
  EXPECT_EQ(doc.title, "");
  EXPECT_EQ(doc.text, "");  // an empty record, as Cranfield's 471 and 995
  EXPECT_EQ(reader->where(), path + ":16");
  ASSERT_TRUE(reader->next(doc));
  EXPECT_EQ(doc.id, "3");
  EXPECT_EQ(doc.title, "shear flow");
  EXPECT_EQ(doc.text, "simple shear flow past a flat plate .");
  EXPECT_EQ(reader->where(), path + ":21");
  EXPECT_FALSE(reader->next(doc));
  EXPECT_EQ(reader->stats().num_records, 3u);
  EXPECT_EQ(reader->bytes_read(), reader->total_bytes());
}

TEST(SmartDocuments, MalformedRecordsNameFileAndLine) {
  struct Case {
    std::string text;
    int line;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"junk\n.I 1\n.W\ntext\n", 1, "text before the first record"},
      {".I\n.W\nx\n", 1, "expected \".I <id>\" with one id"},
      {".I 1 2\n.W\nx\n", 1, "expected \".I <id>\" with one id"},
      {".I 1\nsome text\n.W\nx\n", 2, "text right after \".I\""},
      {".I 1\n.W\nx\n.I 2\n.I 3\n.W\ny\n", 4, "ends without any field"},
      {".I 1\n.W\nx\n.I 2\n", 4, "truncated record"},
      {".I 1\n.W\na\n.I 01\n.W\nb\n", 4, "duplicate document id \"1\" (first seen at line 1)"},
      {".I 1\n.W\na\n.I 2\n.W\nbad \xFF\n", 6, "invalid UTF-8 at byte 5"},
  };
  TempDir dir("smart_bad");
  for (const auto& c : cases) {
    std::string path = dir.write("x.all.2", c.text);
    EXPECT_TRUE(throws_error_with([&] { read_all(*denser::open_smart_documents(path)); },
                                  {path + ":" + std::to_string(c.line) + ": ", c.fragment}))
        << c.text;
  }
}

TEST(SmartDocuments, LenientSkipsTheWholeRecord) {
  TempDir dir("smart_lenient");
  std::string path = dir.write("x.all.3", ".I 1\n.W\none\n.I 2\nstray\n.I 3\n.W\nthree\n");
  auto reader = denser::open_smart_documents(path, {true});
  auto docs = read_all(*reader);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "one");
  EXPECT_EQ(docs[1].id, "3");
  EXPECT_EQ(docs[1].text, "three");
  EXPECT_EQ(reader->stats().num_skipped, 1u);
}

TEST(SmartQueries, IdsArePositionsNotDotINumbers) {
  auto queries = denser::read_smart_queries(testdata("smart_tiny/tiny.qry"));
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].id, "1");
  EXPECT_EQ(queries[0].text, "what wings in slipstreams behave .");
  EXPECT_EQ(queries[1].id, "2");  // its .I is 004
  EXPECT_EQ(queries[1].text, "shear flow past plates .");
}

TEST(SmartQueries, SkippedQueriesKeepLaterPositions) {
  TempDir dir("smart_queries");
  std::string path = dir.write("q.qry", ".I 5\n.W\nfirst\n.I 9\n.W\nbad \xFF\n.I 12\n.W\nthird\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_smart_queries(path); }, {path + ":6: ", "invalid UTF-8"}));
  ReadStats stats;
  auto queries = denser::read_smart_queries(path, {true}, &stats);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].id, "1");
  EXPECT_EQ(queries[1].id, "3");  // still the third record
  EXPECT_EQ(queries[1].text, "third");
  EXPECT_EQ(stats.num_skipped, 1u);
  EXPECT_EQ(stats.num_records, 2u);
  std::string empty = dir.write("e.qry", ".I 1\n.W\n.I 2\n.W\nx\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_smart_queries(empty); }, {empty + ":1: ", "has no text"}));
}

TEST(SmartQrels, MapsCleverdonCodesToGrades) {
  auto qrels = denser::read_smart_qrels(testdata("smart_tiny/tinyqrel"));
  EXPECT_EQ(qrels.num_judgments(), 3u);
  EXPECT_EQ(qrels.grade("1", "1"), 4);  // code 1: complete answer
  EXPECT_EQ(qrels.grade("1", "3"), 0);  // code -1: judged, no interest
  EXPECT_EQ(qrels.judgments.at("1").count("3"), 1u);
  EXPECT_EQ(qrels.grade("2", "3"), 3);  // code 2, with a trailing blank on the line
  TempDir dir("smart_qrels");
  std::string all = dir.write("qrel", "1 1 1\n1 2 2\n1 3 3\n1 4 4\n1 5 5\n1 6 -1\n01 07 1\n");
  auto q = denser::read_smart_qrels(all);
  std::vector<int> grades;
  for (const auto& [doc, grade] : q.judgments.at("1")) grades.push_back(grade);
  EXPECT_EQ(grades, (std::vector<int>{4, 3, 2, 1, 0, 0, 4}));  // docs "1".."7" in byte order
  for (const std::string bad : {"1 1 6", "1 1 0", "1 1 -2"}) {
    std::string path = dir.write("bad", "1 2 1\n" + bad + "\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_smart_qrels(path); }, {path + ":2: ", "bad relevance code"}))
        << bad;
  }
  std::string cols = dir.write("cols", "1 2\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_smart_qrels(cols); }, {cols + ":1: ", "expected 3"}));
}

// ---------------------------------------------------------------- the variants in the wild

TEST(SmartVariants, CisiStyleFieldsInAnyOrderTitleOnlyRecordsAndFourColumnJudgments) {
  const std::string path = testdata("smart_cisi/CISI.ALL");
  EXPECT_EQ(denser::smart_file_layout(path), "SMART records (\".I <id>\" and field markers)");
  auto docs = read_all(*denser::open_smart_documents(path));
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].title, "A Study of Library Catalogues");
  EXPECT_EQ(docs[0].text, "Card catalogues in academic libraries are compared with\tonline ones.");  // .X dropped
  EXPECT_EQ(docs[1].id, "2");  // .A before .T, an empty .B, .K: no .W at all
  EXPECT_EQ(docs[1].title, "Indexing Languages for Retrieval");
  EXPECT_EQ(docs[1].text, "");
  EXPECT_EQ(docs[2].title, "Citation Indexing");  // .W before .T, empty .N and .C
  EXPECT_EQ(docs[2].text, "Citation indexes link papers that cite one another.");
  EXPECT_EQ(docs[3].title, "Retrieval Effectiveness Measures");  // an empty .W
  EXPECT_EQ(docs[3].text, "");

  auto queries = denser::read_smart_queries(testdata("smart_cisi/CISI.QRY"));
  ASSERT_EQ(queries.size(), 3u);
  EXPECT_EQ(queries[1].id, "2");
  EXPECT_EQ(queries[1].text, "indexing languages thesaurus");  // a query with .T only

  // "qid docid 0 0.000000" with tabs and spaces mixed: every listed pair relevant.
  auto qrels = denser::read_smart_qrels(testdata("smart_cisi/CISI.REL"));
  EXPECT_EQ(qrels.num_judgments(), 4u);
  EXPECT_EQ(qrels.grade("1", "1"), 1);
  EXPECT_EQ(qrels.grade("1", "4"), 1);
  EXPECT_EQ(qrels.grade("3", "3"), 1);
  // MED.REL's "qid 0 docid grade" (TREC's order) is told apart by the 0 in column two.
  TempDir dir("smart_med");
  auto med = denser::read_smart_qrels(dir.write("MED.REL", "1 0 13 1\n1 0 14 2\n2\t0\t5\t1\n"));
  EXPECT_EQ(med.grade("1", "13"), 1);
  EXPECT_EQ(med.grade("1", "14"), 2);
  EXPECT_EQ(med.grade("2", "5"), 1);
}

TEST(SmartVariants, GlasgowRecordsClosedBySlash) {
  const std::string path = testdata("glasgow/doc-text");
  EXPECT_EQ(denser::smart_file_layout(path), "Glasgow records (a number, the text, a \"/\" line)");
  auto docs = read_all(*denser::open_smart_documents(path));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].id, "1");
  EXPECT_EQ(docs[0].text,
            "compact memories have flexible capacities  a digital data storage system with capacity up to bits and "
            "random and or sequential access is described");
  EXPECT_EQ(docs[2].id, "3");
  auto queries = denser::read_smart_queries(testdata("glasgow/query-text"));
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[1].id, "2");
  EXPECT_EQ(queries[1].text, "digital storage systems with sequential access");
  auto qrels = denser::read_smart_qrels(testdata("glasgow/rlv-ass"));
  EXPECT_EQ(qrels.num_judgments(), 2u);
  EXPECT_EQ(qrels.grade("1", "3"), 1);
  EXPECT_EQ(qrels.grade("2", "1"), 1);

  TempDir dir("glasgow_bad");
  struct Case {
    std::string text;
    std::string fragment;
  };
  for (const Case& c : std::vector<Case>{{"1\nsome text\n   /\n2\ntext cut sh", ":4: "},
                                         {"1\ntext\n/\n2 3\nmore\n/\n", "the record's number"}}) {
    std::string docs_path = dir.write("doc-text", c.text);
    EXPECT_TRUE(throws_error_with([&] { read_all(*denser::open_smart_documents(docs_path)); }, {c.fragment})) << c.text;
  }
  std::string multi = dir.write("rlv-ass", "1\n 4 5 6\n 7\n   /\n2\n 8\n");
  EXPECT_TRUE(throws_error_with([&] { denser::read_smart_qrels(multi); }, {multi, "closing \"/\""}));
  ReadStats stats;
  auto lenient = denser::read_smart_qrels(multi, {true}, &stats);
  EXPECT_EQ(lenient.judgments.at("1").size(), 4u);  // the relevant documents over two lines
  EXPECT_EQ(stats.num_skipped, 1u);
}

// ---------------------------------------------------------------- real Cranfield

std::string cranfield(const std::string& name) {
  return std::string(DENSER_SHARED_DIR) + "/datasets/cranfield/" + name;
}

TEST(Cranfield, DocumentsQueriesAndJudgments) {
  if (!std::filesystem::exists(cranfield("cran.all.1400")))
    GTEST_SKIP() << "../shared not found: " << cranfield("cran.all.1400");
  auto docs = read_all(*denser::open_smart_documents(cranfield("cran.all.1400")));
  ASSERT_EQ(docs.size(), 1400u);
  for (size_t i = 0; i < docs.size(); ++i) ASSERT_EQ(docs[i].id, std::to_string(i + 1));
  EXPECT_EQ(docs[0].title, "experimental investigation of the aerodynamics of a wing in a slipstream .");
  EXPECT_EQ(docs[0].text.rfind("experimental investigation of the aerodynamics of a wing in a slipstream . "
                               "an experimental study of a wing in a propeller slipstream",
                               0),
            0u);
  EXPECT_EQ(docs[470].text, "");  // 471 and 995 are empty in the distributed file
  EXPECT_EQ(docs[994].text, "");
  size_t empty = 0;
  for (const auto& d : docs) empty += d.text.empty();
  EXPECT_EQ(empty, 2u);

  auto queries = denser::read_smart_queries(cranfield("cran.qry"));
  ASSERT_EQ(queries.size(), 225u);
  EXPECT_EQ(queries[0].id, "1");
  EXPECT_EQ(queries[0].text,
            "what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft .");
  EXPECT_EQ(queries[224].id, "225");  // its .I is 365
  EXPECT_EQ(queries[224].text, "what design factors can be used to control lift-drag ratios at mach numbers above 5 .");

  auto qrels = denser::read_smart_qrels(cranfield("cranqrel"));
  EXPECT_EQ(qrels.num_queries(), 225u);
  EXPECT_EQ(qrels.num_judgments(), 1837u);
  // Code counts from the file (awk): -1: 225, 1: 128, 2: 387, 3: 734, 4: 363.
  std::map<int, size_t> by_grade;
  for (const auto& [qid, judged] : qrels.judgments)
    for (const auto& [doc, grade] : judged) ++by_grade[grade];
  EXPECT_EQ(by_grade, (std::map<int, size_t>{{0, 225}, {1, 363}, {2, 734}, {3, 387}, {4, 128}}));
  EXPECT_EQ(qrels.grade("1", "184"), 3);  // first line: "1 184 2"
}

}  // namespace
