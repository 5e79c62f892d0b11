// Dense retrieval end to end through the CLI on the 8-document BEIR fixture:
// `model init` -> `encode` -> `index dense` -> `search` -> `eval`, checked against brute-force
// dot products of the query vectors (encoded here with the same model) and the rows of the
// embeddings file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/encode/encoder.h"
#include "denser/index/embeddings.h"
#include "denser/text/tokenizer.h"
#include "denser/text/wordpiece.h"
#include "support/command.h"

namespace denser {
namespace {

using denser_test::contains;
using denser_test::run_denser;

const std::string kMini = std::string(DENSER_TESTDATA_DIR) + "/sparse/mini";

class DenseCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() / str("denser_dense_cli_", ::getpid()));
    std::filesystem::create_directories(*dir_);
    vocab_ = std::string(DENSER_SHARED_DIR) + "/vocab/bert-base-uncased/vocab.txt";
    if (!std::filesystem::exists(vocab_)) {  // no ../shared: a vocabulary of the fixture itself
      vocab_ = path("vocab.txt");
      const auto trained = run_denser(str("vocab train --collection ", kMini, " --size 300 --out ", vocab_));
      ASSERT_EQ(trained.exit_code, 0) << trained.output;
    }
    init_output_ = new std::string(init_model("m1", 1));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete init_output_;
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static std::string init_model(const std::string& name, int seed) {
    const auto r =
        run_denser(str("model init --preset tiny --vocab ", vocab_, " --seed ", seed, " --out ", path(name)));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
  // Encodes the fixture with model m1 and builds a Flat index; returns the index path.
  static std::string encode_and_index(const std::string& name, const std::string& flags) {
    const std::string emb = path(name + ".emb");
    const auto enc = run_denser(str("encode --model ", path("m1"), " --collection ", kMini, " --out ", emb,
                                    " --threads 1 --batch-size 3 ", flags));
    EXPECT_EQ(enc.exit_code, 0) << enc.output;
    EXPECT_TRUE(contains(enc.output, "encoded 8 documents")) << enc.output;
    const auto idx = run_denser(str("index dense --embeddings ", emb, " --factory Flat --out ", path(name + ".idx")));
    EXPECT_EQ(idx.exit_code, 0) << idx.output;
    return path(name + ".idx");
  }
  // Brute force: each judged query's dot products with every row of the embeddings file.
  static std::map<std::string, std::map<std::string, double>> brute_force(const std::string& emb_path) {
    const Embeddings emb = Embeddings::open(emb_path);
    auto encoder = load_encoder(path("m1"));
    std::map<std::string, std::map<std::string, double>> scores;
    std::vector<float> q(emb.dim()), row(emb.dim());
    for (const Query& query : Collection::open(kMini).queries("test")) {
      const std::string_view text = query.text;
      encoder->encode_queries(std::span(&text, 1), q);
      for (uint64_t r = 0; r < emb.num_rows(); ++r) {
        emb.rows(r, r + 1, row.data());
        double dot = 0;
        for (size_t j = 0; j < q.size(); ++j) dot += static_cast<double>(q[j]) * row[j];
        scores[query.id][emb.id(r)] = dot;
      }
    }
    return scores;
  }
  // The run ranks like brute force: the document at rank r scores (by brute force) what
  // the r-th best brute-force score is, so only near-ties may swap.
  static void expect_matches_brute_force(const denser::Run& run,
                                         const std::map<std::string, std::map<std::string, double>>& bf, size_t k,
                                         double tolerance) {
    ASSERT_EQ(run.results.size(), bf.size());
    for (const auto& [qid, docs] : bf) {
      std::vector<double> best;
      for (const auto& [doc, s] : docs) best.push_back(s);
      std::sort(best.rbegin(), best.rend());
      const std::vector<RunEntry>& entries = run.results.at(qid);
      ASSERT_EQ(entries.size(), std::min(k, best.size())) << qid;
      for (size_t r = 0; r < entries.size(); ++r) {
        EXPECT_NEAR(docs.at(entries[r].doc_id), best[r], tolerance) << qid << " rank " << r + 1;
        EXPECT_NEAR(entries[r].score, docs.at(entries[r].doc_id), tolerance) << qid << " rank " << r + 1;
      }
    }
  }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::string vocab_;
  static inline std::string* init_output_ = nullptr;
};

TEST_F(DenseCliTest, ModelInitReportsParametersAndFingerprint) {
  // Tiny BERT: embeddings V*128 + 512*128 + 2*128 + LayerNorm; per layer attention
  // 4*(128*128+128), FFN 128*512+512 + 512*128+128, two LayerNorms.
  const uint64_t v = load_vocab_txt(vocab_).size();
  const uint64_t h = 128, f = 512;
  const uint64_t layer = 4 * (h * h + h) + (h * f + f) + (f * h + h) + 4 * h;
  const uint64_t expected = v * h + 512 * h + 2 * h + 2 * h + 2 * layer;
  EXPECT_TRUE(contains(*init_output_, str("parameters:  ", expected, "\n"))) << *init_output_;
  const auto encoder = load_encoder(path("m1"));
  EXPECT_TRUE(contains(*init_output_, "fingerprint: " + encoder->fingerprint())) << *init_output_;
  EXPECT_EQ(encoder->dim(), 128);
}

TEST_F(DenseCliTest, ModelInitWithByteLevelBpeTokenizer) {
  const std::string out = path("roberta");
  const auto r = run_denser(str("model init --tokenizer-dir ", DENSER_TESTDATA_DIR, "/text/bpe_small",
                                " --model-type roberta --pooling mean --ance-head --dim 32 --seed 3 --out ", out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out + "/vocab.txt"));
  EXPECT_EQ(load_tokenizer(out)->kind(), "bpe");
  const auto encoder = load_encoder(out);
  EXPECT_EQ(encoder->dim(), 32);
  EXPECT_TRUE(contains(r.output, "fingerprint: " + encoder->fingerprint())) << r.output;
  // The same tokenizer loaded from its own directory gives the ids the model uses.
  const auto source = load_tokenizer(str(DENSER_TESTDATA_DIR, "/text/bpe_small"));
  EXPECT_EQ(load_tokenizer(out)->fingerprint(), source->fingerprint());
  const auto bad = run_denser(
      str("model init --tokenizer-dir ", DENSER_TESTDATA_DIR, "/text/bpe_small --dim 8 --out ", path("bad")));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "add --ance-head")) << bad.output;
}

