// The sentence-transformers layout: modules.json, 1_Pooling/config.json,
// sentence_bert_config.json read as sentence-transformers reads them, written back on save,
// and every unsupported module or setting refused with the file and field. Oracles: the
// pooling and normalization computed here by hand from the model's own token vectors
// (cls pooling at max length 2 gives the [CLS] vector), and exact save/load equality.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_config.h"
#include "denser/encode/transformer.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

using test::error_of;
using test::ScratchDir;

std::vector<float> encode(Encoder& encoder, const std::vector<std::string>& texts, bool queries = false) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * static_cast<size_t>(encoder.dim()));
  if (queries) {
    encoder.encode_queries(views, out);
  } else {
    encoder.encode_documents(views, out);
  }
  return out;
}

ModelConfig st_config(const std::string& pooling, bool normalize) {
  ModelConfig c = ModelConfig::preset("tiny");
  c.vocab_size = static_cast<int64_t>(test::small_vocab().size());
  c.pooling = pooling;
  c.normalize = normalize;
  c.max_seq_length = 24;
  c.sentence_transformers = true;
  return c;
}

// Saves a random tiny model in the sentence-transformers layout.
std::string save_st_model(const ScratchDir& dir, const std::string& pooling, bool normalize) {
  auto encoder = create_transformer_encoder(st_config(pooling, normalize), test::small_vocab(), {}, 3, true);
  encoder->save(dir.path());
  return dir.path();
}

TEST(SentenceTransformersLayout, SaveWritesTheModulesAndLoadReadsThemBack) {
  ScratchDir dir("st_roundtrip");
  save_st_model(dir, "mean", true);
  const auto modules = nlohmann::json::parse(read_file(dir.path("modules.json")));
  ASSERT_EQ(modules.size(), 3u);
  EXPECT_EQ(modules[0]["type"], "sentence_transformers.models.Transformer");
  EXPECT_EQ(modules[1]["path"], "1_Pooling");
  EXPECT_EQ(modules[2]["type"], "sentence_transformers.models.Normalize");
  const auto pooling = nlohmann::json::parse(read_file(dir.path("1_Pooling/config.json")));
  EXPECT_EQ(pooling["pooling_mode_mean_tokens"], true);
  EXPECT_EQ(pooling["pooling_mode_cls_token"], false);
  EXPECT_EQ(pooling["word_embedding_dimension"], 128);
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.path("sentence_bert_config.json")))["max_seq_length"], 24);

  // Read as sentence-transformers would: drop denser's own copy of the settings.
  auto config = nlohmann::json::parse(read_file(dir.path("config.json")));
  config.erase("denser");
  write_file_atomic(dir.path("config.json"), config.dump());
  const ModelConfig loaded = ModelConfig::load_dir(dir.path());
  EXPECT_EQ(loaded.pooling, "mean");
  EXPECT_TRUE(loaded.normalize);
  EXPECT_EQ(loaded.max_seq_length, 24);
  EXPECT_TRUE(loaded.sentence_transformers);
  auto encoder = load_encoder(dir.path());
  EXPECT_EQ(encoder->similarity(), "cosine");
  const auto v = encode(*encoder, test::sample_texts());
  for (size_t i = 0; i < test::sample_texts().size(); ++i) {
    double norm = 0;
    for (int d = 0; d < encoder->dim(); ++d) norm += double{v[i * 128 + d]} * v[i * 128 + d];
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5) << i;
  }
}

TEST(SentenceTransformersLayout, PoolingModesMatchTheirDefinitions) {
  const std::vector<std::string> texts = test::sample_texts();
  ScratchDir cls_dir("st_cls"), mean_dir("st_mean"), max_dir("st_max");
  auto cls = load_encoder(save_st_model(cls_dir, "cls", false));
  auto mean = load_encoder(save_st_model(mean_dir, "mean", false));
  auto max = load_encoder(save_st_model(max_dir, "max", false));
  EXPECT_EQ(mean->similarity(), "dot");
  // The same weights (seed 3) under three poolings of the same token vectors: per
  // dimension, neither the first token's value nor the mean exceeds the maximum.
  const auto c = encode(*cls, texts), m = encode(*mean, texts), x = encode(*max, texts);
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_LE(m[i], x[i] + 1e-5) << i;
    EXPECT_LE(c[i], x[i] + 1e-5) << i;
  }
  bool differ = false;
  for (size_t i = 0; i < c.size(); ++i) differ = differ || std::fabs(c[i] - m[i]) > 1e-4;
  EXPECT_TRUE(differ) << "cls and mean pooling gave the same vectors";
}

TEST(SentenceTransformersLayout, MaxSeqLengthIsTheDefaultLimitForQueriesAndDocuments) {
  ScratchDir dir("st_maxlen");
  save_st_model(dir, "mean", false);
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "cell ";
  const std::vector<std::string> a = {long_text}, b = {long_text + " protein gene"};
  auto encoder = load_encoder(dir.path());  // max_seq_length 24: the tails beyond are cut
  EXPECT_EQ(encode(*encoder, a), encode(*encoder, b));
  EXPECT_EQ(encode(*encoder, a, true), encode(*encoder, b, true));
  EncodeOptions longer;
  longer.document_max_length = 128;  // an explicit limit overrides the model's
  auto wide = load_encoder(dir.path(), longer);
  EXPECT_NE(encode(*wide, a), encode(*wide, b));
}

