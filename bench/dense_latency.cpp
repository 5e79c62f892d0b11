// End-to-end latency of dense retrieval for one query at a time on one thread: encode the
// query text with the model, then search the vector index. Reports p50 / p99 / mean over
// the judged queries of a collection split (after a few warm-up queries), for the whole
// and for each of the two stages. Prints one JSON object.
//   bench_dense_latency --model M --index IDX --collection DIR --split test --k 10
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/memory.h"
#include "denser/data/collection.h"
#include "denser/encode/encoder.h"
#include "denser/index/vector_index.h"
#include "encode/onednn_route.h"  // white-box: --route libtorch turns the fused route off

namespace {

struct Args {
  std::string model;
  std::string index;
  std::string collection;
  std::string split = "test";
  size_t k = 10;
  int ef_search = 0;
  int nprobe = 0;
  int max_length = 64;
  std::string precision = "fp32";
  size_t warmup = 5;
  std::string route = "fused";
};

// Nearest-rank percentile (p in (0, 100]) of milliseconds, plus the mean.
nlohmann::json summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(ms.size())));
    return ms[std::max<size_t>(rank, 1) - 1];
  };
  double sum = 0;
  for (double x : ms) sum += x;
  return {{"p50", pct(50)}, {"p99", pct(99)}, {"mean", sum / static_cast<double>(ms.size())}, {"max", ms.back()}};
}

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

nlohmann::json run(const Args& args) {
  denser::EncodeOptions options;
  options.num_threads = 1;
  options.batch_size = 1;
  options.query_max_length = args.max_length;
  options.precision = args.precision;
  const auto encoder = denser::load_encoder(args.model, options);
  const auto index = denser::VectorIndex::open(args.index);
  index->check_fingerprint(encoder->fingerprint());
  const std::vector<denser::Query> queries = denser::Collection::open(args.collection).queries(args.split);
  DENSER_CHECK(!queries.empty(), denser::ErrorCode::kNotFound, "no judged queries in split ", args.split, " of ",
               args.collection);
  const denser::VectorSearchParams params{args.ef_search, args.nprobe};
  std::vector<float> q(static_cast<size_t>(encoder->dim()));
  std::vector<double> total_ms, encode_ms, search_ms;
  for (size_t i = 0; i < args.warmup + queries.size(); ++i) {
    const std::string_view text = queries[i % queries.size()].text;
    const auto t0 = std::chrono::steady_clock::now();
    encoder->encode_queries(std::span(&text, 1), q);
    const auto t1 = std::chrono::steady_clock::now();
    const auto hits = index->search(1, q, args.k, params, 1);
    const auto t2 = std::chrono::steady_clock::now();
    DENSER_CHECK(!hits.hits[0].empty(), denser::ErrorCode::kInternal, "no hits for query ",
                 queries[i % queries.size()].id);
    if (i < args.warmup) continue;
    encode_ms.push_back(ms_between(t0, t1));
    search_ms.push_back(ms_between(t1, t2));
    total_ms.push_back(ms_between(t0, t2));
  }
  return {{"model", args.model},
          {"index", args.index},
          {"factory", index->factory()},
          {"num_vectors", index->num_vectors()},
          {"dim", index->dim()},
          {"collection", args.collection},
          {"split", args.split},
          {"num_queries", queries.size()},
          {"k", args.k},
          {"ef_search", args.ef_search},
          {"nprobe", args.nprobe},
          {"threads", 1},
          {"precision", args.precision},
          {"route", args.route},
          {"latency_ms", summary(total_ms)},
          {"encode_ms", summary(encode_ms)},
          {"search_ms", summary(search_ms)}};
}

}  // namespace

int main(int argc, char** argv) {
  bool tuned_malloc = denser::tune_allocator_for_tensors();
  (void)tuned_malloc;
  CLI::App app{"One-query, one-thread dense retrieval latency (encode + search); prints JSON"};
  Args args;
  app.add_option("--model", args.model, "Model directory that encoded the indexed corpus")->required();
  app.add_option("--index", args.index, "Vector index written by `denser index dense`")->required();
  app.add_option("--collection", args.collection, "Collection directory holding the queries")->required();
  app.add_option("--split", args.split, "Query split (queries judged in it)")->capture_default_str();
  app.add_option("--k", args.k, "Hits per query")->capture_default_str();
  app.add_option("--ef-search", args.ef_search, "HNSW candidate list size (0 = index default)")->capture_default_str();
  app.add_option("--nprobe", args.nprobe, "IVF lists visited (0 = index default)")->capture_default_str();
  app.add_option("--max-length", args.max_length, "Subword tokens per query")->capture_default_str();
  app.add_option("--precision", args.precision, "Query encoding: fp32 or bf16")->capture_default_str();
  app.add_option("--warmup", args.warmup, "Untimed queries run first")->capture_default_str();
  app.add_option("--route", args.route,
                 "fused (the default inference route for one query) or libtorch (the route before it)")
      ->check(CLI::IsMember({"fused", "libtorch"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  denser::encode_internal::set_use_fused(args.route == "fused");
  try {
    std::printf("%s\n", run(args).dump().c_str());
  } catch (const denser::Error& e) {
    std::fprintf(stderr, "bench_dense_latency: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
