// The independent check: denser's transformer encoder against tests/encode/reference_bert.py,
// a float64 reimplementation of the published BERT / RoBERTa / ANCE architecture in plain
// PyTorch tensor arithmetic, reading the same model directory. Both see the same token ids
// (padded batches on both sides); embeddings must agree within 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "denser/common/io.h"
#include "denser/encode/transformer.h"
#include "denser/text/tokenizer.h"
#include "denser/text/wordpiece.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

const char* kPython = "/usr/bin/python3";

std::string reference_script() { return std::string(DENSER_TESTDATA_DIR) + "/../encode/reference_bert.py"; }

bool python_torch_available() {
  if (!file_exists(kPython)) return false;
  std::string cmd = std::string(kPython) + " -c 'import torch' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

struct Case {
  std::string model_type, pooling;
  bool ance_head = false;
  bool shared_towers = true;
};

// Runs the reference on `rows` (unpadded ids) and returns its (n, dim) embeddings.
std::vector<float> reference_embeddings(const std::string& model_dir, const std::vector<std::vector<int32_t>>& rows,
                                        int pad_id, bool query_tower, const test::ScratchDir& scratch) {
  nlohmann::json request = {{"ids", rows}, {"pad_id", pad_id}, {"tower", query_tower ? "query" : "document"}};
  std::string input = scratch.path("request.json"), output = scratch.path("reference.json");
  write_file_atomic(input, request.dump());
  std::string cmd = std::string(kPython) + " " + reference_script() + " " + model_dir + " " + input + " > " + output;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto result = nlohmann::json::parse(read_file(output));
  std::vector<float> flat;
  for (const auto& row : result.at("embeddings"))
    for (const auto& v : row) flat.push_back(v.get<float>());
  return flat;
}

void check_case(const Case& c) {
  SCOPED_TRACE(c.model_type + " " + c.pooling + (c.ance_head ? " +ance" : "") + (c.shared_towers ? "" : " 2 towers"));
  test::ScratchDir scratch("tf_reference");
  ModelConfig config = test::tiny_test_config(c.model_type, c.pooling, c.ance_head);
  config.shared_towers = c.shared_towers;
  EncodeOptions options = test::one_thread();
  options.batch_size = 6;            // several batches, each padded
  options.document_max_length = 48;  // the longest sample texts get truncated
  options.query_max_length = 16;
  auto encoder = create_transformer_encoder(config, test::small_vocab(), options, 2024, /*random_norms=*/true);
  std::string model_dir = scratch.path("model");
  encoder->save(model_dir);

  std::vector<std::string> texts = test::sample_texts();
  std::vector<std::string_view> views(texts.begin(), texts.end());
  WordPiece wordpiece(test::small_vocab());
  for (bool query : {false, true}) {
    if (query && c.shared_towers) continue;
    size_t max_length = static_cast<size_t>(query ? options.query_max_length : options.document_max_length);
    std::vector<std::vector<int32_t>> rows;
    for (const auto& t : texts) rows.push_back(wordpiece.encode_single(t, max_length).ids);
    std::vector<float> ours(texts.size() * static_cast<size_t>(encoder->dim()));
    if (query) {
      encoder->encode_queries(views, ours);
    } else {
      encoder->encode_documents(views, ours);
    }
    std::vector<float> theirs = reference_embeddings(model_dir, rows, wordpiece.pad_id(), query, scratch);
    ASSERT_EQ(theirs.size(), ours.size());
    float worst = 0, scale = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      worst = std::max(worst, std::fabs(ours[i] - theirs[i]));
      scale = std::max(scale, std::fabs(theirs[i]));
    }
    EXPECT_LE(worst, 1e-4f) << (query ? "queries" : "documents");
    EXPECT_GT(scale, 0.1f);  // the embeddings are not trivially zero
    std::printf("[ reference ] %s %s%s%s: max |denser - reference| = %.3g (max |value| %.3g)\n", c.model_type.c_str(),
                c.pooling.c_str(), c.ance_head ? " +ance" : "", query ? " queries" : "", worst, scale);
  }
}

// Replaces a saved model's WordPiece files by a small byte-level BPE vocabulary (RoBERTa's
// tokenizer family): <pad> keeps id 0 = pad_token_id, every other id stays below vocab_size.
void write_bpe_tokenizer(const std::string& dir) {
  std::filesystem::remove(dir + "/vocab.txt");
  std::filesystem::remove(dir + "/tokenizer_config.json");
  std::vector<std::string> tokens = {"<pad>", "<s>", "</s>", "<unk>", "<mask>", "\u0120"};  // U+0120: a space
  for (char c = 'a'; c <= 'z'; ++c) tokens.push_back(std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) tokens.push_back(std::string(1, c));
  for (const char* p : {".", ",", "-", "(", ")"}) tokens.push_back(p);
  const char* merges[][2] = {{"t", "h"}, {"th", "e"}, {"\u0120", "the"},  {"e", "n"}, {"\u0120", "c"},
                             {"e", "l"}, {"el", "l"}, {"\u0120c", "ell"}, {"i", "n"}, {"\u0120", "in"}};
  std::string merges_txt = "#version: 0.2\n";
  for (const auto& m : merges) {
    merges_txt += std::string(m[0]) + " " + m[1] + "\n";
    tokens.push_back(std::string(m[0]) + m[1]);
  }
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  write_file_atomic(dir + "/vocab.json", vocab.dump());
  write_file_atomic(dir + "/merges.txt", merges_txt);
}

TEST(TransformerReferenceTest, RobertaWithByteLevelBpe) {
  if (!python_torch_available()) GTEST_SKIP() << kPython << " with torch not found: reference check skipped";
  test::ScratchDir scratch("tf_reference_bpe");
  ModelConfig config = test::tiny_test_config("roberta", "cls", true);
  EncodeOptions options = test::one_thread();
  options.batch_size = 5;
  options.document_max_length = 40;
  std::string model_dir = scratch.path("model");
  create_transformer_encoder(config, test::small_vocab(), options, 77, true)->save(model_dir);
  write_bpe_tokenizer(model_dir);
  auto encoder = load_encoder(model_dir, options);
  auto tokenizer = load_tokenizer(model_dir);
  ASSERT_EQ(tokenizer->kind(), "bpe");
  std::vector<std::string> texts = test::sample_texts();
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<std::vector<int32_t>> rows;
  for (const auto& t : texts) rows.push_back(tokenizer->encode_single(t, 40).ids);
  EXPECT_EQ(rows[1].front(), 1);  // <s>
  EXPECT_EQ(rows[1][1], 48);      // "the" = t h, th e: the merges were applied
  std::vector<float> ours(texts.size() * static_cast<size_t>(encoder->dim()));
  encoder->encode_documents(views, ours);
  std::vector<float> theirs = reference_embeddings(model_dir, rows, tokenizer->pad_id(), false, scratch);
  ASSERT_EQ(theirs.size(), ours.size());
  float worst = 0;
  for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::fabs(ours[i] - theirs[i]));
  EXPECT_LE(worst, 1e-4f);
  std::printf("[ reference ] roberta cls +ance, byte-level BPE: max |denser - reference| = %.3g\n", worst);
}

TEST(TransformerReferenceTest, MatchesIndependentPythonImplementation) {
  if (!python_torch_available()) GTEST_SKIP() << kPython << " with torch not found: reference check skipped";
  for (const char* type : {"bert", "roberta"})
    for (const char* pooling : {"cls", "mean"})
      for (bool head : {false, true}) check_case(Case{type, pooling, head, true});
  check_case(Case{"bert", "mean", true, false});
}

}  // namespace
}  // namespace denser
