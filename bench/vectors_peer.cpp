// bench_vectors_peer: denser's side of the vector-search peers benchmark (bench/peers/run.sh).
//
//   search  Flat and HNSW indexes through denser's VectorIndex over an embeddings file, the
//           same measures and JSON schema as bench/peers/py_vectors.py (FAISS from Python,
//           hnswlib, usearch): build seconds on --threads-build threads, index bytes, resident
//           memory growth, and for each efSearch of a sweep recall@10 against exact search
//           and queries/s on one thread (all queries in one call, median of --repeat timed
//           calls after a warm-up). The timed call returns hits with their string doc ids.
//   jitter  A larger corpus from a real one, reproducibly: the original rows first, then
//           rows drawn at random from them plus Gaussian noise, each rescaled to its
//           original's length. Real query vectors keep their meaning against it, and the
//           neighbourhood structure stays that of real embeddings (synthetic clusters in 384
//           dimensions make HNSW look either trivial or hopeless).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/timer.h"
#include "denser/common/version.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "bench_common.h"
#include "index/hnsw_search.h"  // --faiss-hnsw-search: FAISS's own HNSW search, for comparison

namespace denser::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

void progress(const std::string& message) { std::fprintf(stderr, "[bench_vectors_peer] %s\n", message.c_str()); }

/// Resident set size of this process in bytes (/proc/self/status VmRSS).
uint64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<float> all_rows(const Embeddings& e) {
  std::vector<float> x(e.num_rows() * e.dim());
  e.rows(0, e.num_rows(), x.data());
  return x;
}

struct SearchArgs {
  std::string docs, queries, name, out_dir;
  std::vector<std::string> factories{"Flat", "HNSW32"};
  std::vector<int> efs{16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
  size_t k = 10;
  int threads_build = 2;
  int repeat = 5;
  bool faiss_hnsw_search = false;
};

int run_search(const SearchArgs& args) {
  const CpuTimes cpu_start = CpuTimes::now();
  const Embeddings docs = Embeddings::open(args.docs);
  const Embeddings queries = Embeddings::open(args.queries);
  DENSER_CHECK(docs.dim() == queries.dim(), ErrorCode::kInvalidArgument, "the documents have dimension ", docs.dim(),
               " but the queries ", queries.dim());
  const uint32_t dim = docs.dim();
  const size_t nq = queries.num_rows();
  const std::vector<float> q = all_rows(queries);
  Json out;
  out["engine"] = "denser";
  out["version"] = str("denser ", kVersion, " (FAISS inside)");
  out["collection"] = args.name;
  out["vectors"] = docs.num_rows();
  out["dim"] = dim;
  out["queries"] = nq;
  out["machine"] = Json{{"cpu_model", cpu_model()}, {"date_utc", utc_now()}, {"load_average_start", load_average()}};

  // The exact answer, for recall: an exact index over the same rows.
  progress("exact top-k");
  VectorSearchResults exact;
  {
    auto flat = VectorIndex::create({dim, "Flat", VectorMetric::kInnerProduct, "bench"});
    flat->add(docs.ids(), std::span<const float>(docs.f32_data(), docs.num_rows() * dim), args.threads_build);
    exact = flat->search(nq, q, args.k, {}, args.threads_build);
  }
  Json indexes = Json::array();
  for (const std::string& factory : args.factories) {
    progress("building " + factory);
    const uint64_t rss_before = rss_bytes();
    const auto start = std::chrono::steady_clock::now();
    auto index = VectorIndex::create({dim, factory, VectorMetric::kInnerProduct, "bench"});
    DENSER_CHECK(!index->needs_training(), ErrorCode::kInvalidArgument, factory,
                 " needs training: only Flat and HNSW are compared");
    // The float32 rows straight from the memory map, as `denser index dense` adds them.
    index->add(docs.ids(), std::span<const float>(docs.f32_data(), docs.num_rows() * dim), args.threads_build);
    Json entry{{"index", factory},
               {"build_seconds", seconds_since(start)},
               {"index_bytes", index->memory_bytes()},
               {"rss_growth_bytes", rss_bytes() - std::min(rss_before, rss_bytes())}};
    const bool hnsw = index->describe().find("HNSW") != std::string::npos;
    // With --faiss-hnsw-search, an HNSW index is swept twice: denser's search of the graph
    // (the default route), then FAISS's own HNSW::search on the same graph.
    for (const bool own : hnsw&& args.faiss_hnsw_search ? std::vector<bool>{true, false} : std::vector<bool>{true}) {
      detail::set_own_hnsw_search(own);
      Json sweep = Json::array();
      for (int ef : hnsw ? args.efs : std::vector<int>{0}) {
        VectorSearchParams params;
        params.ef_search = ef;
        VectorSearchResults res = index->search(nq, q, args.k, params, 1);  // warm-up
        const double recall = recall_at_k(res, exact, args.k);
        std::vector<double> seconds;
        for (int r = 0; r < args.repeat; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          res = index->search(nq, q, args.k, params, 1);
          seconds.push_back(seconds_since(t0));
        }
        const double qps = static_cast<double>(nq) / median(seconds);
        progress(str(factory, own ? "" : " (FAISS's search)", " ef ", ef, ": recall@", args.k, " ", recall, ", ", qps,
                     " queries/s"));
        sweep.push_back(Json{{"ef", hnsw ? Json(ef) : Json(nullptr)}, {"recall10", recall}, {"qps", qps}});
        if (recall >= 0.999) break;
      }
      Json copy = entry;
      if (!own) copy["index"] = factory + " (FAISS's HNSW search)";
      copy["sweep"] = std::move(sweep);
      indexes.push_back(std::move(copy));
    }
    detail::set_own_hnsw_search(true);
  }
  out["indexes"] = std::move(indexes);
  out["machine"]["other_processes_cpu_seconds"] = CpuTimes::now().others_since(cpu_start);
  out["machine"]["load_average_end"] = load_average();
  fs::create_directories(args.out_dir);
  const std::string path = (fs::path(args.out_dir) / ("denser-vectors-" + args.name + ".json")).string();
  write_file_atomic(path, out.dump(2) + "\n");
  progress("wrote " + path);
  return 0;
}

struct JitterArgs {
  std::string from, out;
  size_t n = 1000000;
  float noise = 0.5f;
  uint64_t seed = 17;
};

int run_jitter(const JitterArgs& args) {
  const Embeddings base = Embeddings::open(args.from);
  const uint32_t dim = base.dim();
  const size_t r = base.num_rows();
  DENSER_CHECK(r > 0 && args.n >= r, ErrorCode::kInvalidArgument, "--n (", args.n, ") must be at least the ", r,
               " rows of ", args.from);
  const std::vector<float> x = all_rows(base);
  // Noise per coordinate relative to a row's typical coordinate: noise * |row| / sqrt(dim).
  std::mt19937_64 rng(args.seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_int_distribution<size_t> pick(0, r - 1);
  EmbeddingsWriter writer(args.out, dim, EmbeddingDType::kF32, base.header().model_fingerprint);
  const size_t chunk = 4096;
  std::vector<float> rows;
  std::vector<std::string> ids;
  for (size_t begin = 0; begin < args.n; begin += chunk) {
    const size_t end = std::min(args.n, begin + chunk);
    rows.assign((end - begin) * dim, 0.0f);
    ids.clear();
    for (size_t i = begin; i < end; ++i) {
      float* row = rows.data() + (i - begin) * dim;
      if (i < r) {
        std::copy_n(x.data() + i * dim, dim, row);
        ids.push_back(base.id(i));
        continue;
      }
      const size_t src = pick(rng);
      const float* from = x.data() + src * dim;
      double norm = 0.0;
      for (uint32_t d = 0; d < dim; ++d) norm += static_cast<double>(from[d]) * from[d];
      norm = std::sqrt(norm);
      const float scale = static_cast<float>(args.noise * norm / std::sqrt(static_cast<double>(dim)));
      double new_norm = 0.0;
      for (uint32_t d = 0; d < dim; ++d) {
        row[d] = from[d] + scale * gauss(rng);
        new_norm += static_cast<double>(row[d]) * row[d];
      }
      const float rescale = new_norm > 0 ? static_cast<float>(norm / std::sqrt(new_norm)) : 0.0f;
      for (uint32_t d = 0; d < dim; ++d) row[d] *= rescale;
      ids.push_back(str("jitter-", i, "-of-", base.id(src)));
    }
    writer.append(ids, rows);
  }
  writer.finish();
  progress(str("wrote ", args.n, " rows (", r, " original) to ", args.out));
  return 0;
}

}  // namespace
}  // namespace denser::bench

