// Encoding throughput of the tiny and small presets on SciFact documents (max_length 256,
// batch 32, 2 threads), with randomly initialized weights: speed does not depend on the
// values. Prints docs/s; checks the vectors are finite and distinct. DENSER_THROUGHPUT_DOCS
// sets how many documents (default 256; SciFact has 5183).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "denser/common/io.h"
#include "denser/data/readers.h"
#include "denser/encode/transformer.h"
#include "denser/text/wordpiece.h"
#include "encode/onednn_route.h"

namespace denser {
namespace {

TEST(TransformerThroughputTest, SciFactDocumentsTinyAndSmall) {
  std::string shared = DENSER_SHARED_DIR;
  std::string corpus = shared + "/datasets/scifact/corpus.jsonl", vocab = shared + "/vocab/bert-base-uncased/vocab.txt";
  if (!file_exists(corpus) || !file_exists(vocab)) GTEST_SKIP() << "../shared not found: " << corpus;
  size_t limit = 256;
  if (const char* env = std::getenv("DENSER_THROUGHPUT_DOCS")) limit = std::strtoul(env, nullptr, 10);
  std::vector<std::string> texts;
  auto reader = open_beir_corpus(corpus);
  Document doc;
  while (texts.size() < limit && reader->next(doc)) texts.push_back(doc.title + " " + doc.text);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<std::string> tokens = load_vocab_txt(vocab);

  for (const char* preset : {"tiny", "small"}) {
    ModelConfig config = ModelConfig::preset(preset, "bert", static_cast<int64_t>(tokens.size()));
    EncodeOptions options;
    options.batch_size = 32;
    options.num_threads = 2;
    options.document_max_length = 256;
    auto encoder = create_transformer_encoder(config, tokens, options, 1);
    std::vector<float> out(texts.size() * static_cast<size_t>(encoder->dim()));
    auto docs_per_second = [&](size_t n) {
      auto start = std::chrono::steady_clock::now();
      encoder->encode_documents(std::span(views).first(n), std::span(out).first(n * encoder->dim()));
      return static_cast<double>(n) / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    // The plain libtorch route (netlib BLAS in Debian's build) for comparison, on fewer docs.
    size_t plain_docs = std::min<size_t>(texts.size(), 64);
    encode_internal::set_use_onednn(false);
    double plain = docs_per_second(plain_docs);
    encode_internal::set_use_onednn(true);
    double fast = docs_per_second(texts.size());
    std::printf("[ throughput ] %s: %.1f docs/s over %zu SciFact docs (plain libtorch route: %.1f docs/s over %zu)"
                " (max_length 256, batch 32, 2 threads)\n",
                preset, fast, texts.size(), plain, plain_docs);
    for (float v : out) ASSERT_TRUE(std::isfinite(v));
    size_t d = static_cast<size_t>(encoder->dim());
    EXPECT_NE(std::vector<float>(out.begin(), out.begin() + d), std::vector<float>(out.begin() + d, out.begin() + 2 * d));
  }
}

}  // namespace
}  // namespace denser
