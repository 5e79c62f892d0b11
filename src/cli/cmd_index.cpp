// `denser index dense` and `denser index info`: thin wrappers over the index module.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/progress.h"
#include "denser/index/embeddings.h"
#include "denser/index/sharded_index.h"
#include "denser/index/vector_index.h"
#include "denser/common/timer.h"

namespace denser::cli {
namespace {

constexpr uint64_t kAddBatchRows = 16384;

struct DenseArgs {
  std::string embeddings;
  std::string factory = "Flat";
  std::string out;
  std::string metric = "ip";
  uint64_t train_sample = 100000;
  int threads = 0;
  int shards = 1;
};

// Training rows: all of them when they fit the sample, else evenly spaced rows (a
// deterministic sample that covers the whole file, whatever order it was written in).
std::vector<float> training_sample(const Embeddings& emb, uint64_t sample, uint64_t& num_rows) {
  const uint64_t n = emb.num_rows();
  num_rows = std::min(n, sample);
  std::vector<float> x(num_rows * emb.dim());
  for (uint64_t i = 0; i < num_rows; ++i) {
    const uint64_t row = num_rows == n ? i : i * n / num_rows;
    emb.rows(row, row + 1, x.data() + i * emb.dim());
  }
  return x;
}

// Builds one index over rows [first, last) of the embeddings and saves it to `out`.
std::unique_ptr<VectorIndex> build_index(const DenseArgs& args, const Embeddings& emb, uint64_t first, uint64_t last,
                                         const std::string& out, const std::string& label) {
  VectorIndexOptions options;
  options.dim = emb.dim();
  options.factory = args.factory;
  options.metric = parse_vector_metric(args.metric);
  options.model_fingerprint = emb.header().model_fingerprint;
  std::unique_ptr<VectorIndex> index = VectorIndex::create(options);
  if (index->needs_training()) {
    DENSER_CHECK(args.train_sample > 0, ErrorCode::kInvalidArgument, "--train-sample must be positive: index '",
                 args.factory, "' needs training");
    // Every shard trains on the same sample of the whole file, so their quantizers agree.
    uint64_t n = 0;
    const std::vector<float> sample = training_sample(emb, args.train_sample, n);
    index->train(n, sample, args.threads);
  }
  auto progress = make_progress(label, last - first, "vectors");
  std::vector<float> batch;
  for (uint64_t begin = first; begin < last; begin += kAddBatchRows) {
    const uint64_t end = std::min(last, begin + kAddBatchRows);
    batch.resize((end - begin) * emb.dim());
    emb.rows(begin, end, batch.data());
    index->add(std::span(emb.ids()).subspan(begin, end - begin), batch, args.threads);
    progress->advance(end - begin);
  }
  progress->finish();
  index->save(out);
  return index;
}

void run_dense(const DenseArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const Embeddings emb = Embeddings::open(args.embeddings);
  const uint64_t total = emb.num_rows();
  DENSER_CHECK(args.shards >= 1 && static_cast<uint64_t>(args.shards) <= std::max<uint64_t>(total, 1),
               ErrorCode::kInvalidArgument, "--shards must lie in [1, ", total, "] (the number of vectors)");
  if (args.shards == 1) {
    auto index = build_index(args, emb, 0, total, args.out, "index");
    std::printf("indexed %llu vectors of dim %u with factory '%s' (%s) in %.2f s\n",
                static_cast<unsigned long long>(index->num_vectors()), index->dim(), index->factory().c_str(),
                vector_metric_name(index->metric()), seconds_since(start));
    std::printf("index %s: %llu bytes (FAISS index %llu bytes)\n", args.out.c_str(),
                static_cast<unsigned long long>(file_size(args.out)),
                static_cast<unsigned long long>(index->memory_bytes()));
    return;
  }
  std::vector<std::string> paths;
  for (int s = 0; s < args.shards; ++s) {
    const uint64_t first = total * static_cast<uint64_t>(s) / static_cast<uint64_t>(args.shards);
    const uint64_t last = total * static_cast<uint64_t>(s + 1) / static_cast<uint64_t>(args.shards);
    paths.push_back(args.out + ".shard-" + std::to_string(s));
    build_index(args, emb, first, last, paths.back(), "shard " + std::to_string(s));
  }
  const uint64_t n = write_sharded_manifest(args.out, paths);
  std::printf("indexed %llu vectors of dim %u with factory '%s' in %d shards in %.2f s\n",
              static_cast<unsigned long long>(n), emb.dim(), args.factory.c_str(), args.shards, seconds_since(start));
  std::printf("manifest %s; shards %s ... %s\n", args.out.c_str(), paths.front().c_str(), paths.back().c_str());
}

void register_dense(CLI::App& group) {
  auto args = std::make_shared<DenseArgs>();
  CLI::App* cmd = group.add_subcommand("dense", "Build a FAISS vector index from an embeddings file");
  cmd->add_option("--embeddings", args->embeddings, "Embeddings file written by `denser encode`")->required();
  cmd->add_option("--factory", args->factory,
                  "FAISS index_factory string: Flat (exact), HNSW32, IVF1024,PQ32, IVF256,Flat, ...")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Index file to write (replaced atomically)")->required();
  cmd->add_option("--metric", args->metric, "Similarity: ip (inner product) or cosine")
      ->check(CLI::IsMember({"ip", "cosine"}))
      ->capture_default_str();
  cmd->add_option("--train-sample", args->train_sample,
                  "Vectors used to train indexes that need it (IVF, PQ), evenly spaced over the file")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "OpenMP threads for training and adding (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--shards", args->shards,
                  "Split the vectors into this many shard indexes (OUT.shard-N) under a manifest OUT")
      ->capture_default_str();
  cmd->callback([args] { run_dense(*args); });
}

void register_shards(CLI::App& group) {
  auto out = std::make_shared<std::string>();
  auto shards = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = group.add_subcommand(
      "shards", "Write a sharded-index manifest over vector indexes built separately (in the order given)");
  cmd->add_option("--out", *out, "Manifest file to write (replaced atomically)")->required();
  cmd->add_option("shard", *shards, "Shard index files, or http://host:port of `denser serve-shard`, in order")
      ->required();
  cmd->callback([out, shards] {
    const uint64_t n = write_sharded_manifest(*out, *shards);
    std::printf("manifest %s: %zu shards, %llu vectors\n", out->c_str(), shards->size(),
                static_cast<unsigned long long>(n));
  });
}

void register_info(CLI::App& group) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand("info", "Describe a vector index file (validates its checksum)");
  cmd->add_option("--index", *path, "Vector index file written by `denser index dense`")->required();
  cmd->callback([path] {
    const std::unique_ptr<VectorIndex> index = VectorIndex::open(*path);
    std::printf("index:       %s (%llu bytes)\n", path->c_str(), static_cast<unsigned long long>(file_size(*path)));
    std::printf("vectors:     %llu\n", static_cast<unsigned long long>(index->num_vectors()));
    std::printf("dim:         %u\n", index->dim());
    std::printf("metric:      %s\n", vector_metric_name(index->metric()));
    std::printf("factory:     %s\n", index->factory().c_str());
    std::printf("structure:   %s\n", index->describe().c_str());
    std::printf("model:       %s\n", index->fingerprint().c_str());
    std::printf("FAISS bytes: %llu\n", static_cast<unsigned long long>(index->memory_bytes()));
  });
}

}  // namespace

void register_index_commands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("index", "Build and inspect dense vector indexes");
  group->require_subcommand(1);
  register_dense(*group);
  register_shards(*group);
  register_info(*group);
}

}  // namespace denser::cli
