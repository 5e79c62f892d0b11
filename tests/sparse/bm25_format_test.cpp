// The index file: save/load round trip, and damaged files (every truncation, every
// single-bit flip, wrong magic or version) rejected with a denser::Error naming the file.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/sparse/bm25_builder.h"
#include "sparse/bm25_test_util.h"

namespace denser {
namespace {

using bm25_test::same_hits;

Bm25BuildOptions plain_options() {
  Bm25BuildOptions options;
  options.analyzer = bm25_test::plain_analyzer();
  options.num_threads = 2;
  return options;
}

std::vector<uint8_t> to_bytes(const std::string& s) { return {s.begin(), s.end()}; }

// The error message of from_bytes(bytes), or "" when it loads.
std::string load_error(std::vector<uint8_t> bytes, bool verify = true) {
  Bm25LoadOptions options;
  options.verify_checksum = verify;
  try {
    Bm25Index::from_bytes(std::move(bytes), "damaged.idx", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class Bm25FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(17);
    corpus_ = bm25_test::random_corpus(rng, 300, 40, 30);  // 300 docs: a few full blocks
    dir_ = bm25_test::temp_dir("format");
    path_ = dir_ + "/small.idx";
    Bm25IndexBuilder builder(plain_options());
    builder.add(corpus_.docs);
    builder.write(path_);
    bytes_ = read_file(path_);
  }

  bm25_test::Corpus corpus_;
  std::string dir_, path_, bytes_;
};

TEST_F(Bm25FormatTest, RoundTripGivesIdenticalResults) {
  Bm25IndexBuilder builder(plain_options());
  builder.add(corpus_.docs);
  const Bm25Index memory = builder.build();
  Bm25Index file = Bm25Index::open(path_);
  EXPECT_EQ(file.size_bytes(), bytes_.size());
  EXPECT_EQ(file.num_docs(), memory.num_docs());
  EXPECT_EQ(file.num_terms(), memory.num_terms());
  EXPECT_EQ(file.num_postings(), memory.num_postings());
  EXPECT_EQ(file.total_terms(), memory.total_terms());
  EXPECT_EQ(file.avgdl(), memory.avgdl());
  EXPECT_EQ(file.params(), Bm25Params{});
  EXPECT_FALSE(file.analyzer_options().stem);
  EXPECT_FALSE(file.analyzer_options().remove_stopwords);
  std::mt19937 rng(2);
  for (int q = 0; q < 50; ++q) {
    const auto query = bm25_test::random_query(rng, 40, 6);
    const auto expected = bm25_test::oracle_search(corpus_, query, 20, {});
    EXPECT_TRUE(same_hits(expected, file.search_terms(query, bm25_test::top(20)).hits));
    EXPECT_TRUE(same_hits(expected, memory.search_terms(query, bm25_test::top(20)).hits));
  }
  // A moved index keeps working (the mapping and the views move with it).
  Bm25Index moved = std::move(file);
  EXPECT_EQ(moved.doc_id(0), "d0");
}

TEST_F(Bm25FormatTest, AnalyzerOptionsAndParamsAreStored) {
  Bm25BuildOptions options;
  options.params = {1.5f, 0.25f, true};
  options.analyzer = {true, true};
  Bm25IndexBuilder builder(options);
  builder.add(Document{"x", "The running", "dogs"});
  builder.write(dir_ + "/stemmed.idx");
  const Bm25Index index = Bm25Index::open(dir_ + "/stemmed.idx");
  EXPECT_EQ(index.params(), (Bm25Params{1.5f, 0.25f, true}));
  EXPECT_TRUE(index.analyzer_options().stem);
  EXPECT_TRUE(index.analyzer_options().remove_stopwords);
  // Queries go through the same analyzer: "runs" and "dog" match the stems.
  EXPECT_EQ(index.search("runs dog").hits.size(), 1u);
  EXPECT_EQ(index.search("the").hits.size(), 0u);  // a stopword: never indexed
}

TEST_F(Bm25FormatTest, EveryTruncationIsRejected) {
  for (size_t len = 0; len < bytes_.size(); ++len) {
    for (bool verify : {true, false}) {
      const std::string error = load_error(to_bytes(bytes_.substr(0, len)), verify);
      ASSERT_FALSE(error.empty()) << "prefix of " << len << " bytes loaded";
      EXPECT_NE(error.find("damaged.idx"), std::string::npos) << error;
    }
  }
  EXPECT_NE(load_error(to_bytes(bytes_ + "x")).find("the header says the file has"), std::string::npos);
}

TEST_F(Bm25FormatTest, EveryBitFlipIsRejectedByTheChecksum) {
  for (size_t i = 0; i < bytes_.size(); ++i) {
    std::vector<uint8_t> damaged = to_bytes(bytes_);
    damaged[i] ^= static_cast<uint8_t>(1u << (i % 8));
    const std::string error = load_error(std::move(damaged));
    ASSERT_FALSE(error.empty()) << "flip at byte " << i << " loaded";
    EXPECT_NE(error.find("damaged.idx"), std::string::npos) << error;
  }
}

TEST_F(Bm25FormatTest, BitFlipsWithoutChecksumNeverCrash) {
  // Without the checksum some flips load (a changed tf or bound) but none may crash: each
  // is rejected at load, reported when its block is decoded, or harmless.
  size_t rejected_at_load = 0, rejected_at_search = 0;
  for (size_t i = 0; i < bytes_.size(); ++i) {
    std::vector<uint8_t> damaged = to_bytes(bytes_);
    damaged[i] ^= static_cast<uint8_t>(1u << (i % 8));
    Bm25LoadOptions options;
    options.verify_checksum = false;
    try {
      const Bm25Index index = Bm25Index::from_bytes(std::move(damaged), "damaged.idx", options);
      for (size_t w = 0; w < 45; ++w) {
        index.postings(bm25_test::word(w));
        for (auto algorithm : {Bm25Algorithm::kAuto, Bm25Algorithm::kPruned, Bm25Algorithm::kExhaustive})
          index.search_terms({bm25_test::word(w), bm25_test::word(w + 1)}, bm25_test::top(5, algorithm));
      }
    } catch (const Error& e) {
      (std::string(e.what()).find("corrupt postings block") != std::string::npos ? rejected_at_search
                                                                                 : rejected_at_load)++;
    }
  }
  EXPECT_GT(rejected_at_load, bytes_.size() / 4);
  EXPECT_GT(rejected_at_search, 0u);
}

TEST_F(Bm25FormatTest, WrongMagicAndVersion) {
  std::vector<uint8_t> bad = to_bytes(bytes_);
  bad[0] = 'X';
  EXPECT_NE(load_error(bad).find("damaged.idx: not a denser BM25 index: bad magic"), std::string::npos);
  bad = to_bytes(bytes_);
  bad[8] = 2;  // version field
  EXPECT_NE(load_error(bad).find("unsupported BM25 index format version 2"), std::string::npos);
  EXPECT_NE(load_error(to_bytes("hello")).find("smaller than the 128-byte header"), std::string::npos);
  write_file_atomic(dir_ + "/text.idx", std::string(4096, 'a'));
  EXPECT_THROW(Bm25Index::open(dir_ + "/text.idx"), Error);
  EXPECT_THROW(Bm25Index::open(dir_ + "/missing.idx"), Error);
}

TEST_F(Bm25FormatTest, EmptyCorpus) {
  Bm25IndexBuilder builder(plain_options());
  builder.write(dir_ + "/empty.idx");
  const Bm25Index index = Bm25Index::open(dir_ + "/empty.idx");
  EXPECT_EQ(index.num_docs(), 0u);
  EXPECT_EQ(index.num_terms(), 0u);
  EXPECT_EQ(index.avgdl(), 0.0f);
  EXPECT_TRUE(index.search("anything").hits.empty());
  EXPECT_TRUE(index.search("anything", bm25_test::top(1000, Bm25Algorithm::kExhaustive)).hits.empty());
}

TEST_F(Bm25FormatTest, DocumentsWithoutTerms) {
  Bm25IndexBuilder builder(plain_options());
  builder.add(std::vector<Document>{{"e1", "", ""}, {"e2", "", "   "}, {"x", "", "qa qb"}, {"e3", "", ""}});
  EXPECT_EQ(builder.stats().num_empty_docs, 3u);
  const Bm25Index index = builder.build();
  EXPECT_EQ(index.num_docs(), 4u);
  EXPECT_EQ(index.num_docs_with_terms(), 1u);  // Lucene's docCount: N for idf and avgdl
  EXPECT_EQ(index.avgdl(), 2.0f);
  const auto hits = index.search("qa").hits;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(index.doc_id(hits[0].doc), "x");
  EXPECT_EQ(hits[0].doc, 2u);
}

}  // namespace
}  // namespace denser
