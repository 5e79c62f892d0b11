#include "denser/index/sharded_index.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/io.h"

namespace denser {
namespace {

constexpr const char* kFormat = "denser-sharded-vector-index";

RemoteShardOpener& remote_opener() {
  static RemoteShardOpener opener;
  return opener;
}

class ShardedVectorIndex final : public VectorIndex {
 public:
  explicit ShardedVectorIndex(std::vector<std::unique_ptr<VectorIndex>> shards) : shards_(std::move(shards)) {
    DENSER_CHECK(!shards_.empty(), ErrorCode::kInvalidArgument, "a sharded index needs at least one shard");
    const VectorIndex& first = *shards_[0];
    uint64_t offset = 0;
    for (size_t s = 0; s < shards_.size(); ++s) {
      const VectorIndex& shard = *shards_[s];
      DENSER_CHECK(shard.dim() == first.dim(), ErrorCode::kInvalidArgument, "shard ", s, " holds dim ", shard.dim(),
                   ", shard 0 dim ", first.dim());
      DENSER_CHECK(shard.metric() == first.metric(), ErrorCode::kInvalidArgument, "shard ", s, " uses metric ",
                   vector_metric_name(shard.metric()), ", shard 0 ", vector_metric_name(first.metric()));
      DENSER_CHECK(shard.fingerprint() == first.fingerprint(), ErrorCode::kInvalidArgument, "shard ", s,
                   " was made by model ", shard.fingerprint(), ", shard 0 by ", first.fingerprint());
      offsets_.push_back(offset);
      offset += shard.num_vectors();
      ids_.insert(ids_.end(), shard.doc_ids().begin(), shard.doc_ids().end());
    }
    factory_ = first.factory();
  }

  bool needs_training() const override { return false; }
  void train(size_t, std::span<const float>, int) override {
    DENSER_THROW(ErrorCode::kUnsupported, "a sharded index is built shard by shard; it cannot be trained as a whole");
  }
  void add(std::span<const std::string>, std::span<const float>, int) override {
    DENSER_THROW(ErrorCode::kUnsupported, "a sharded index is built shard by shard; add vectors to a shard's index");
  }
  void save(const std::string&) const override {
    DENSER_THROW(ErrorCode::kUnsupported,
                 "a sharded index is saved as its shards plus a manifest (write_sharded_manifest)");
  }

  VectorSearchResults search(size_t nq, std::span<const float> q, size_t k, const VectorSearchParams& params,
                             int threads) const override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<VectorSearchResults> parts(shards_.size());
    // Fan out: each shard searches on its own thread; FAISS threads are split among them.
    const int per_shard = threads > 0 ? std::max(1, threads / static_cast<int>(shards_.size())) : 1;
    if (shards_.size() == 1) {
      parts[0] = shards_[0]->search(nq, q, k, params, threads);
    } else {
      std::vector<std::thread> workers;
      std::vector<std::exception_ptr> errors(shards_.size());
      for (size_t s = 0; s < shards_.size(); ++s) {
        workers.emplace_back([&, s] {
          try {
            parts[s] = shards_[s]->search(nq, q, k, params, per_shard);
          } catch (...) {
            errors[s] = std::current_exception();
          }
        });
      }
      for (auto& w : workers) w.join();
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    }
    // Merge: the best k of every shard's best k, by score then global row (as one index orders).
    VectorSearchResults out;
    out.hits.resize(nq);
    out.stats.num_queries = nq;
    for (size_t s = 0; s < shards_.size(); ++s) out.stats.distances_computed += parts[s].stats.distances_computed;
    for (size_t i = 0; i < nq; ++i) {
      std::vector<VectorHit>& merged = out.hits[i];
      for (size_t s = 0; s < shards_.size(); ++s) {
        for (VectorHit& hit : parts[s].hits[i]) {
          hit.row += offsets_[s];
          merged.push_back(std::move(hit));
        }
      }
      std::sort(merged.begin(), merged.end(), [](const VectorHit& a, const VectorHit& b) {
        return a.score != b.score ? a.score > b.score : a.row < b.row;
      });
      if (merged.size() > k) merged.resize(k);
    }
    out.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  uint64_t num_vectors() const override { return ids_.size(); }
  uint32_t dim() const override { return shards_[0]->dim(); }
  VectorMetric metric() const override { return shards_[0]->metric(); }
  const std::string& factory() const override { return factory_; }
  const std::string& fingerprint() const override { return shards_[0]->fingerprint(); }
  const std::vector<std::string>& doc_ids() const override { return ids_; }
  uint64_t memory_bytes() const override {
    uint64_t total = 0;
    for (const auto& s : shards_) total += s->memory_bytes();
    return total;
  }
  std::string describe() const override {
    std::string out = std::to_string(shards_.size()) + " shards:";
    for (size_t s = 0; s < shards_.size(); ++s)
      out += " [" + std::to_string(s) + ": " + std::to_string(shards_[s]->num_vectors()) + " vectors, " +
             shards_[s]->describe() + "]";
    return out;
  }

 private:
  std::vector<std::unique_ptr<VectorIndex>> shards_;
  std::vector<uint64_t> offsets_;
  std::vector<std::string> ids_;
  std::string factory_;
};

std::string resolve(const std::string& manifest_path, const std::string& shard) {
  std::filesystem::path p(shard);
  if (p.is_absolute()) return shard;
  return (std::filesystem::path(manifest_path).parent_path() / p).string();
}

}  // namespace

void set_remote_shard_opener(RemoteShardOpener opener) { remote_opener() = std::move(opener); }

bool is_sharded_manifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c))
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c == '{';
  return false;
}

