#pragma once
// Shards served by other processes: ShardServer answers vector searches over one index
// (`denser serve-shard`), and enable_remote_shards() lets a manifest name such a shard by
// URL, so that a front (`denser serve` or `denser search` with the manifest as --index)
// fans out over the network and merges exactly, as it does over local shard files.
//
//   GET  /health        {"status": "ok", "vectors"}
//   GET  /shard/info    {"dim", "metric", "factory", "model_fingerprint", "vectors"}
//   GET  /shard/ids     ["doc id", ...] in row order
//   POST /shard/search  {"k", "vectors": [[float]], "ef_search", "nprobe"}
//                       -> {"hits": [[{"id", "score", "row"}]]}
#include <memory>
#include <string>

#include "denser/index/vector_index.h"

namespace denser {

struct ShardServerOptions {
  std::string host = "127.0.0.1";
  int port = 9001;  // 0: any free port
  int http_threads = 4;
  std::string token;  // when set, every route but /health needs "Authorization: Bearer <token>"
  size_t max_body_bytes = 64 * 1024 * 1024;
  size_t max_k = 10000;
  size_t max_batch = 1024;
};

class ShardServer {
 public:
  ShardServer(std::shared_ptr<const VectorIndex> index, ShardServerOptions options);
  ~ShardServer();
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;
  int bind();
  void serve();
  int start();  // bind() and serve() on a background thread; returns the port
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Registers the HTTP opener for {"url": ...} shards in manifests. token: sent as a bearer
/// token to every shard (empty: $DENSER_SHARD_TOKEN, if set). timeout_s: per request.
void enable_remote_shards(const std::string& token = "", int timeout_s = 30);

}  // namespace denser
