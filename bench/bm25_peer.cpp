// bench_bm25_peer: denser's side of the BM25 peers benchmark (bench/peers/run.sh).
//
// Measures what the peers' scripts measure, in the same JSON schema (bench/peers/README.md):
// index build from the collection's files (reading and parsing included, as Lucene's
// IndexCollection reads its JSON) on 1 and on all threads, index bytes, queries/s at k = 10
// and k = 1000 on 1 and all threads (median of --repeat timed passes after one warm-up),
// per-query latency p50/p99 on one thread, and a TREC run at k = 1000. The timed region of
// a query covers analysis, search and producing (doc id, score) pairs.
//
// Every algorithm is measured: "auto" (the default, what a user gets), "pruned" and
// "exhaustive"; all three must give identical lists. --crossover also times every query
// alone with both algorithms at several k and records each query's total postings, the data
// behind the auto rule (docs/benchmarks.md, "Choosing the algorithm from k").
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/parallel.h"
#include "denser/common/timer.h"
#include "denser/common/version.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/eval/metrics.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"
#include "denser/text/analyzer.h"
#include "bench_common.h"

namespace denser::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Args {
  std::string collection;
  std::string name;
  std::string out_dir;
  std::string split = "test";
  int threads = 0;
  int repeat = 5;
  std::vector<size_t> ks{10, 1000};
  bool crossover = false;
  std::string work;
};

void progress(const std::string& message) { std::fprintf(stderr, "[bench_bm25_peer] %s\n", message.c_str()); }

Bm25Algorithm parse_algorithm(const std::string& name) {
  if (name == "pruned") return Bm25Algorithm::kPruned;
  if (name == "exhaustive") return Bm25Algorithm::kExhaustive;
  return Bm25Algorithm::kAuto;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The q-quantile (nearest rank) of v.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// One query, timed: search plus the external ids of the hits.
void search_one(const Bm25Index& index, const std::string& text, const Bm25SearchOptions& options,
                std::vector<RunEntry>& list) {
  const Bm25SearchResult result = index.search(text, options);
  list.clear();
  list.reserve(result.hits.size());
  for (const Bm25Hit& hit : result.hits) list.push_back({std::string(index.doc_id(hit.doc)), hit.score});
}

/// One pass over every query on `threads` threads; returns its wall seconds. With one
/// thread, also each query's own seconds.
double search_pass(const Bm25Index& index, const std::vector<std::string>& texts, const Bm25SearchOptions& options,
                   int threads, Lists& lists, std::vector<double>* latencies) {
  lists.resize(texts.size());
  const auto start = std::chrono::steady_clock::now();
  if (threads == 1) {
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      search_one(index, texts[i], options, lists[i]);
      if (latencies != nullptr) latencies->push_back(seconds_since(t0));
    }
  } else {
    parallel_for(texts.size(), threads, 4, [&](size_t begin, size_t end, int) {
      for (size_t i = begin; i < end; ++i) search_one(index, texts[i], options, lists[i]);
    });
  }
  return seconds_since(start);
}

/// Reads the collection's files and builds the index, as `denser bm25 index` does.
double build(const std::string& collection_dir, int threads, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  const Collection collection = Collection::open(collection_dir);
  Bm25BuildOptions options;
  options.num_threads = threads;
  Bm25IndexBuilder builder(options);
  auto reader = collection.documents();
  builder.add(*reader);
  builder.write(path);
  return seconds_since(start);
}

