// Parity with sentence-transformers itself (the oracle): the packaged all-MiniLM-L6-v2 on
// SciFact's first 1,000 documents (title, a space, the text) and its 300 test queries
// must give the same token ids and vectors with cosine >= 0.99999 for every text.
// Skips, saying how to install, without ../shared, the model or the oracle venv.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/memory.h"
#include "denser/data/collection.h"
#include "denser/encode/corpus_encoding.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_store.h"
#include "denser/text/tokenizer.h"
#include "support/command.h"
#include "support/oracle_setup.h"

namespace denser {
namespace {

namespace fs = std::filesystem;

class SentenceTransformersParity : public denser_test::OracleTest {
 protected:
  SentenceTransformersParity() : OracleTest("denser_st_parity_") {}

  OracleOutput run_oracle(const std::vector<std::string>& texts, const std::string& name) {
    return OracleTest::run_oracle(oracle_model_.empty() ? model_dir_ : oracle_model_, texts, name);
  }

  void expect_parity(const std::vector<std::string>& texts, bool queries, const std::string& name) {
    const OracleOutput oracle = run_oracle(texts, name);
    ASSERT_EQ(oracle.ids.size(), texts.size());
    auto encoder = load_encoder(model_dir_);  // all cores: libtorch's inference route for batches
    expect_parity_with(*encoder, oracle, texts, queries, name);
    // One thread takes the fused route (fused_layers.h) for whole batches, and queries one
    // at a time are the one-query path of search and serve.
    EncodeOptions one;
    one.num_threads = 1;
    one.batch_size = queries ? 1 : 32;
    auto fused = load_encoder(model_dir_, one);
    expect_parity_with(*fused, oracle, texts, queries,
                       name + " (one thread, batch " + std::to_string(one.batch_size) + ")");
  }

  void expect_parity_with(Encoder& enc, const OracleOutput& oracle, const std::vector<std::string>& texts, bool queries,
                          const std::string& name) {
    Encoder* encoder = &enc;
    ASSERT_EQ(encoder->similarity(), "cosine");
    const size_t dim = static_cast<size_t>(encoder->dim());
    ASSERT_EQ(oracle.vectors.size(), texts.size() * dim);
    auto tokenizer = load_tokenizer(model_dir_);
    size_t id_mismatches = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const Encoding e = tokenizer->encode_single(texts[i], 256);
      if (e.ids != oracle.ids[i] && id_mismatches++ < 5) ADD_FAILURE() << name << " " << i << ": token ids differ";
    }
    EXPECT_EQ(id_mismatches, 0u);
    std::vector<std::string_view> views(texts.begin(), texts.end());
    std::vector<float> ours(texts.size() * dim);
    if (queries) {
      encoder->encode_queries(views, ours);
    } else {
      encoder->encode_documents(views, ours);
    }
    double worst = 1.0;
    size_t worst_at = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      double dot = 0, a = 0, b = 0;
      for (size_t d = 0; d < dim; ++d) {
        const double x = ours[i * dim + d], y = oracle.vectors[i * dim + d];
        dot += x * y, a += x * x, b += y * y;
      }
      const double cosine = dot / std::sqrt(a * b);
      if (cosine < worst) worst = cosine, worst_at = i;
      EXPECT_NEAR(std::sqrt(a), 1.0, 1e-5) << name << " " << i << ": not normalized";
    }
    EXPECT_GE(worst, 0.99999) << name << " " << worst_at << ": " << texts[worst_at].substr(0, 200);
    std::printf("[ parity ] %s: %zu texts, lowest cosine %.8f\n", name.c_str(), texts.size(), worst);
  }

  std::string oracle_model_;  // the directory the oracle loads (default: model_dir_)
};

// The round trip: denser saves the model it loaded, sentence-transformers loads denser's
// directory, and both give the same vectors.
TEST_F(SentenceTransformersParity, SentenceTransformersLoadsWhatDenserSaves) {
  auto encoder = load_encoder(model_dir_);
  const std::string saved = (tmp_ / "saved").string();
  encoder->save(saved);
  oracle_model_ = saved;
  const Collection collection = Collection::open(scifact_);
  std::vector<std::string> texts;
  for (const Query& q : collection.queries("test")) texts.push_back(q.text);
  texts.resize(64);
  const OracleOutput oracle = run_oracle(texts, "roundtrip");
  auto reloaded = load_encoder(saved);
  EXPECT_EQ(reloaded->fingerprint(), encoder->fingerprint());
  expect_parity_with(*reloaded, oracle, texts, true, "round trip");
}

TEST_F(SentenceTransformersParity, SciFactDocumentsAndQueries) {
  const Collection collection = Collection::open(scifact_);
  std::vector<std::string> docs;
  auto reader = collection.documents();
  Document doc;
  while (docs.size() < 1000 && reader->next(doc)) docs.push_back(document_text(doc, true));
  ASSERT_EQ(docs.size(), 1000u);
  std::vector<std::string> queries;
  for (const Query& q : collection.queries("test")) queries.push_back(q.text);
  ASSERT_EQ(queries.size(), 300u);
  expect_parity(docs, false, "documents");
  expect_parity(queries, true, "queries");
}

}  // namespace
}  // namespace denser