int main(int argc, char** argv) {
  using namespace denser::bench;
  SearchArgs search;
  JitterArgs jitter;
  CLI::App app{"denser's vector search in the peers benchmark, and a reproducible larger corpus from a real one"};
  app.require_subcommand(1);
  CLI::App* s = app.add_subcommand("search", "Flat and HNSW through VectorIndex: build, bytes, recall, queries/s");
  s->add_option("--docs", search.docs, "Embeddings file of the corpus")->required();
  s->add_option("--queries", search.queries, "Embeddings file of the queries")->required();
  s->add_option("--name", search.name, "Name in the JSON and file name")->required();
  s->add_option("--out-dir", search.out_dir, "Where denser-vectors-NAME.json goes")->required();
  s->add_option("--factories", search.factories, "FAISS factory strings")->capture_default_str();
  s->add_option("--ef", search.efs, "efSearch values of the HNSW sweep")->capture_default_str();
  s->add_option("--k", search.k, "Depth of recall")->capture_default_str();
  s->add_option("--threads-build", search.threads_build, "Build threads")->capture_default_str();
  s->add_option("--repeat", search.repeat, "Timed calls per setting")->capture_default_str();
  s->add_flag("--faiss-hnsw-search", search.faiss_hnsw_search,
              "Also sweep HNSW indexes with FAISS's own HNSW search (denser searches the graph itself)");
  CLI::App* j = app.add_subcommand("jitter", "A larger corpus: the rows of --from plus jittered copies");
  j->add_option("--from", jitter.from, "Embeddings file of a real corpus")->required();
  j->add_option("--out", jitter.out, "Embeddings file to write")->required();
  j->add_option("--n", jitter.n, "Rows in all")->capture_default_str();
  j->add_option("--noise", jitter.noise, "Noise length relative to the row's length")->capture_default_str();
  j->add_option("--seed", jitter.seed, "Random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return s->parsed() ? run_search(search) : run_jitter(jitter);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_vectors_peer: error: %s\n", e.what());
    return 1;
  }
}
