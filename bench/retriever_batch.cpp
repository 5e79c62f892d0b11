// Batch retrieval through the library's Retriever, timed per batch: the C++ side of the
// Python overhead benchmark (bench/python_overhead.sh runs bench/python/retriever_batch.py,
// the same calls through the `denser` package, beside it). Queries of a split in batches
// of --batch, --repeats passes over them after one untimed pass; prints one JSON object
// with the median and mean milliseconds per batch.
//   bench_retriever_batch --collection DIR --bm25 IDX [--model M --index IDX] --mode bm25
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/data/collection.h"
#include "denser/encode/encoder.h"
#include "denser/index/vector_index.h"
#include "denser/search/retriever.h"
#include "denser/sparse/bm25_index.h"

namespace {

struct Args {
  std::string collection, split = "test", model, index, bm25, mode = "bm25";
  size_t batch = 100, k = 10;
  int repeats = 5, threads = 1;
};

nlohmann::json run(const Args& args) {
  denser::RetrieverParts parts;
  parts.threads = args.threads;
  if (!args.model.empty()) {
    denser::EncodeOptions options;
    options.num_threads = args.threads;
    parts.encoder = denser::load_encoder(args.model, options);
    parts.index = denser::VectorIndex::open(args.index);
  }
  if (!args.bm25.empty()) parts.bm25 = std::make_shared<const denser::Bm25Index>(denser::Bm25Index::open(args.bm25));
  denser::Retriever retriever(std::move(parts));
  std::vector<std::string> texts;
  for (const denser::Query& q : denser::Collection::open(args.collection).queries(args.split)) texts.push_back(q.text);
  DENSER_CHECK(texts.size() >= args.batch, denser::ErrorCode::kInvalidArgument, "split ", args.split, " has ",
               texts.size(), " queries, fewer than one batch of ", args.batch);
  denser::RetrievalOptions options;
  options.mode = denser::parse_retrieval_mode(args.mode);
  options.k = args.k;
  std::vector<double> ms;
  size_t hits = 0;
  for (int pass = 0; pass <= args.repeats; ++pass) {
    for (size_t start = 0; start + args.batch <= texts.size(); start += args.batch) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto results = retriever.search(std::span(texts.data() + start, args.batch), options);
      const auto t1 = std::chrono::steady_clock::now();
      if (pass == 0) continue;  // warm-up
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      for (const auto& r : results) hits += r.hits.size();
    }
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double x : ms) sum += x;
  return {{"side", "c++"},
          {"mode", args.mode},
          {"batch", args.batch},
          {"k", args.k},
          {"batches", ms.size()},
          {"hits", hits},
          {"median_ms", ms[ms.size() / 2]},
          {"mean_ms", sum / static_cast<double>(ms.size())}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Batch retrieval through denser::Retriever, ms per batch"};
  Args args;
  app.add_option("--collection", args.collection, "Collection directory holding the queries")->required();
  app.add_option("--split", args.split, "Query split")->capture_default_str();
  app.add_option("--model", args.model, "Model directory (dense side)");
  app.add_option("--index", args.index, "Vector index (dense side)");
  app.add_option("--bm25", args.bm25, "BM25 index");
  app.add_option("--mode", args.mode, "dense, bm25 or hybrid")->capture_default_str();
  app.add_option("--batch", args.batch, "Queries per search call")->capture_default_str();
  app.add_option("--k", args.k, "Hits per query")->capture_default_str();
  app.add_option("--repeats", args.repeats, "Timed passes over the queries")->capture_default_str();
  app.add_option("--threads", args.threads, "Encoder and FAISS threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    std::puts(run(args).dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_retriever_batch: %s\n", e.what());
    return 1;
  }
  return 0;
}
