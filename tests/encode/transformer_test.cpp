// Unit tests of the transformer encoder: config.json, loading errors, save/load and
// batching invariants. Oracles: the config fields written in, the same model's own
// one-by-one results, and bitwise equality across save/load.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/encoder.h"
#include "denser/encode/safetensors.h"
#include "denser/encode/transformer.h"
#include "encode/onednn_route.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

using test::error_of;
using test::ScratchDir;

std::vector<float> encode_docs(Encoder& encoder, const std::vector<std::string>& texts) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * static_cast<size_t>(encoder.dim()));
  encoder.encode_documents(views, out);
  return out;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

// Rewrites model.safetensors through `edit`, which may drop, rename or replace tensors.
void rewrite_weights(const std::string& dir, const std::function<void(std::vector<TensorToWrite>&)>& edit) {
  std::string path = dir + "/model.safetensors";
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<TensorToWrite> tensors;
  {
    SafeTensorsFile file = SafeTensorsFile::open(path);
    for (const auto& [name, view] : file.tensors()) {
      bytes.emplace_back(view.data, view.data + view.num_bytes);
      tensors.push_back(TensorToWrite{name, view.dtype, view.shape, nullptr});
    }
  }
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].data = bytes[i].data();
  edit(tensors);
  write_safetensors(path, tensors);
}

TEST(ModelConfigTest, JsonRoundTripKeepsEveryField) {
  ModelConfig c = ModelConfig::preset("small", "roberta", 1234);
  c.pooling = "mean";
  c.ance_head = true;
  c.output_dim = 96;
  c.shared_towers = false;
  c.hidden_dropout_prob = 0.25;
  c.attention_probs_dropout_prob = 0.125;
  ModelConfig back = ModelConfig::from_json(c.to_json(), "mem");
  EXPECT_EQ(back.model_type, "roberta");
  EXPECT_EQ(back.vocab_size, 1234);
  EXPECT_EQ(back.hidden_size, 256);
  EXPECT_EQ(back.num_hidden_layers, 4);
  EXPECT_EQ(back.num_attention_heads, 4);
  EXPECT_EQ(back.intermediate_size, 1024);
  EXPECT_EQ(back.max_position_embeddings, 514);
  EXPECT_EQ(back.type_vocab_size, 1);
  EXPECT_EQ(back.pad_token_id, 1);
  EXPECT_DOUBLE_EQ(back.layer_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(back.hidden_dropout_prob, 0.25);
  EXPECT_DOUBLE_EQ(back.attention_probs_dropout_prob, 0.125);
  EXPECT_EQ(back.pooling, "mean");
  EXPECT_TRUE(back.ance_head);
  EXPECT_EQ(back.dim(), 96);
  EXPECT_FALSE(back.shared_towers);
  EXPECT_EQ(back.to_json(), c.to_json());
}

TEST(ModelConfigTest, ReadsAHuggingFaceBertConfigWithDefaults) {
  // bert-base-uncased's config.json, as Hugging Face publishes it.
  const char* hf = R"({"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
    "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
    "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0,
    "type_vocab_size": 2, "vocab_size": 30522})";
  ModelConfig c = ModelConfig::from_json(hf, "config.json");
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.pooling, "cls");
  EXPECT_FALSE(c.ance_head);
  EXPECT_EQ(c.dim(), 768);
  EXPECT_TRUE(c.shared_towers);
}

