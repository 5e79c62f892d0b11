// The n-gram encoder on the real SciFact corpus: every document gets a non-zero vector, a
// corpus-sized batch agrees with one-by-one encoding. The time taken is printed for
// information only: speed goals live in bench/, not in timed tests.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <vector>

#include "denser/common/log.h"
#include "denser/data/readers.h"
#include "denser/encode/ngram.h"

namespace denser {
namespace {

TEST(NgramScifactTest, EncodesTheCorpusQuickly) {
  std::string corpus = std::string(DENSER_SHARED_DIR) + "/datasets/scifact/corpus.jsonl";
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "../shared not found: " << corpus;
  std::vector<std::string> texts;
  auto reader = open_beir_corpus(corpus);
  for (Document doc; reader->next(doc);) texts.push_back(doc.title + " " + doc.text);
  ASSERT_EQ(texts.size(), 5183u);
  std::vector<std::string_view> views(texts.begin(), texts.end());

  auto encoder = create_ngram_encoder(NgramConfig{}, EncodeOptions{}, 1);  // 2^18 x 128, all cores
  size_t d = static_cast<size_t>(encoder->dim());
  std::vector<float> out(texts.size() * d);
  auto start = std::chrono::steady_clock::now();
  encoder->encode_documents(views, out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  DENSER_LOG_INFO("n-gram encoder: ", texts.size(), " SciFact documents in ", seconds, " s");
  std::printf("n-gram encoder: %zu SciFact documents in %.3f s\n", texts.size(), seconds);

  for (size_t t = 0; t < texts.size(); ++t) {
    double norm = 0;
    for (size_t j = 0; j < d; ++j) norm += std::fabs(out[t * d + j]);
    ASSERT_GT(norm, 0.0) << "document " << t << " encoded to zeros";
  }
  for (size_t t = 0; t < texts.size(); t += 517) {
    std::vector<float> one(d);
    encoder->encode_documents(std::span<const std::string_view>(&views[t], 1), one);
    for (size_t j = 0; j < d; ++j) ASSERT_NEAR(one[j], out[t * d + j], 1e-6) << "document " << t;
  }
}

}  // namespace
}  // namespace denser