std::unique_ptr<VectorIndex> make_sharded_index(std::vector<std::unique_ptr<VectorIndex>> shards) {
  return std::make_unique<ShardedVectorIndex>(std::move(shards));
}

std::unique_ptr<VectorIndex> open_sharded_index(const std::string& manifest_path) {
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(manifest_path));
  } catch (const nlohmann::json::exception& e) {
    DENSER_THROW(ErrorCode::kCorrupt, manifest_path, ": not a valid sharded-index manifest: ", e.what());
  }
  // Compared as JSON values: a wrongly typed field is a mismatch, not a JSON type error.
  DENSER_CHECK(m.is_object() && m.contains("format") && m["format"] == kFormat, ErrorCode::kCorrupt, manifest_path,
               ": not a sharded-index manifest (format \"", kFormat, "\" expected)");
  DENSER_CHECK(m.contains("version") && m["version"] == 1, ErrorCode::kCorrupt, manifest_path,
               ": unsupported manifest version");
  DENSER_CHECK(m.contains("shards") && m["shards"].is_array() && !m["shards"].empty(), ErrorCode::kCorrupt,
               manifest_path, ": \"shards\" must be a non-empty array");
  std::vector<std::unique_ptr<VectorIndex>> shards;
  for (size_t s = 0; s < m["shards"].size(); ++s) {
    const nlohmann::json& entry = m["shards"][s];
    const bool remote = entry.is_object() && entry.contains("url") && entry["url"].is_string();
    DENSER_CHECK(remote || (entry.is_object() && entry.contains("path") && entry["path"].is_string()),
                 ErrorCode::kCorrupt, manifest_path, ": shard ", s, " has neither a \"path\" nor a \"url\"");
    const std::string path =
        remote ? entry["url"].get<std::string>() : resolve(manifest_path, entry["path"].get<std::string>());
    DENSER_CHECK(remote || !is_sharded_manifest(path), ErrorCode::kUnsupported, manifest_path, ": shard ", s, " (",
                 path, ") is itself a manifest");
    DENSER_CHECK(!remote || remote_opener(), ErrorCode::kUnsupported, manifest_path, ": shard ", s, " is served at ",
                 path, ", and this program cannot reach remote shards");
    std::unique_ptr<VectorIndex> shard;
    try {
      shard = remote ? remote_opener()(path) : VectorIndex::open(path);
    } catch (const Error& e) {
      DENSER_THROW(e.code(), manifest_path, ": shard ", s, ": ", e.what());
    }
    if (entry.contains("vectors"))
      DENSER_CHECK(entry["vectors"].is_number_unsigned() && entry["vectors"].get<uint64_t>() == shard->num_vectors(),
                   ErrorCode::kCorrupt, manifest_path, ": shard ", s, " (", path, ") holds ", shard->num_vectors(),
                   " vectors, the manifest says ", entry["vectors"].dump());
    if (m.contains("model_fingerprint"))
      DENSER_CHECK(m["model_fingerprint"] == shard->fingerprint(), ErrorCode::kCorrupt, manifest_path, ": shard ", s,
                   " (", path, ") was made by model ", shard->fingerprint(), ", the manifest says ",
                   m["model_fingerprint"].dump());
    shards.push_back(std::move(shard));
  }
  try {
    return make_sharded_index(std::move(shards));
  } catch (const Error& e) {
    DENSER_THROW(ErrorCode::kCorrupt, manifest_path, ": ", e.what());
  }
}

uint64_t write_sharded_manifest(const std::string& manifest_path, const std::vector<std::string>& shard_paths) {
  DENSER_CHECK(!shard_paths.empty(), ErrorCode::kInvalidArgument, "a sharded index needs at least one shard");
  std::vector<std::unique_ptr<VectorIndex>> shards;
  nlohmann::json list = nlohmann::json::array();
  const std::filesystem::path base = std::filesystem::absolute(manifest_path).parent_path();
  for (const std::string& path : shard_paths) {
    const bool remote = path.rfind("http://", 0) == 0;
    DENSER_CHECK(!remote || remote_opener(), ErrorCode::kUnsupported, "shard ", path,
                 ": this program cannot reach remote shards");
    shards.push_back(remote ? remote_opener()(path) : VectorIndex::open(path));
    if (remote) {
      list.push_back({{"url", path}, {"vectors", shards.back()->num_vectors()}});
      continue;
    }
    std::filesystem::path rel = std::filesystem::absolute(path).lexically_relative(base);
    list.push_back({{"path", rel.empty() ? path : rel.string()}, {"vectors", shards.back()->num_vectors()}});
  }
  auto index = make_sharded_index(std::move(shards));
  nlohmann::json m = {{"format", kFormat},
                      {"version", 1},
                      {"dim", index->dim()},
                      {"metric", vector_metric_name(index->metric())},
                      {"factory", index->factory()},
                      {"model_fingerprint", index->fingerprint()},
                      {"vectors", index->num_vectors()},
                      {"shards", list}};
  write_file_atomic(manifest_path, m.dump(2) + "\n");
  return index->num_vectors();
}

}  // namespace denser