TEST(ModelConfigTest, RejectsBadFieldsNamingFileAndField) {
  std::string e = error_of([] { ModelConfig::from_json(R"({"model_type": "gpt2"})", "m/config.json"); });
  EXPECT_NE(e.find("m/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("model_type"), std::string::npos) << e;
  e = error_of([] { ModelConfig::from_json(R"({"model_type": "bert", "hidden_size": "big"})", "c.json"); });
  EXPECT_NE(e.find("hidden_size"), std::string::npos) << e;
  e = error_of([] { ModelConfig::from_json(R"({"model_type": "bert", "hidden_act": "relu"})", "c.json"); });
  EXPECT_NE(e.find("hidden_act"), std::string::npos) << e;
  e = error_of([] { ModelConfig::from_json(R"({"model_type": "bert", "num_attention_heads": 5})", "c.json"); });
  EXPECT_NE(e.find("num_attention_heads"), std::string::npos) << e;
  e = error_of([] { ModelConfig::from_json("{not json", "c.json"); });
  EXPECT_NE(e.find("c.json"), std::string::npos) << e;
}

TEST(TransformerEncoderTest, SaveLoadGivesBitwiseIdenticalEmbeddings) {
  ScratchDir dir("tf_roundtrip");
  auto encoder = create_transformer_encoder(test::tiny_test_config("bert", "mean", true), test::small_vocab(),
                                            test::one_thread(), 11);
  auto texts = test::sample_texts();
  std::vector<float> before = encode_docs(*encoder, texts);
  encoder->save(dir.path());
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"})
    EXPECT_TRUE(file_exists(dir.path(f))) << f;
  // The same options (one thread): the same inference route, so the same bits.
  auto loaded = load_encoder(dir.path(), test::one_thread());
  EXPECT_EQ(loaded->family(), "transformer");
  EXPECT_EQ(loaded->dim(), 24);
  std::vector<float> after = encode_docs(*loaded, texts);
  ASSERT_EQ(before.size(), after.size());
  EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0);
  EXPECT_EQ(loaded->fingerprint(), encoder->fingerprint());
  auto other = create_transformer_encoder(test::tiny_test_config("bert", "mean", true), test::small_vocab(),
                                          test::one_thread(), 12);
  EXPECT_NE(other->fingerprint(), encoder->fingerprint());
}

TEST(TransformerEncoderTest, BatchEqualsOneByOneAndPaddingDoesNotMatter) {
  auto texts = test::sample_texts();
  for (const char* type : {"bert", "roberta"}) {
    for (const char* pooling : {"cls", "mean"}) {
      EncodeOptions batched;
      batched.batch_size = 32;
      batched.num_threads = 1;
      auto encoder =
          create_transformer_encoder(test::tiny_test_config(type, pooling, false), test::small_vocab(), batched, 3);
      std::vector<float> all = encode_docs(*encoder, texts);
      size_t d = static_cast<size_t>(encoder->dim());
      for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<float> one = encode_docs(*encoder, {texts[i]});
        std::vector<float> row(all.begin() + i * d, all.begin() + (i + 1) * d);
        EXPECT_LE(max_abs_diff(one, row), 1e-5f) << type << " " << pooling << " text " << i;
      }
      // The shortest text next to the longest: its row is padded to the long length.
      std::vector<float> pair = encode_docs(*encoder, {texts[0], texts[2] + " " + texts[2]});
      std::vector<float> alone = encode_docs(*encoder, {texts[0]});
      EXPECT_LE(max_abs_diff(std::vector<float>(pair.begin(), pair.begin() + d), alone), 1e-5f) << type;
    }
  }
}

TEST(TransformerEncoderTest, OneDnnRouteMatchesPlainLibtorch) {
  auto texts = test::sample_texts();
  for (const char* type : {"bert", "roberta"}) {
    auto encoder = create_transformer_encoder(test::tiny_test_config(type, "cls", true), test::small_vocab(),
                                              test::one_thread(), 21, true);
    std::vector<float> fast = encode_docs(*encoder, texts);
    encode_internal::set_use_onednn(false);
    std::vector<float> plain = encode_docs(*encoder, texts);
    encode_internal::set_use_onednn(true);
    EXPECT_LE(max_abs_diff(fast, plain), 1e-5f) << type;
  }
}

TEST(TransformerEncoderTest, LoadsNamesWithoutPrefixAndHalfPrecision) {
  ScratchDir dir("tf_prefix");
  auto encoder = create_transformer_encoder(test::tiny_test_config("roberta", "cls", true), test::small_vocab(),
                                            test::one_thread(), 5);
  auto texts = test::sample_texts();
  std::vector<float> expected = encode_docs(*encoder, texts);
  encoder->save(dir.path());
  std::vector<std::vector<uint16_t>> halves;
  rewrite_weights(dir.path(), [&](std::vector<TensorToWrite>& tensors) {
    halves.reserve(tensors.size());
    for (auto& t : tensors) {
      if (t.name.rfind("roberta.", 0) == 0) t.name = t.name.substr(8);
      // Store as F16: the loader must widen it to float32.
      size_t n = 1;
      for (int64_t s : t.shape) n *= static_cast<size_t>(s);
      auto& h = halves.emplace_back(n);
      const float* src = static_cast<const float*>(t.data);
      for (size_t i = 0; i < n; ++i) h[i] = float_to_half(src[i]);
      t.data = h.data();
      t.dtype = DType::kF16;
    }
    tensors.push_back(TensorToWrite{"pooler.dense.bias", DType::kF16, {1}, halves.front().data()});
  });
  auto loaded = load_encoder(dir.path());
  EXPECT_LE(max_abs_diff(encode_docs(*loaded, texts), expected), 0.05f);
}