TEST_F(DenseCliTest, EncodeIndexSearchEvalEndToEnd) {
  const std::string idx = encode_and_index("f32", "");
  const Embeddings emb = Embeddings::open(path("f32.emb"));
  EXPECT_EQ(emb.num_rows(), 8u);
  EXPECT_EQ(emb.header().model_fingerprint, load_encoder(path("m1"))->fingerprint());

  const std::string run_path = path("f32.run");
  const auto search = run_denser(str("search --model ", path("m1"), " --index ", idx, " --collection ", kMini,
                                     " --split test --k 5 --threads 1 --run ", run_path));
  ASSERT_EQ(search.exit_code, 0) << search.output;
  EXPECT_TRUE(contains(search.output, "searched 4 queries")) << search.output;
  EXPECT_TRUE(contains(search.output, "queries/s")) << search.output;
  const denser::Run run = read_trec_run(run_path);
  EXPECT_EQ(run.tag, "denser-dense");
  expect_matches_brute_force(run, brute_force(path("f32.emb")), 5, 1e-4);

  const auto eval = run_denser(str("eval --collection ", kMini, " --run ", run_path));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_TRUE(contains(eval.output, "ndcg")) << eval.output;
}

TEST_F(DenseCliTest, EncodeQueriesWritesTheSplitsQueryVectors) {
  const std::string emb_path = path("queries.emb");
  const auto enc = run_denser(str("encode --model ", path("m1"), " --collection ", kMini,
                                  " --queries test --threads 1 --batch-size 3 --out ", emb_path));
  ASSERT_EQ(enc.exit_code, 0) << enc.output;
  EXPECT_TRUE(contains(enc.output, "encoded 4 queries of split test")) << enc.output;
  const Embeddings emb = Embeddings::open(emb_path);
  const std::vector<Query> queries = Collection::open(kMini).queries("test");
  ASSERT_EQ(emb.num_rows(), queries.size());
  auto encoder = load_encoder(path("m1"));
  EXPECT_EQ(emb.header().model_fingerprint, encoder->fingerprint());
  std::vector<float> q(emb.dim()), row(emb.dim());
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(emb.id(i), queries[i].id);
    const std::string_view text = queries[i].text;
    encoder->encode_queries(std::span(&text, 1), q);
    emb.rows(i, i + 1, row.data());
    for (size_t j = 0; j < q.size(); ++j) EXPECT_NEAR(row[j], q[j], 1e-5) << queries[i].id << " dim " << j;
  }
  const auto bad = run_denser(str("encode --model ", path("m1"), " --collection ", kMini,
                                  " --queries nosuchsplit --out ", path("bad-queries.emb")));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(contains(bad.output, "nosuchsplit")) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(path("bad-queries.emb")));
}