/// Per query and k: total postings of its terms, and its time alone with each algorithm
/// (the fastest of three).
Json crossover(const Bm25Index& index, const std::vector<std::string>& texts) {
  const Bm25Analyzer analyzer(index.analyzer_options());
  Json rows = Json::array();
  std::vector<RunEntry> list;
  for (size_t k : {size_t{10}, size_t{100}, size_t{1000}}) {
    progress(str("crossover: k = ", k));
    for (const std::string& text : texts) {
      uint64_t postings = 0;
      for (const std::string& term : analyzer.analyze(text)) postings += index.doc_freq(term);
      Json row{{"k", k}, {"postings", postings}};
      for (Bm25Algorithm algorithm : {Bm25Algorithm::kPruned, Bm25Algorithm::kExhaustive}) {
        Bm25SearchOptions options;
        options.k = k;
        options.algorithm = algorithm;
        double best = 1e30;
        for (int r = 0; r < 3; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          search_one(index, text, options, list);
          best = std::min(best, seconds_since(t0));
        }
        row[algorithm == Bm25Algorithm::kPruned ? "pruned_s" : "exhaustive_s"] = best;
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

int run_main(const Args& args) {
  DENSER_CHECK(args.repeat >= 1, ErrorCode::kInvalidArgument, "--repeat must be at least 1, got ", args.repeat);
  const int threads_all = args.threads > 0 ? args.threads : default_num_threads();
  std::vector<int> thread_counts{1};
  if (threads_all > 1) thread_counts.push_back(threads_all);
  fs::create_directories(args.out_dir);
  const std::string work = args.work.empty() ? args.out_dir : args.work;
  fs::create_directories(work);
  const std::string index_path = (fs::path(work) / ("denser-" + args.name + ".bm25")).string();

  const CpuTimes cpu_start = CpuTimes::now();
  const auto wall_start = std::chrono::steady_clock::now();
  Json out;
  out["engine"] = "denser";
  out["version"] = str("denser ", kVersion);
  out["collection"] = args.name;
  out["machine"] = Json{{"cpu_model", cpu_model()},
                        {"logical_cores", std::thread::hardware_concurrency()},
                        {"date_utc", utc_now()},
                        {"load_average_start", load_average()}};

  const Collection collection = Collection::open(args.collection);
  const std::vector<Query> queries = collection.queries(args.split);
  const Qrels qrels = collection.qrels(args.split);
  std::vector<std::string> texts;
  for (const Query& q : queries) texts.push_back(q.text);

  for (int threads : thread_counts) {
    progress(str("building with ", threads, " thread(s)"));
    out["build_seconds"][std::to_string(threads)] = build(args.collection, threads, index_path);
  }
  const Bm25Index index = Bm25Index::open(index_path);
  out["docs"] = index.num_docs();
  out["queries"] = queries.size();
  out["index_bytes"] = index.size_bytes();

  Json search = Json::array();
  Lists reference, lists;
  std::string run_path;
  for (size_t k : args.ks) {
    bool have_reference = false;
    for (const char* algorithm : {"auto", "pruned", "exhaustive"}) {
      Bm25SearchOptions options;
      options.k = k;
      options.algorithm = parse_algorithm(algorithm);
      for (int threads : thread_counts) {
        progress(str("k = ", k, ", ", algorithm, ", ", threads, " thread(s)"));
        search_pass(index, texts, options, threads, lists, nullptr);  // warm-up
        if (!have_reference) {
          reference = lists;
          have_reference = true;
        }
        DENSER_CHECK(same_lists(lists, reference), ErrorCode::kInternal, "the ", algorithm,
                     " algorithm gave other results at k = ", k);
        std::vector<double> seconds, latencies;
        for (int r = 0; r < args.repeat; ++r)
          seconds.push_back(search_pass(index, texts, options, threads, lists, threads == 1 ? &latencies : nullptr));
        Json entry{{"k", k},
                   {"threads", threads},
                   {"algorithm", algorithm},
                   {"qps", static_cast<double>(texts.size()) / median(seconds)}};
        if (threads == 1) {
          entry["p50_ms"] = 1e3 * quantile(latencies, 0.5);
          entry["p99_ms"] = 1e3 * quantile(latencies, 0.99);
        }
        search.push_back(std::move(entry));
      }
    }
    if (k == args.ks.back()) {
      Run run;
      run.tag = "denser";
      for (size_t i = 0; i < queries.size(); ++i) run.results[queries[i].id] = reference[i];
      run_path = (fs::path(args.out_dir) / ("denser-" + args.name + ".run")).string();
      write_trec_run(run_path, run);
      static const MeasureSet measures = MeasureSet::parse({"ndcg_cut.10"});
      const EvalResult result = evaluate(qrels, run, measures);
      out["ndcg10"] = result.all.at(static_cast<size_t>(result.index_of("ndcg_cut_10")));
    }
  }
  out["search"] = std::move(search);
  out["run"] = run_path;
  out["notes"] =
      "Lucene's EnglishAnalyzer reimplemented (StandardTokenizer, possessive filter, lowercase, 33 stopwords, "
      "Porter); k1 0.9, b 0.4, Lucene's one-byte lengths; build reads the BEIR files; 'auto' picks the "
      "algorithm per query";
  if (args.crossover) out["crossover"] = crossover(index, texts);
  const CpuTimes cpu_end = CpuTimes::now();
  out["machine"]["wall_seconds"] = seconds_since(wall_start);
  out["machine"]["other_processes_cpu_seconds"] = cpu_end.others_since(cpu_start);
  out["machine"]["load_average_end"] = load_average();
  const std::string json_path = (fs::path(args.out_dir) / ("denser-" + args.name + ".json")).string();
  write_file_atomic(json_path, out.dump(2) + "\n");
  progress("wrote " + json_path);
  if (args.work.empty()) fs::remove(index_path);
  return 0;
}

}  // namespace
}  // namespace denser::bench

int main(int argc, char** argv) {
  denser::bench::Args args;
  CLI::App app{"denser's BM25 in the peers benchmark: build, bytes, queries/s, latency, nDCG@10 (JSON)"};
  app.add_option("--collection", args.collection, "Collection directory (BEIR, MS MARCO or SMART layout)")->required();
  app.add_option("--name", args.name, "Collection name in the JSON and file names")->required();
  app.add_option("--out-dir", args.out_dir, "Where denser-NAME.json and denser-NAME.run go")->required();
  app.add_option("--split", args.split, "Query split")->capture_default_str();
  app.add_option("--threads", args.threads, "Threads of the multi-thread runs (0 = all cores)")->capture_default_str();
  app.add_option("--repeat", args.repeat, "Timed passes per configuration, after one warm-up")->capture_default_str();
  app.add_option("--k", args.ks, "Depths to measure; the run file is written at the last")->capture_default_str();
  app.add_option("--work", args.work, "Keep the index here (default: in --out-dir, removed at the end)");
  app.add_flag("--crossover", args.crossover, "Also time each query alone with both algorithms at k 10/100/1000");
  CLI11_PARSE(app, argc, argv);
  try {
    return denser::bench::run_main(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bm25_peer: error: %s\n", e.what());
    return 1;
  }
}
