// Byte-level BPE over the whole SciFact corpus against the Python reference's digest
// (tests/testdata/text/bpe_reference.py corpus), and its throughput.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "denser/common/io.h"
#include "denser/text/bpe.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

TEST(ByteLevelBpeCorpus, SciFactMatchesPythonReference) {
  const std::string corpus = test::scifact_corpus_path();
  if (!file_exists(corpus)) GTEST_SKIP() << "../shared not found: " << corpus;
  const std::string dir = std::string(DENSER_TESTDATA_DIR) + "/text/bpe_small";
  ByteLevelBpe bpe = ByteLevelBpe::load(dir + "/vocab.json", dir + "/merges.txt");
  std::vector<std::string> texts;
  LineReader reader(corpus);
  std::string line;
  size_t bytes = 0;
  while (reader.next(line)) {
    auto doc = nlohmann::json::parse(line);
    texts.push_back(doc.value("title", "") + " " + doc.value("text", ""));
    bytes += texts.back().size();
  }
  // `bpe_reference.py corpus corpus.jsonl bpe_small` printed these.
  constexpr size_t kDocs = 5183, kIds = 3322963;
  constexpr uint64_t kDigest = 1135415588350752736ull;
  ASSERT_EQ(texts.size(), kDocs);
  const auto start = std::chrono::steady_clock::now();
  std::vector<int32_t> ids;
  uint64_t digest = 0;
  size_t num_ids = 0;
  for (const auto& text : texts) {
    ids.clear();
    bpe.encode(text, ids);
    // mod 2^61 divides mod 2^64, so unsigned wrap-around then a mask gives Python's value
    for (int32_t id : ids) digest = (digest * 1000003 + static_cast<uint64_t>(id) + 1) & ((uint64_t{1} << 61) - 1);
    num_ids += ids.size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(num_ids, kIds);
  EXPECT_EQ(digest, kDigest);
  std::printf(
      "[ perf ] byte-level BPE (bpe_small, %zu merges) on SciFact: %.1f MB in %.3f s = %.1f MB/s, "
      "%.2f M tokens/s\n",
      bpe.merges().size(), static_cast<double>(bytes) / 1e6, seconds, static_cast<double>(bytes) / 1e6 / seconds,
      static_cast<double>(num_ids) / 1e6 / seconds);
}

}  // namespace
}  // namespace denser