TEST_F(DenseCliTest, Fp16EmbeddingsWork) {
  const std::string idx = encode_and_index("f16", "--fp16");
  const Embeddings f16 = Embeddings::open(path("f16.emb"));
  EXPECT_EQ(f16.header().dtype, EmbeddingDType::kF16);
  ASSERT_EQ(f16.num_rows(), 8u);
  const std::string run_path = path("f16.run");
  const auto search = run_denser(str("search --model ", path("m1"), " --index ", idx, " --collection ", kMini,
                                     " --k 8 --threads 1 --run ", run_path));
  ASSERT_EQ(search.exit_code, 0) << search.output;
  // Scores of the half-precision rows, up to float rounding of the sums.
  expect_matches_brute_force(read_trec_run(run_path), brute_force(path("f16.emb")), 8, 1e-3);
}

TEST_F(DenseCliTest, AdHocQueryPrintsTopHitsWithSnippets) {
  const std::string idx = encode_and_index("adhoc", "");
  const auto r = run_denser(str("search --model ", path("m1"), " --index ", idx, " --collection ", kMini,
                                " --threads 1 --k 3 --query \"Does coffee affect sleep?\""));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "3 results for \"Does coffee affect sleep?\"")) << r.output;
  // The query is q1 of the fixture: its brute-force best document comes first.
  const auto scores = brute_force(path("adhoc.emb")).at("q1");
  const auto best =
      std::max_element(scores.begin(), scores.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_TRUE(contains(r.output, str("  ", best->first, "  "))) << r.output;
}

TEST_F(DenseCliTest, ServeStopsCleanlyOnSigtermAndSigint) {
  // The handler only writes to a pipe (async-signal-safe); a watcher thread stops the
  // server, which then prints "stopped" and exits 0.
  const std::string idx = encode_and_index("serve", "");
  for (const char* sig : {"TERM", "INT"}) {
    const std::string log = path(str("serve-", sig, ".log"));
    const auto r = denser_test::run_command(
        str(DENSER_BINARY, " serve --model ", path("m1"), " --index ", idx, " --port 0 --threads 1 > ", log,
            " 2>&1 & pid=$!; for i in $(seq 100); do grep -q 'http://' ", log, " && break; sleep 0.1; done; kill -",
            sig, " $pid; wait $pid; echo \"exit $?\""));
    const std::string out = denser::read_file(log);
    EXPECT_TRUE(contains(r.output, "exit 0")) << sig << ": " << r.output << out;
    EXPECT_TRUE(contains(out, "denser serve: stopped")) << sig << ": " << out;
  }
}

TEST_F(DenseCliTest, SearchingWithAnotherModelIsAClearError) {
  const std::string idx = encode_and_index("mismatch", "");
  init_model("m2", 2);
  const auto r = run_denser(
      str("search --model ", path("m2"), " --index ", idx, " --collection ", kMini, " --run ", path("never.run")));
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_TRUE(contains(r.output, "denser: error: model fingerprint mismatch")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("never.run")));
}

TEST_F(DenseCliTest, SplitSearchNeedsCollectionAndRun) {
  const std::string idx = encode_and_index("args", "");
  const auto r = run_denser(str("search --model ", path("m1"), " --index ", idx, " --collection ", kMini));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--run are required")) << r.output;
}

}  // namespace
}  // namespace denser