TEST(SentenceTransformersLayout, UnsupportedModulesAndSettingsAreRefusedByFileAndField) {
  ScratchDir dir("st_errors");
  save_st_model(dir, "mean", true);
  const std::string modules = read_file(dir.path("modules.json"));
  auto with_modules = [&](const std::string& text) {
    write_file_atomic(dir.path("modules.json"), text);
    return error_of([&] { load_encoder(dir.path()); });
  };
  auto j = nlohmann::json::parse(modules);
  j.push_back({{"idx", 3}, {"name", "3"}, {"path", "3_Dense"}, {"type", "sentence_transformers.models.Dense"}});
  std::string e = with_modules(j.dump());
  EXPECT_NE(e.find("modules.json"), std::string::npos) << e;
  EXPECT_NE(e.find("sentence_transformers.models.Dense"), std::string::npos) << e;
  e = with_modules(R"([{"type": "sentence_transformers.models.Transformer", "path": ""}])");
  EXPECT_NE(e.find("no sentence_transformers.models.Pooling"), std::string::npos) << e;
  e = with_modules(R"([{"type": "sentence_transformers.models.Transformer", "path": "../elsewhere"}])");
  EXPECT_NE(e.find("outside the model directory"), std::string::npos) << e;
  with_modules(modules);

  const std::string pooling = read_file(dir.path("1_Pooling/config.json"));
  auto with_pooling = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto p = nlohmann::json::parse(pooling);
    edit(p);
    write_file_atomic(dir.path("1_Pooling/config.json"), p.dump());
    return error_of([&] { load_encoder(dir.path()); });
  };
  e = with_pooling([](nlohmann::json& p) { p["pooling_mode_max_tokens"] = true; });
  EXPECT_NE(e.find("1_Pooling/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("exactly one"), std::string::npos) << e;
  e = with_pooling([](nlohmann::json& p) { p["pooling_mode_weightedmean_tokens"] = true; });
  EXPECT_NE(e.find("pooling_mode_weightedmean_tokens"), std::string::npos) << e;
  e = with_pooling([](nlohmann::json& p) { p["word_embedding_dimension"] = 768; });
  EXPECT_NE(e.find("word_embedding_dimension"), std::string::npos) << e;
  with_pooling([](nlohmann::json&) {});

  write_file_atomic(dir.path("sentence_bert_config.json"), R"({"max_seq_length": "long"})");
  e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find("sentence_bert_config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("max_seq_length"), std::string::npos) << e;
  write_file_atomic(dir.path("sentence_bert_config.json"), R"({"max_seq_length": 24})");
  write_file_atomic(dir.path("config_sentence_transformers.json"), R"({"similarity_fn_name": "manhattan"})");
  e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find("similarity_fn_name"), std::string::npos) << e;
  write_file_atomic(dir.path("config_sentence_transformers.json"), R"({"similarity_fn_name": "cosine"})");
  EXPECT_EQ(error_of([&] { load_encoder(dir.path()); }), "(no error)");
}

TEST(SentenceTransformersLayout, OlderLayoutWithATransformerFolderLoads) {
  ScratchDir flat("st_flat"), nested("st_nested");
  save_st_model(flat, "mean", true);
  save_st_model(nested, "mean", true);
  // Move the Hugging Face files into 0_Transformer, as sentence-transformers 1.x wrote them.
  std::filesystem::create_directories(nested.path("0_Transformer"));
  for (const char* f :
       {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "sentence_bert_config.json"})
    std::filesystem::rename(nested.path(f), nested.path(std::string("0_Transformer/") + f));
  auto m = nlohmann::json::parse(read_file(nested.path("modules.json")));
  m[0]["path"] = "0_Transformer";
  write_file_atomic(nested.path("modules.json"), m.dump());
  auto a = load_encoder(flat.path()), b = load_encoder(nested.path());
  EXPECT_EQ(encode(*a, test::sample_texts()), encode(*b, test::sample_texts()));
}

TEST(SentenceTransformersLayout, Bf16IsCloseToFp32) {
  ScratchDir dir("st_bf16");
  save_st_model(dir, "mean", true);
  EncodeOptions bf16;
  bf16.precision = "bf16";
  auto a = load_encoder(dir.path()), b = load_encoder(dir.path(), bf16);
  const auto x = encode(*a, test::sample_texts()), y = encode(*b, test::sample_texts());
  for (size_t i = 0; i < test::sample_texts().size(); ++i) {
    double dot = 0;
    for (size_t d = 0; d < 128; ++d) dot += double{x[i * 128 + d]} * y[i * 128 + d];
    EXPECT_GT(dot, 0.999) << i;  // unit vectors: the cosine
  }
  EncodeOptions bad;
  bad.precision = "fp8";
  EXPECT_NE(error_of([&] { load_encoder(dir.path(), bad); }).find("unknown precision \"fp8\""), std::string::npos);
}

}  // namespace
}  // namespace denser
