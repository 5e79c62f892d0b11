// Unit tests of the n-gram encoder. Oracles: FNV-1a worked by hand from its definition, the
// embedding table read back from model.safetensors and averaged here, the same model's
// one-by-one results, and bitwise equality across save/load.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/ngram.h"
#include "denser/encode/safetensors.h"
#include "encode/ngram_encoder.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

using test::ScratchDir;

std::vector<float> encode(Encoder& encoder, const std::vector<std::string>& texts, bool query = false) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * static_cast<size_t>(encoder.dim()));
  if (query) {
    encoder.encode_queries(views, out);
  } else {
    encoder.encode_documents(views, out);
  }
  return out;
}

// The message of the denser::Error that fn throws ("" when it throws none, which fails).
std::string thrown_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a denser::Error";
  return "";
}

NgramConfig small_config(int64_t output_dim = 0, bool shared_towers = true) {
  NgramConfig c;
  c.num_buckets = 1000;
  c.embedding_dim = 8;
  c.output_dim = output_dim;
  c.shared_towers = shared_towers;
  return c;
}

EncodeOptions options(int batch_size = 32) {
  EncodeOptions o = test::one_thread();
  o.batch_size = batch_size;
  return o;
}

TEST(NgramHashTest, Fnv1aMatchesItsDefinition) {
  // The empty string hashes to the offset basis.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  // "a" by hand: basis ^ 0x61 = 0xcbf29ce484222344; times the prime 2^40 + 0x1b3, mod 2^64:
  //   0xcbf29ce484222344 * 0x1b3 mod 2^64 = 0x8d40984c8601ec8c
  //   0xcbf29ce484222344 << 40   mod 2^64 = 0x2223440000000000
  //   sum                         mod 2^64 = 0xaf63dc4c8601ec8c
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  // A published FNV-1a 64 test vector.
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(NgramHashTest, BucketsAreWordsThenPairsModuloTableSize) {
  NgramConfig c;  // 2^18 buckets, stemming and stopwords on
  // fnv1a64("cell") = 0xd98b1e90fd653435 -> low 18 bits 0x13435 = 78901;
  // fnv1a64("cancer cell") = 0xa5f8a4a44c1cfe83 -> 0x0fe83 = 65155.
  uint64_t mask = (uint64_t{1} << 18) - 1;
  int64_t cancer = static_cast<int64_t>(fnv1a64("cancer") & mask);
  EXPECT_EQ(ngram_buckets("Cancer cells", c), (std::vector<int64_t>{cancer, 78901, 65155}));
  // "of the" are stopwords: the pair joins the words around them.
  EXPECT_EQ(ngram_buckets("cancer of the cells", c), (std::vector<int64_t>{cancer, 78901, 65155}));
  c.bigrams = false;
  EXPECT_EQ(ngram_buckets("Cancer cells", c), (std::vector<int64_t>{cancer, 78901}));
  c.stem = false;
  EXPECT_EQ(ngram_buckets("cells", c), (std::vector<int64_t>{static_cast<int64_t>(fnv1a64("cells") & mask)}));
  c.num_buckets = 1000;
  c.remove_stopwords = false;  // "a" is a stopword
  EXPECT_EQ(ngram_buckets("a", c), (std::vector<int64_t>{0xaf63dc4c8601ec8cULL % 1000}));
  EXPECT_TRUE(ngram_buckets("", c).empty());
  c.remove_stopwords = true;
  EXPECT_TRUE(ngram_buckets("of the a", c).empty());
}

// Oracle: every vector equals the mean of the table rows of its buckets (times the
// projection), with the table read back from the saved safetensors file.
void expect_mean_of_rows(const NgramConfig& config, bool query) {
  ScratchDir dir("ngram");
  auto encoder = create_ngram_encoder(config, options(), 3);
  encoder->save(dir.path());
  SafeTensorsFile file = SafeTensorsFile::open(dir.path() + "/model.safetensors");
  std::string prefix = query && !config.shared_towers ? "query_tower." : "";
  std::vector<float> table = file.get(prefix + "embeddings.weight").to_float();
  std::vector<float> projection;
  if (config.output_dim > 0) projection = file.get(prefix + "projection.weight").to_float();
  std::vector<std::string> texts = test::sample_texts();
  std::vector<float> got = encode(*encoder, texts, query);
  size_t e = static_cast<size_t>(config.embedding_dim), d = static_cast<size_t>(config.dim());
  for (size_t t = 0; t < texts.size(); ++t) {
    std::vector<int64_t> rows = ngram_buckets(texts[t], config);
    ASSERT_FALSE(rows.empty());
    std::vector<double> mean(e, 0.0);
    for (int64_t r : rows)
      for (size_t k = 0; k < e; ++k)
        mean[k] += table[static_cast<size_t>(r) * e + k] / static_cast<double>(rows.size());
    for (size_t j = 0; j < d; ++j) {
      double want = mean[j];
      if (!projection.empty()) {
        want = 0;
        for (size_t k = 0; k < e; ++k) want += projection[j * e + k] * mean[k];
      }
      EXPECT_NEAR(got[t * d + j], want, 1e-5) << "text " << t << " component " << j;
    }
  }
}

TEST(NgramEncoderTest, VectorIsMeanOfTableRows) { expect_mean_of_rows(small_config(), false); }
TEST(NgramEncoderTest, VectorIsProjectedMeanOfTableRows) { expect_mean_of_rows(small_config(5), false); }
TEST(NgramEncoderTest, SeparateQueryTowerUsesItsOwnTable) {
  expect_mean_of_rows(small_config(5, false), true);
  expect_mean_of_rows(small_config(0, false), false);
}

TEST(NgramEncoderTest, BatchedEqualsOneByOne) {
  auto encoder = create_ngram_encoder(small_config(6), options(3), 1);
  std::vector<std::string> texts = test::sample_texts();
  std::vector<float> batched = encode(*encoder, texts);
  size_t d = 6;
  for (size_t t = 0; t < texts.size(); ++t) {
    std::vector<float> one = encode(*encoder, {texts[t]});
    for (size_t j = 0; j < d; ++j) EXPECT_NEAR(batched[t * d + j], one[j], 1e-6) << "text " << t;
  }
}

TEST(NgramEncoderTest, TextWithoutWordsIsTheZeroVector) {
  for (bool shared : {true, false}) {
    auto encoder = create_ngram_encoder(small_config(4, shared), options(), 2);
    std::vector<std::string> texts = {"cell", "", "the of and", "...", "protein"};
    for (bool query : {false, true}) {
      std::vector<float> out = encode(*encoder, texts, query);
      for (size_t t : {1, 2, 3})
        for (size_t j = 0; j < 4; ++j) EXPECT_EQ(out[t * 4 + j], 0.0f) << "text " << t;
      float norm = 0;
      for (size_t j = 0; j < 4; ++j) norm += std::fabs(out[j]);
      EXPECT_GT(norm, 0.0f);
    }
  }
}

TEST(NgramEncoderTest, SameSeedSameWeightsOtherSeedOtherWeights) {
  auto a = create_ngram_encoder(small_config(), options(), 7);
  auto b = create_ngram_encoder(small_config(), options(), 7);
  auto c = create_ngram_encoder(small_config(), options(), 8);
  EXPECT_EQ(a->fingerprint(), b->fingerprint());
  EXPECT_NE(a->fingerprint(), c->fingerprint());
  EXPECT_EQ(encode(*a, {"protein gene"}), encode(*b, {"protein gene"}));
  EXPECT_EQ(a->family(), "ngram");
  EXPECT_EQ(a->dim(), 8);
  EXPECT_EQ(a->fingerprint().rfind("ngram-", 0), 0u);
}

TEST(NgramEncoderTest, SaveLoadRoundTripIsBitwise) {
  ScratchDir dir("ngram");
  NgramConfig config = small_config(5, false);
  config.bigrams = false;
  config.stem = false;
  auto encoder = create_ngram_encoder(config, options(), 4);
  encoder->save(dir.path());
  auto loaded = load_encoder(dir.path(), options());  // dispatches on model_type
  EXPECT_EQ(loaded->family(), "ngram");
  EXPECT_EQ(loaded->dim(), 5);
  EXPECT_EQ(loaded->fingerprint(), encoder->fingerprint());
  std::vector<std::string> texts = test::sample_texts();
  for (bool query : {false, true}) {
    std::vector<float> before = encode(*encoder, texts, query), after = encode(*loaded, texts, query);
    ASSERT_EQ(before.size(), after.size());
    EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0);
  }
  NgramConfig back = NgramConfig::from_json(read_file(dir.path() + "/config.json"), "config.json");
  EXPECT_EQ(back.to_json(), config.to_json());
}

