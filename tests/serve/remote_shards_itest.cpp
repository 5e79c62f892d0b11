// Shards served by other servers (ShardServer) behind a manifest of URLs: the front's
// fan-out merges to exactly the unsharded ranking, and a search service runs over it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/index/sharded_index.h"
#include "denser/serve/server.h"
#include "denser/serve/shard_server.h"
#include "serve/retriever_fixture.h"

namespace denser {
namespace {

using testing_fixture::TempDir;
constexpr uint32_t kDim = 16;

std::unique_ptr<VectorIndex> flat(std::span<const std::string> ids, std::span<const float> x) {
  auto index = VectorIndex::create(VectorIndexOptions{kDim, "Flat", VectorMetric::kInnerProduct, "model-r"});
  index->add(ids, x, 1);
  return index;
}

TEST(RemoteShards, FrontMergesShardServersExactly) {
  enable_remote_shards();
  TempDir dir("denser-remote-shards");
  const size_t n = 900;
  std::vector<float> x = make_clustered_vectors(n, kDim, 12, 0.3f, 4);
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("doc-" + std::to_string(i));
  auto whole = flat(ids, x);
  std::vector<std::unique_ptr<ShardServer>> servers;
  std::vector<std::string> urls;
  for (size_t s = 0; s < 3; ++s) {
    const size_t a = s * 300;
    std::shared_ptr<const VectorIndex> part =
        flat(std::span(ids).subspan(a, 300), std::span(x).subspan(a * kDim, 300 * kDim));
    ShardServerOptions options;
    options.port = 0;
    servers.push_back(std::make_unique<ShardServer>(part, options));
    urls.push_back("http://127.0.0.1:" + std::to_string(servers.back()->start()));
  }
  const std::string manifest = (dir.path / "remote.idx").string();
  EXPECT_EQ(write_sharded_manifest(manifest, urls), n);
  auto front = VectorIndex::open(manifest);
  EXPECT_EQ(front->num_vectors(), n);
  EXPECT_EQ(front->doc_ids(), whole->doc_ids());
  std::vector<float> q = make_clustered_vectors(8, kDim, 12, 0.3f, 8);
  for (size_t k : {1, 10, 500}) {
    auto a = front->search(8, q, k, {}, 1), b = whole->search(8, q, k, {}, 1);
    for (size_t i = 0; i < 8; ++i) {
      ASSERT_EQ(a.hits[i].size(), b.hits[i].size());
      for (size_t r = 0; r < a.hits[i].size(); ++r) {
        EXPECT_EQ(a.hits[i][r].doc_id, b.hits[i][r].doc_id) << "k " << k << " query " << i << " rank " << r;
        EXPECT_EQ(a.hits[i][r].score, b.hits[i][r].score);
        EXPECT_EQ(a.hits[i][r].row, b.hits[i][r].row);
      }
    }
  }
  // A shard that goes away is a clear error, not a crash.
  servers[1]->stop();
  try {
    front->search(1, std::span(q).subspan(0, kDim), 10, {}, 1);
    ADD_FAILURE() << "searched with a shard down";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(urls[1]), std::string::npos) << e.what();
  }
}

TEST(RemoteShards, ShardServerRejectsBadRequestsAndChecksItsToken) {
  std::vector<float> x = make_clustered_vectors(10, kDim, 2, 0.3f, 4);
  std::vector<std::string> ids;
  for (size_t i = 0; i < 10; ++i) ids.push_back("d" + std::to_string(i));
  ShardServerOptions options;
  options.port = 0;
  options.token = "shard-secret";
  ShardServer server(std::shared_ptr<const VectorIndex>(flat(ids, x)), options);
  const int port = server.start();
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/shard/info")->status, 401);
  c.set_bearer_token_auth("shard-secret");
  EXPECT_EQ(c.Get("/shard/info")->status, 200);
  EXPECT_EQ(c.Post("/shard/search", "{", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/shard/search", R"({"k": 3, "vectors": [[1, 2]]})", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/shard/search", R"({"k": -1, "vectors": [[1]]})", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/shard/search", R"({"k": 3, "vectors": []})", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/shard/search", R"({"k": 3, "vecs": []})", "application/json")->status, 400);
  EXPECT_EQ(c.Get("/nope")->status, 404);
  nlohmann::json body = {{"k", 3}, {"vectors", {std::vector<float>(x.begin(), x.begin() + kDim)}}};
  auto ok = c.Post("/shard/search", body.dump(), "application/json");
  ASSERT_EQ(ok->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok->body)["hits"][0].size(), 3u);
  // The front with a wrong token gets a clear error.
  enable_remote_shards("wrong");
  try {
    TempDir dir("denser-remote-shards");
    write_sharded_manifest((dir.path / "m.idx").string(), {"http://127.0.0.1:" + std::to_string(port)});
    ADD_FAILURE() << "opened a shard with the wrong token";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("401"), std::string::npos) << e.what();
  }
  enable_remote_shards();
}

}  // namespace
}  // namespace denser