TEST(TransformerEncoderTest, LoadErrorsNameFileAndTensor) {
  ScratchDir dir("tf_errors");
  auto encoder = create_transformer_encoder(test::tiny_test_config("bert", "cls", false), test::small_vocab(),
                                            test::one_thread(), 1);
  encoder->save(dir.path());
  std::string weights = dir.path("model.safetensors");
  std::string pristine = read_file(weights);

  rewrite_weights(dir.path(), [](std::vector<TensorToWrite>& t) {
    std::erase_if(t, [](const TensorToWrite& x) { return x.name == "bert.encoder.layer.1.output.dense.weight"; });
  });
  std::string e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find(weights), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
  EXPECT_NE(e.find("bert.encoder.layer.1.output.dense.weight"), std::string::npos) << e;

  write_file_atomic(weights, pristine);
  rewrite_weights(dir.path(), [](std::vector<TensorToWrite>& t) {
    for (auto& x : t)
      if (x.name == "bert.embeddings.LayerNorm.bias") x.shape = {4, 8};  // same bytes, wrong shape
  });
  e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find(weights), std::string::npos) << e;
  EXPECT_NE(e.find("bert.embeddings.LayerNorm.bias has shape [4, 8], expected [32]"), std::string::npos) << e;

  write_file_atomic(weights, pristine);
  std::vector<float> extra(3, 1.0f);
  rewrite_weights(dir.path(), [&](std::vector<TensorToWrite>& t) {
    t.push_back(TensorToWrite{"bert.encoder.layer.2.output.dense.bias", DType::kF32, {3}, extra.data()});
  });
  e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find("unexpected"), std::string::npos) << e;
  EXPECT_NE(e.find("bert.encoder.layer.2.output.dense.bias"), std::string::npos) << e;

  write_file_atomic(weights, pristine);
  std::string config = read_file(dir.path("config.json"));
  std::string bad = config;
  bad.replace(bad.find("\"bert\""), 6, "\"t5\"");
  write_file_atomic(dir.path("config.json"), bad);
  e = error_of([&] { load_transformer_encoder(dir.path()); });
  EXPECT_NE(e.find(dir.path("config.json")), std::string::npos) << e;
  EXPECT_NE(e.find("t5"), std::string::npos) << e;
  e = error_of([&] { load_encoder(dir.path()); });
  EXPECT_NE(e.find("t5"), std::string::npos) << e;

  write_file_atomic(dir.path("config.json"), config);
  EXPECT_NO_THROW(load_encoder(dir.path()));
}

TEST(TransformerEncoderTest, SeparateQueryTowerSavesAndLoads) {
  ScratchDir dir("tf_towers");
  ModelConfig config = test::tiny_test_config("bert", "cls", true);
  config.shared_towers = false;
  auto encoder = create_transformer_encoder(config, test::small_vocab(), test::one_thread(), 9);
  std::vector<std::string_view> texts = {"the protein", "mouse cells"};
  size_t d = static_cast<size_t>(encoder->dim());
  std::vector<float> q(2 * d), doc(2 * d);
  encoder->encode_queries(texts, q);
  encoder->encode_documents(texts, doc);
  EXPECT_GT(max_abs_diff(q, doc), 1e-3f);  // two towers, two sets of weights
  encoder->save(dir.path());
  SafeTensorsFile file = SafeTensorsFile::open(dir.path("model.safetensors"));
  EXPECT_NE(file.find("query_tower.bert.embeddings.word_embeddings.weight"), nullptr);
  EXPECT_NE(file.find("embeddingHead.weight"), nullptr);
  auto loaded = load_encoder(dir.path(), test::one_thread());  // the same settings: the same kernels
  std::vector<float> q2(2 * d);
  loaded->encode_queries(texts, q2);
  EXPECT_EQ(std::memcmp(q.data(), q2.data(), q.size() * sizeof(float)), 0);
}

TEST(TransformerEncoderTest, RejectsBadOptionsAndOutputSize) {
  auto config = test::tiny_test_config("bert", "cls", false);
  EncodeOptions options;
  options.device = "tpu";
  EXPECT_NE(error_of([&] { create_transformer_encoder(config, test::small_vocab(), options); }).find("tpu"),
            std::string::npos);
  auto encoder = create_transformer_encoder(config, test::small_vocab());
  std::vector<std::string_view> texts = {"cell"};
  std::vector<float> out(5);
  EXPECT_NE(error_of([&] { encoder->encode_documents(texts, out); }).find("expected 1 x 32"), std::string::npos);
  config.vocab_size = 10;
  EXPECT_THROW(create_transformer_encoder(config, test::small_vocab()), Error);
}

}  // namespace
}  // namespace denser