TEST(NgramEncoderTest, FingerprintChangesWithOneWeight) {
  auto encoder = create_ngram_encoder(small_config(), options(), 5);
  std::string before = encoder->fingerprint();
  auto& net = dynamic_cast<encode_internal::NgramEncoder&>(*encoder).net();
  {
    torch::NoGradGuard no_grad;
    net->parameters()[0][123][4] += 0.5f;
  }
  EXPECT_NE(encoder->fingerprint(), before);
}

TEST(NgramEncoderTest, LoadErrorsNameTheProblem) {
  ScratchDir dir("ngram");
  auto encoder = create_ngram_encoder(small_config(3), options(), 6);
  std::string d = dir.path();
  encoder->save(d);
  std::string config = read_file(d + "/config.json");
  auto with_config = [&](const std::string& text) {
    write_file_atomic(d + "/config.json", text);
    return thrown_message([&] { load_ngram_encoder(d, options()); });
  };
  NgramConfig wrong = small_config(4);
  EXPECT_NE(with_config(wrong.to_json()).find("projection.weight has shape (3, 8), expected (4, 8)"),
            std::string::npos);
  wrong = small_config(0);
  EXPECT_NE(with_config(wrong.to_json()).find("unexpected tensor projection.weight"), std::string::npos);
  wrong = small_config(3, false);
  EXPECT_NE(with_config(wrong.to_json()).find("missing tensor query_tower.embeddings.weight (1000, 8)"),
            std::string::npos);
  std::string bad_hash = config;
  bad_hash.replace(bad_hash.find("fnv1a64"), 7, "murmur3");
  EXPECT_NE(with_config(bad_hash).find("hash \"murmur3\" is not supported"), std::string::npos);
  std::string bad_type = config;
  bad_type.replace(bad_type.find("\"num_buckets\": 1000"), 19, "\"num_buckets\": 1e3");
  EXPECT_NE(with_config(bad_type).find("\"num_buckets\" has the wrong JSON type"), std::string::npos);
  EXPECT_NE(with_config("{\"model_type\": \"bert\"}").find("expected \"denser-ngram\""), std::string::npos);
  EXPECT_NE(with_config("not json").find("config.json: not valid JSON"), std::string::npos);
  std::string negative = config;
  negative.replace(negative.find("\"embedding_dim\": 8"), 18, "\"embedding_dim\": -8");
  EXPECT_NE(with_config(negative).find("embedding_dim must be positive"), std::string::npos);
  EXPECT_NE(with_config("{\"model_type\": \"denser-bogus\"}").find("model_type is \"denser-bogus\""),
            std::string::npos);
  write_file_atomic(d + "/config.json", "{\"model_type\": \"denser-bogus\"}");
  EXPECT_NE(thrown_message([&] { load_encoder(d, options()); }).find("\"denser-ngram\""), std::string::npos);
  std::filesystem::remove(d + "/config.json");
  EXPECT_NE(thrown_message([&] { load_ngram_encoder(d, options()); }).find("no config.json"), std::string::npos);
}

