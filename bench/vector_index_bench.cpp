// Vector index benchmark: build time, recall@10 against exact Flat search, single-thread
// queries/s and serialized size of FAISS indexes on synthetic clustered vectors.
// Prints one JSON object per factory, one per line.
//   bench_vector_index --n 20000 --dim 64 --factories "HNSW32;IVF256,PQ16" --ef-search 64
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/index/vector_index.h"
#include "denser/common/timer.h"

namespace {

using denser::seconds_since;

struct Args {
  size_t n = 20000;
  uint32_t dim = 64;
  size_t num_queries = 1000;
  size_t num_clusters = 100;
  float noise = 0.6f;
  size_t k = 10;
  size_t train_sample = 20000;
  std::string factories = "Flat;HNSW32;IVF256,Flat;IVF256,PQ16";
  int ef_search = 64;
  int nprobe = 16;
  int threads = 0;
  uint64_t seed = 2024;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) out.push_back(part);
  return out;
}

int run(const Args& args) {
  using denser::VectorIndex;
  const std::vector<float> all =
      denser::make_clustered_vectors(args.n + args.num_queries, args.dim, args.num_clusters, args.noise, args.seed);
  const std::span<const float> base(all.data(), args.n * args.dim);
  const std::span<const float> queries(all.data() + args.n * args.dim, args.num_queries * args.dim);
  std::vector<std::string> ids;
  for (size_t i = 0; i < args.n; ++i) ids.push_back(denser::str("d", i));

  auto flat = VectorIndex::create({args.dim, "Flat", denser::VectorMetric::kInnerProduct, "bench"});
  flat->add(ids, base, args.threads);
  const denser::VectorSearchResults exact = flat->search(args.num_queries, queries, args.k, {}, args.threads);

  for (const std::string& factory : split(args.factories, ';')) {
    const auto start = std::chrono::steady_clock::now();
    auto index = VectorIndex::create({args.dim, factory, denser::VectorMetric::kInnerProduct, "bench"});
    const size_t train_n = std::min(args.train_sample, args.n);
    index->train(train_n, base.subspan(0, train_n * args.dim), args.threads);
    index->add(ids, base, args.threads);
    const double build_s = seconds_since(start);
    denser::VectorSearchParams params;
    const std::string d = index->describe();
    if (d.find("HNSW") != std::string::npos) params.ef_search = args.ef_search;
    if (d.find("IVF") != std::string::npos) params.nprobe = args.nprobe;
    const denser::VectorSearchResults res = index->search(args.num_queries, queries, args.k, params, 1);
    nlohmann::json out = {
        {"n", args.n},
        {"dim", args.dim},
        {"factory", factory},
        {"ef_search", params.ef_search},
        {"nprobe", params.nprobe},
        {"build_s", build_s},
        {"build_threads", args.threads},
        {"recall_at_10_vs_flat", denser::recall_at_k(res, exact, args.k)},
        {"qps_1_thread", static_cast<double>(args.num_queries) / res.stats.seconds},
        {"distances_per_query", static_cast<double>(res.stats.distances_computed) / args.num_queries},
        {"memory_bytes", index->memory_bytes()},
        {"flat_memory_bytes", flat->memory_bytes()},
    };
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Vector index benchmark: recall@10 vs Flat, queries/s, memory (JSON lines)");
  Args args;
  app.add_option("--n", args.n, "Base vectors")->capture_default_str();
  app.add_option("--dim", args.dim, "Dimension")->capture_default_str();
  app.add_option("--queries", args.num_queries, "Query vectors")->capture_default_str();
  app.add_option("--clusters", args.num_clusters, "Clusters in the synthetic data")->capture_default_str();
  app.add_option("--noise", args.noise, "Gaussian noise around cluster centres")->capture_default_str();
  app.add_option("--k", args.k, "Depth of the recall")->capture_default_str();
  app.add_option("--train-sample", args.train_sample, "Training vectors for IVF/PQ")->capture_default_str();
  app.add_option("--factories", args.factories, "FAISS factory strings separated by ';'")->capture_default_str();
  app.add_option("--ef-search", args.ef_search, "HNSW efSearch")->capture_default_str();
  app.add_option("--nprobe", args.nprobe, "IVF nprobe")->capture_default_str();
  app.add_option("--threads", args.threads, "Build threads (0 = all cores); search uses 1")->capture_default_str();
  app.add_option("--seed", args.seed, "Data seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(args);
  } catch (const denser::Error& e) {
    std::fprintf(stderr, "bench_vector_index: error: %s\n", e.what());
    return 1;
  }
}
