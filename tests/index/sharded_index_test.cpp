// Sharded vector indexes: fan-out search merges to exactly the unsharded ranking, through
// the manifest as well, and bad manifests are clear errors.
#include "denser/index/sharded_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "denser/common/error.h"

namespace denser {
namespace {

using denser_test::TempDir;

constexpr uint32_t kDim = 16;

std::vector<std::string> make_ids(size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("doc-" + std::to_string(i));
  return ids;
}

std::unique_ptr<VectorIndex> flat(std::span<const std::string> ids, std::span<const float> x) {
  auto index = VectorIndex::create(VectorIndexOptions{kDim, "Flat", VectorMetric::kInnerProduct, "model-x"});
  index->add(ids, x, 1);
  return index;
}

// Shards of contiguous row ranges [cut[s], cut[s+1]).
std::vector<std::unique_ptr<VectorIndex>> shard(const std::vector<std::string>& ids, const std::vector<float>& x,
                                                const std::vector<size_t>& cuts) {
  std::vector<std::unique_ptr<VectorIndex>> out;
  for (size_t s = 0; s + 1 < cuts.size(); ++s) {
    size_t a = cuts[s], b = cuts[s + 1];
    out.push_back(flat(std::span(ids).subspan(a, b - a), std::span(x).subspan(a * kDim, (b - a) * kDim)));
  }
  return out;
}

// Single queries and small batches score each pair with the same scalar routine however the
// vectors are split, so the merge is exact. Batches of 20 or more go through BLAS, whose
// rounding depends on the matrix shape: scores agree to float rounding there.
void expect_close(const VectorSearchResults& a, const VectorSearchResults& b) {
  ASSERT_EQ(a.hits.size(), b.hits.size());
  for (size_t q = 0; q < a.hits.size(); ++q) {
    ASSERT_EQ(a.hits[q].size(), b.hits[q].size()) << "query " << q;
    for (size_t r = 0; r < a.hits[q].size(); ++r)
      EXPECT_NEAR(a.hits[q][r].score, b.hits[q][r].score, 1e-4) << "query " << q << " rank " << r;
  }
}

void expect_same(const VectorSearchResults& a, const VectorSearchResults& b) {
  ASSERT_EQ(a.hits.size(), b.hits.size());
  for (size_t q = 0; q < a.hits.size(); ++q) {
    ASSERT_EQ(a.hits[q].size(), b.hits[q].size()) << "query " << q;
    for (size_t r = 0; r < a.hits[q].size(); ++r) {
      EXPECT_EQ(a.hits[q][r].doc_id, b.hits[q][r].doc_id) << "query " << q << " rank " << r;
      EXPECT_EQ(a.hits[q][r].score, b.hits[q][r].score);
      EXPECT_EQ(a.hits[q][r].row, b.hits[q][r].row);
    }
  }
}

TEST(ShardedIndex, MergedRankingIsExactlyTheUnshardedOne) {
  const size_t n = 3000;
  std::vector<float> x = make_clustered_vectors(n, kDim, 20, 0.3f, 5);
  // Duplicates across shard borders: ties must still be ordered by global row.
  std::copy(x.begin(), x.begin() + kDim, x.begin() + 1500 * kDim);
  std::copy(x.begin(), x.begin() + kDim, x.begin() + 2999 * kDim);
  const auto ids = make_ids(n);
  auto whole = flat(ids, x);
  auto sharded = make_sharded_index(shard(ids, x, {0, 700, 1500, 2200, 3000}));
  EXPECT_EQ(sharded->num_vectors(), n);
  EXPECT_EQ(sharded->doc_ids(), whole->doc_ids());
  std::vector<float> q = make_clustered_vectors(40, kDim, 20, 0.3f, 9);
  std::copy(x.begin(), x.begin() + kDim, q.begin());  // query 0 hits the duplicates
  for (size_t k : {1, 10, 100, 3000}) {
    SCOPED_TRACE(k);
    expect_same(sharded->search(10, std::span(q).subspan(0, 10 * kDim), k, {}, 2),
                whole->search(10, std::span(q).subspan(0, 10 * kDim), k, {}, 2));
    for (size_t i = 0; i < 40; i += 13)
      expect_same(sharded->search(1, std::span(q).subspan(i * kDim, kDim), k, {}, 1),
                  whole->search(1, std::span(q).subspan(i * kDim, kDim), k, {}, 1));
    expect_close(sharded->search(40, q, k, {}, 2), whole->search(40, q, k, {}, 2));
  }
  // The three copies tie, in three shards: adjacent, in global row order.
  auto all = sharded->search(1, std::span(q).subspan(0, kDim), n, {}, 1).hits[0];
  auto pos = [&](const std::string& id) {
    return std::find_if(all.begin(), all.end(), [&](const VectorHit& h) { return h.doc_id == id; }) - all.begin();
  };
  EXPECT_EQ(pos("doc-1500"), pos("doc-0") + 1);
  EXPECT_EQ(pos("doc-2999"), pos("doc-0") + 2);
}

TEST(ShardedIndex, ManifestRoundTripAndOpenLikeAnyIndex) {
  TempDir dir("sharded");
  const size_t n = 500;
  std::vector<float> x = make_clustered_vectors(n, kDim, 8, 0.2f, 1);
  const auto ids = make_ids(n);
  auto parts = shard(ids, x, {0, 200, 500});
  parts[0]->save(dir.path("a.idx"));
  parts[1]->save(dir.path("b.idx"));
  EXPECT_EQ(write_sharded_manifest(dir.path("all.idx"), {dir.path("a.idx"), dir.path("b.idx")}), n);
  EXPECT_TRUE(is_sharded_manifest(dir.path("all.idx")));
  EXPECT_FALSE(is_sharded_manifest(dir.path("a.idx")));
  auto opened = VectorIndex::open(dir.path("all.idx"));
  EXPECT_EQ(opened->num_vectors(), n);
  EXPECT_EQ(opened->fingerprint(), "model-x");
  EXPECT_NE(opened->describe().find("2 shards"), std::string::npos);
  std::vector<float> q = make_clustered_vectors(5, kDim, 8, 0.2f, 2);  // 5 < 20: exact scores
  expect_same(opened->search(5, q, 50, {}, 1), flat(ids, x)->search(5, q, 50, {}, 1));
  EXPECT_THROW(opened->add(std::span(ids).subspan(0, 1), std::span(x).subspan(0, kDim), 1), Error);
}

TEST(ShardedIndex, BadManifestsAreClearErrors) {
  TempDir dir("sharded");
  std::vector<float> x = make_clustered_vectors(10, kDim, 2, 0.2f, 1);
  const auto ids = make_ids(10);
  flat(ids, x)->save(dir.path("a.idx"));
  auto other = VectorIndex::create(VectorIndexOptions{kDim, "Flat", VectorMetric::kInnerProduct, "model-y"});
  other->add(ids, x, 1);
  other->save(dir.path("y.idx"));
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path(name)) << text;
    return dir.path(name);
  };
  auto expect_error = [&](const std::string& path, const std::string& part) {
    try {
      VectorIndex::open(path);
      ADD_FAILURE() << "opened " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error(write("bad.json", "{\"format\": "), "not a valid sharded-index manifest");
  expect_error(write("other.json", "{\"format\": \"zip\"}"), "not a sharded-index manifest");
  // Wrongly typed fields are mismatches, not JSON type errors.
  expect_error(write("typed.json", "{\"format\": 5}"), "not a sharded-index manifest");
  expect_error(write("version.json", "{\"format\": \"denser-sharded-vector-index\", \"version\": \"1\"}"),
               "unsupported manifest version");
  const std::string head = "{\"format\": \"denser-sharded-vector-index\", \"version\": 1, ";
  expect_error(write("empty.json", head + "\"shards\": []}"), "non-empty array");
  expect_error(write("missing.json", head + "\"shards\": [{\"path\": \"nope.idx\"}]}"), "shard 0");
  expect_error(write("count.json", head + "\"shards\": [{\"path\": \"a.idx\", \"vectors\": 11}]}"), "10 vectors");
  expect_error(write("mixed.json", head + "\"shards\": [{\"path\": \"a.idx\"}, {\"path\": \"y.idx\"}]}"), "model-y");
  expect_error(write("self.json", head + "\"shards\": [{\"path\": \"self.json\"}]}"), "itself a manifest");
  EXPECT_THROW(write_sharded_manifest(dir.path("m.json"), {dir.path("a.idx"), dir.path("y.idx")}), Error);
}

}  // namespace
}  // namespace denser
