#pragma once
// A dense index split into shards: each shard is an ordinary vector index file, built on
// its own (possibly from its own slice of the corpus, on another machine), and a small
// JSON manifest lists them in order. VectorIndex::open() opens a manifest like any index:
// search fans out over the shards and merges their top-k exactly (score, then global row),
// so a sharded Flat index ranks exactly as one Flat index over the same vectors.
//
// Manifest (docs/formats/sharded-index.md):
//   {"format": "denser-sharded-vector-index", "version": 1, "dim": D, "metric": "ip",
//    "factory": "Flat", "model_fingerprint": "...", "vectors": N,
//    "shards": [{"path": "x.shard-0", "vectors": n0}, ...]}
// Shard paths are relative to the manifest's directory (or absolute). A shard may instead be
// {"url": "http://host:port"}: a shard served by another process (`denser serve-shard`),
// opened through the opener the serve module registers (enable_remote_shards()).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "denser/index/vector_index.h"

namespace denser {

/// Whether `path` holds a sharded-index manifest (it starts with '{') rather than an index.
bool is_sharded_manifest(const std::string& path);

/// Opens the manifest and every shard; checks that the shards agree with the manifest and
/// with each other (dim, metric, model fingerprint, vector counts). Throws an Error naming
/// the manifest and the shard at fault.
std::unique_ptr<VectorIndex> open_sharded_index(const std::string& manifest_path);

/// Writes a manifest over existing shard files (in the given order), after opening each
/// to check it. Atomic. Returns the total vector count.
uint64_t write_sharded_manifest(const std::string& manifest_path, const std::vector<std::string>& shard_paths);

/// Opens a shard given by URL in a manifest. Registered by the serve module, which has the
/// HTTP client; without one, a URL shard is an error.
using RemoteShardOpener = std::function<std::unique_ptr<VectorIndex>(const std::string& url)>;
void set_remote_shard_opener(RemoteShardOpener opener);

/// An in-memory sharded index over already opened shards (tests, and the manifest reader).
std::unique_ptr<VectorIndex> make_sharded_index(std::vector<std::unique_ptr<VectorIndex>> shards);

}  // namespace denser