// The trainer's path: gradients reach the table and an optimizer step moves the output.
TEST(NgramEncoderTest, TrainingStepChangesTheOutput) {
  auto encoder = create_ngram_encoder(small_config(4, false), options(), 9);
  auto* ngram = dynamic_cast<encode_internal::NgramEncoder*>(encoder.get());
  ASSERT_NE(ngram, nullptr);
  std::vector<std::string_view> queries = {"protein gene", "mouse cells"}, docs = {"gene protein study", "cells"};
  std::vector<float> before = encode(*encoder, {"protein gene"}, true);
  ngram->net()->train();
  torch::optim::SGD sgd(ngram->parameters(), torch::optim::SGDOptions(1.0));
  encode_internal::BucketBatch q = ngram->featurize(queries), p = ngram->featurize(docs);
  torch::Tensor qv = ngram->net()->forward(q.ids, q.offsets, true);
  torch::Tensor dv = ngram->net()->forward(p.ids, p.offsets, false);
  ASSERT_TRUE(qv.requires_grad());
  ASSERT_EQ(qv.sizes(), (std::vector<int64_t>{2, 4}));
  torch::Tensor loss = torch::nn::functional::cross_entropy(torch::matmul(qv, dv.t()), torch::arange(2));
  sgd.zero_grad();
  loss.backward();
  for (const auto& param : ngram->parameters()) {
    ASSERT_TRUE(param.grad().defined());
    EXPECT_GT(param.grad().abs().sum().item<float>(), 0.0f);
  }
  sgd.step();
  std::vector<float> after = encode(*encoder, {"protein gene"}, true);
  EXPECT_TRUE(ngram->net()->is_training());  // encode restores the mode it found
  float moved = 0;
  for (size_t j = 0; j < 4; ++j) moved += std::fabs(after[j] - before[j]);
  EXPECT_GT(moved, 1e-4f);
}

}  // namespace
}  // namespace denser
