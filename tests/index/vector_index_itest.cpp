// Slower VectorIndex checks: approximate indexes against exact Flat search (the oracle,
// itself checked against brute force in vector_index_test.cpp) on 20k clustered vectors.
#include <gtest/gtest.h>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/index/vector_index.h"

namespace denser {
namespace {

constexpr uint32_t kDim = 64;
constexpr size_t kNumBase = 20000;
constexpr size_t kNumQueries = 500;
constexpr size_t kK = 10;

struct Data {
  std::vector<float> base;
  std::vector<float> queries;
  std::vector<std::string> ids;
};

// Base and queries from the same clusters: queries have true near neighbours.
const Data& data() {
  static const Data d = [] {
    Data out;
    std::vector<float> all = make_clustered_vectors(kNumBase + kNumQueries, kDim, 100, 0.6f, 2024);
    out.base.assign(all.begin(), all.begin() + kNumBase * kDim);
    out.queries.assign(all.begin() + kNumBase * kDim, all.end());
    for (size_t i = 0; i < kNumBase; ++i) out.ids.push_back(str("d", i));
    return out;
  }();
  return d;
}

std::unique_ptr<VectorIndex> build(const std::string& factory) {
  auto index = VectorIndex::create({kDim, factory, VectorMetric::kInnerProduct, "synthetic"});
  // 5000 training rows: FAISS's k-means on Debian's reference BLAS is slow.
  index->train(5000, std::span(data().base).subspan(0, 5000 * kDim), 2);
  index->add(data().ids, data().base, 2);
  return index;
}

const VectorSearchResults& exact() {
  static const VectorSearchResults r = build("Flat")->search(kNumQueries, data().queries, kK);
  return r;
}

TEST(VectorIndexRecallTest, Hnsw32ReachesRecall099AgainstFlat) {
  auto index = build("HNSW32");
  const int ef_search = 64;
  const VectorSearchResults res = index->search(kNumQueries, data().queries, kK, {.ef_search = ef_search}, 1);
  const double recall = recall_at_k(res, exact(), kK);
  std::printf("HNSW32 n=%zu dim=%u efSearch=%d recall@10=%.4f qps(1 thread)=%.0f distances/query=%.0f\n", kNumBase,
              kDim, ef_search, recall, kNumQueries / res.stats.seconds,
              double(res.stats.distances_computed) / kNumQueries);
  EXPECT_GE(recall, 0.99);
  // A tiny candidate list must lose recall: the parameter reaches FAISS.
  const VectorSearchResults narrow = index->search(kNumQueries, data().queries, kK, {.ef_search = 1}, 1);
  EXPECT_LT(narrow.stats.distances_computed, res.stats.distances_computed);
  EXPECT_LE(recall_at_k(narrow, exact(), kK), recall);
}

TEST(VectorIndexRecallTest, IvfPqRecallAndMemory) {
  auto flat = build("Flat");
  auto index = build("IVF64,PQ16x4");
  const VectorSearchResults res = index->search(kNumQueries, data().queries, kK, {.nprobe = 8}, 1);
  const double recall = recall_at_k(res, exact(), kK);
  std::printf("IVF64,PQ16x4 n=%zu dim=%u nprobe=8 recall@10=%.4f qps(1 thread)=%.0f memory=%llu bytes (Flat %llu)\n",
              kNumBase, kDim, recall, kNumQueries / res.stats.seconds,
              static_cast<unsigned long long>(index->memory_bytes()),
              static_cast<unsigned long long>(flat->memory_bytes()));
  // 8-byte codes against 256-byte vectors: a compressed index, and still a useful one.
  EXPECT_LT(index->memory_bytes() * 10, flat->memory_bytes());
  // Chance would be 10 / 20000; 4-bit codes on this noisy data give about 0.33.
  EXPECT_GE(recall, 0.25);
  const VectorSearchResults more = index->search(kNumQueries, data().queries, kK, {.nprobe = 64}, 1);
  EXPECT_GT(more.stats.distances_computed, res.stats.distances_computed);
  EXPECT_GE(recall_at_k(more, exact(), kK), recall - 0.02);
}

}  // namespace
}  // namespace denser
