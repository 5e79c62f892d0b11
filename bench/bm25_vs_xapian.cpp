// bench_bm25_vs_xapian: denser's BM25 against Xapian's, side by side on one collection.
//
// Both engines index the same in-memory documents and run the same queries with the same k
// and thread counts. Timed search regions cover query analysis, search, and producing the
// (doc id, score) lists: Xapian's get_mset plus reading each hit's document data; denser's
// search_batch plus mapping internal numbers to ids. Each configuration is run once untimed
// (warm page cache), then `--repeat` times, alternating engines so that load from other
// processes falls on both alike. Prints one JSON object (stdout, and --out); progress goes
// to stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/parallel.h"
#include "denser/common/version.h"
#include "denser/data/collection.h"
#include "denser/eval/metrics.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"
#include "bench_common.h"
#include "xapian_bm25.h"
#include "denser/common/timer.h"

namespace denser::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Args {
  std::string collection;
  std::string split = "test";
  size_t k = 1000;
  int threads = 0;
  int repeat = 3;
  std::string work;
  std::string out;
  std::string algorithm = "auto";
};

void progress(const std::string& message) { std::fprintf(stderr, "[bench] %s\n", message.c_str()); }

// ---- machine facts --------------------------------------------------------------------

Json machine_json(int threads_all) {
  return Json{{"cpu_model", cpu_model()},
              {"logical_cores", std::thread::hardware_concurrency()},
              {"threads_all", threads_all},
              {"date_utc", utc_now()},
              {"load_average_start", load_average()},
              {"compiler", __VERSION__},
              {"denser_version", kVersion},
              {"xapian_version", XapianBm25::version()}};
}

// ---- search -----------------------------------------------------------------------------

/// Timed: search_batch, then the ids of the hits (spread over the same threads).
double denser_search(const Bm25Index& index, const std::vector<std::string>& texts, const Bm25SearchOptions& options,
                     int threads, Lists& lists, Bm25SearchStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Bm25SearchResult> results = index.search_batch(texts, options, threads);
  lists.assign(results.size(), {});
  parallel_for(results.size(), threads, 16, [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) {
      lists[i].reserve(results[i].hits.size());
      for (const Bm25Hit& hit : results[i].hits) lists[i].push_back({std::string(index.doc_id(hit.doc)), hit.score});
    }
  });
  const double seconds = seconds_since(start);
  if (stats != nullptr) {
    *stats = {};
    for (const Bm25SearchResult& r : results) stats->add(r.stats);
  }
  return seconds;
}

/// Timed inside XapianBm25::search; the conversion to RunEntry afterwards is not.
double xapian_search(const XapianBm25& xapian, const std::vector<Query>& queries, size_t k, int threads, Lists& lists) {
  std::vector<std::vector<XapianHit>> hits;
  const double seconds = xapian.search(queries, static_cast<int>(k), threads, hits);
  lists.assign(hits.size(), {});
  for (size_t i = 0; i < hits.size(); ++i) {
    lists[i].reserve(hits[i].size());
    for (XapianHit& hit : hits[i]) lists[i].push_back({std::move(hit.doc_id), hit.score});
  }
  return seconds;
}

/// Wall times of the repeated runs of one engine at one thread count.
struct Samples {
  std::vector<double> seconds;

  Json to_json(size_t num_queries) const {
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    const double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    const double q = static_cast<double>(num_queries);
    return Json{{"qps_best", q / sorted.front()}, {"qps_median", q / median}, {"seconds", seconds}};
  }
};

// ---- effectiveness ----------------------------------------------------------------------

Run to_run(const std::vector<Query>& queries, const Lists& lists, const std::string& tag) {
  Run run;
  run.tag = tag;
  for (size_t i = 0; i < queries.size(); ++i) run.results[queries[i].id] = lists[i];
  return run;
}

/// MRR@10: 1/rank of the first relevant document within the top 10 (0 when none), averaged
/// over the queries evaluate() evaluates (in both run and qrels, neither empty), with
/// trec_eval's ordering and relevance (grade >= 1). The eval module's recip_rank has no
/// cutoff, as trec_eval's has none.
double mrr_at_10(const Qrels& qrels, const Run& run) {
  double sum = 0.0;
  size_t count = 0;
  for (const auto& [qid, entries] : run.results) {
    const auto judged = qrels.judgments.find(qid);
    if (entries.empty() || judged == qrels.judgments.end() || judged->second.empty()) continue;
    const RankedJudgments ranked = rank_judgments(qid, judged->second, entries);
    ++count;
    for (size_t i = 0; i < ranked.rels.size() && i < 10; ++i) {
      if (ranked.rels[i] >= 1) {
        sum += 1.0 / static_cast<double>(i + 1);
        break;
      }
    }
  }
  return count == 0 ? 0.0 : sum / static_cast<double>(count);
}

Json metrics_json(const Qrels& qrels, const Run& run) {
  static const MeasureSet measures = MeasureSet::parse({"num_q", "map", "recip_rank", "recall.1000", "ndcg_cut.10"});
  const EvalResult result = evaluate(qrels, run, measures);
  auto value = [&](const char* name) { return result.all.at(static_cast<size_t>(result.index_of(name))); };
  return Json{{"num_q", static_cast<int64_t>(value("num_q"))},
              {"ndcg_cut_10", value("ndcg_cut_10")},
              {"mrr_10", mrr_at_10(qrels, run)},
              {"recip_rank", value("recip_rank")},
              {"recall_1000", value("recall_1000")},
              {"map", value("map")}};
}

double mean_list_length(const Lists& lists) {
  size_t total = 0;
  for (const auto& list : lists) total += list.size();
  return lists.empty() ? 0.0 : static_cast<double>(total) / static_cast<double>(lists.size());
}

/// Mean over queries of |top10(a) ∩ top10(b)| / max(|top10(a)|, |top10(b)|) (1 when both
/// are empty): how alike the two engines rank, independent of judgments.
double top10_overlap(const Lists& a, const Lists& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t na = std::min<size_t>(10, a[i].size()), nb = std::min<size_t>(10, b[i].size());
    if (na == 0 && nb == 0) {
      sum += 1.0;
      continue;
    }
    std::unordered_set<std::string> ids;
    for (size_t j = 0; j < na; ++j) ids.insert(a[i][j].doc_id);
    size_t common = 0;
    for (size_t j = 0; j < nb; ++j) common += ids.count(b[i][j].doc_id);
    sum += static_cast<double>(common) / static_cast<double>(std::max(na, nb));
  }
  return a.empty() ? 0.0 : sum / static_cast<double>(a.size());
}

// ---- the benchmark ----------------------------------------------------------------------

struct Workload {
  std::string name;
  Collection collection;
  std::vector<Document> docs;
  std::vector<Query> queries;
  std::vector<std::string> texts;  // queries[i].text
  Qrels qrels;
  uint64_t text_bytes = 0;
};

std::string collection_name(const std::string& dir) {
  fs::path path = fs::path(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

Workload load_workload(const Args& args) {
  Workload w{collection_name(args.collection), Collection::open(args.collection), {}, {}, {}, {}, 0};
  // Queries first: a wrong split fails before the corpus is read.
  w.queries = w.collection.queries(args.split);
  for (const Query& q : w.queries) w.texts.push_back(q.text);
  progress("reading the corpus of " + args.collection);
  auto reader = w.collection.documents();
  Document doc;
  while (reader->next(doc)) {
    w.text_bytes += doc.title.size() + doc.text.size();
    w.docs.push_back(std::move(doc));
  }
  w.qrels = w.collection.qrels(args.split);
  progress(str(w.docs.size(), " documents, ", w.queries.size(), " queries (split ", args.split, ")"));
  return w;
}

/// Builds and writes denser's index with each thread count; opens the last one as a user
/// would (checksum verified). Fills the "denser" engine's build fields.
Bm25Index build_denser(const Workload& w, const std::vector<int>& thread_counts, const std::string& path,
                       Json& engine) {
  for (int threads : thread_counts) {
    progress(str("denser: building with ", threads, " thread(s)"));
    Bm25BuildOptions options;
    options.num_threads = threads;
    const auto start = std::chrono::steady_clock::now();
    Bm25IndexBuilder builder(options);
    builder.add(w.docs);
    builder.write(path);
    engine["build_seconds"][threads == 1 ? "threads_1" : "threads_all"] = seconds_since(start);
  }
  const auto start = std::chrono::steady_clock::now();
  Bm25Index index = Bm25Index::open(path);
  engine["open_seconds"] = seconds_since(start);
  engine["index_bytes"] = file_size(path);
  engine["num_terms"] = index.num_terms();
  engine["num_postings"] = index.num_postings();
  return index;
}

XapianBm25 build_xapian(const Workload& w, const std::string& path, Json& engine) {
  progress("xapian: building (single-threaded)");
  engine["build_seconds"]["threads_1"] = XapianBm25::build(w.docs, path);
  const DirSize size = dir_size(path);
  engine["index_bytes"] = size.bytes;
  engine["index_disk_bytes"] = size.disk_bytes;
  return XapianBm25(path);
}

struct Engines {
  const Bm25Index& denser;
  const XapianBm25& xapian;
  Bm25SearchOptions options;
};

/// Warm-up, then `repeat` alternating timed runs per thread count. Every run must give the
/// same lists as the warm-up (threads do not change results). Returns the lists.
std::pair<Lists, Lists> run_searches(const Workload& w, const Engines& e, const std::vector<int>& thread_counts,
                                     int repeat, Json& denser_json, Json& xapian_json) {
  const int threads_all = thread_counts.back();
  progress("warm-up: one untimed pass per engine");
  Lists denser_lists, xapian_lists, lists;
  Bm25SearchStats stats;
  denser_search(e.denser, w.texts, e.options, threads_all, denser_lists, &stats);
  xapian_search(e.xapian, w.queries, e.options.k, threads_all, xapian_lists);
  for (int threads : thread_counts) {
    Samples denser_samples, xapian_samples;
    for (int r = 0; r < repeat; ++r) {
      progress(str("search with ", threads, " thread(s), run ", r + 1, "/", repeat));
      denser_samples.seconds.push_back(denser_search(e.denser, w.texts, e.options, threads, lists, nullptr));
      DENSER_CHECK(same_lists(lists, denser_lists), ErrorCode::kInternal,
                   "denser gave different results on a repeated run");
      xapian_samples.seconds.push_back(xapian_search(e.xapian, w.queries, e.options.k, threads, lists));
      DENSER_CHECK(same_lists(lists, xapian_lists), ErrorCode::kInternal,
                   "xapian gave different results on a repeated run");
    }
    const char* key = threads == 1 ? "threads_1" : "threads_all";
    denser_json["search"][key] = denser_samples.to_json(w.queries.size());
    xapian_json["search"][key] = xapian_samples.to_json(w.queries.size());
  }
  const double n = w.queries.empty() ? 1.0 : static_cast<double>(w.queries.size());
  denser_json["per_query"] = Json{{"docs_scored", static_cast<double>(stats.docs_scored) / n},
                                  {"postings_decoded", static_cast<double>(stats.postings_decoded) / n},
                                  {"blocks_skipped", static_cast<double>(stats.blocks_skipped) / n}};
  return {std::move(denser_lists), std::move(xapian_lists)};
}

double ratio(const Json& a, const Json& b) {
  const double den = b.get<double>();
  return den > 0 ? a.get<double>() / den : 0.0;
}

Json ratios_json(const Json& d, const Json& x, bool has_all) {
  Json r;
  r["qps_threads_1_best"] = ratio(d["search"]["threads_1"]["qps_best"], x["search"]["threads_1"]["qps_best"]);
  r["qps_threads_1_median"] = ratio(d["search"]["threads_1"]["qps_median"], x["search"]["threads_1"]["qps_median"]);
  const char* all = has_all ? "threads_all" : "threads_1";
  r["qps_threads_all_best"] = ratio(d["search"][all]["qps_best"], x["search"][all]["qps_best"]);
  r["qps_threads_all_median"] = ratio(d["search"][all]["qps_median"], x["search"][all]["qps_median"]);
  // Xapian builds single-threaded only; compare it with both of denser's builds.
  r["build_threads_1_xapian_over_denser"] = ratio(x["build_seconds"]["threads_1"], d["build_seconds"]["threads_1"]);
  r["build_threads_all_xapian_over_denser"] = ratio(x["build_seconds"]["threads_1"], d["build_seconds"][all]);
  r["index_bytes_denser_over_xapian"] = ratio(d["index_bytes"], x["index_bytes"]);
  return r;
}

Json run_benchmark(const Args& args, const std::string& work) {
  const int threads_all = args.threads > 0 ? args.threads : default_num_threads();
  std::vector<int> thread_counts{1};
  if (threads_all > 1) thread_counts.push_back(threads_all);
  const CpuTimes cpu_start = CpuTimes::now();
  const auto wall_start = std::chrono::steady_clock::now();
  Json out;
  out["machine"] = machine_json(threads_all);
  out["config"] = Json{{"split", args.split},
                       {"k", args.k},
                       {"threads", thread_counts},
                       {"repeat", args.repeat},
                       {"algorithm", args.algorithm}};
  const Workload w = load_workload(args);
  out["collection"] = Json{{"name", w.name},
                           {"dir", args.collection},
                           {"layout", layout_name(w.collection.layout())},
                           {"num_docs", w.docs.size()},
                           {"text_bytes", w.text_bytes},
                           {"num_queries", w.queries.size()},
                           {"num_judgments", w.qrels.num_judgments()}};
  Json d, x;
  const Bm25Index index = build_denser(w, thread_counts, (fs::path(work) / "denser.bm25").string(), d);
  const XapianBm25 xapian = build_xapian(w, (fs::path(work) / "xapian").string(), x);
  Engines engines{index, xapian, {}};
  engines.options.k = args.k;
  engines.options.algorithm = args.algorithm == "exhaustive" ? Bm25Algorithm::kExhaustive
                              : args.algorithm == "pruned"   ? Bm25Algorithm::kPruned
                                                             : Bm25Algorithm::kAuto;
  auto [denser_lists, xapian_lists] = run_searches(w, engines, thread_counts, args.repeat, d, x);
  progress("evaluating");
  d["mean_hits_per_query"] = mean_list_length(denser_lists);
  x["mean_hits_per_query"] = mean_list_length(xapian_lists);
  d["metrics"] = metrics_json(w.qrels, to_run(w.queries, denser_lists, "denser"));
  x["metrics"] = metrics_json(w.qrels, to_run(w.queries, xapian_lists, "xapian"));
  out["engines"] = Json{{"denser", d}, {"xapian", x}};
  out["ratios"] = ratios_json(d, x, threads_all > 1);
  out["ratios"]["top10_overlap"] = top10_overlap(denser_lists, xapian_lists);
  out["machine"]["load_average_end"] = load_average();
  const CpuTimes cpu_end = CpuTimes::now();
  out["machine"]["wall_seconds"] = seconds_since(wall_start);
  out["machine"]["own_cpu_seconds"] = cpu_end.self - cpu_start.self;
  out["machine"]["other_processes_cpu_seconds"] = cpu_end.others_since(cpu_start);
  out["machine"]["steal_cpu_seconds"] = cpu_end.steal - cpu_start.steal;
  return out;
}

/// --work, or a fresh directory under the system's temporary directory (removed at exit).
std::string make_work_dir(const Args& args, bool& remove_after) {
  remove_after = args.work.empty();
  if (!remove_after) {
    fs::create_directories(args.work);
    return args.work;
  }
  std::string templ = (fs::temp_directory_path() / "bench-bm25-XXXXXX").string();
  DENSER_CHECK(::mkdtemp(templ.data()) != nullptr, ErrorCode::kUnavailable, "cannot create a temporary directory ",
               templ);
  return templ;
}

int run_main(const Args& args) {
  DENSER_CHECK(args.repeat >= 1, ErrorCode::kInvalidArgument, "--repeat must be at least 1, got ", args.repeat);
  DENSER_CHECK(args.k >= 1, ErrorCode::kInvalidArgument, "--k must be at least 1");
  DENSER_CHECK(args.threads >= 0, ErrorCode::kInvalidArgument, "--threads must be >= 0, got ", args.threads);
  bool remove_after = false;
  const std::string work = make_work_dir(args, remove_after);
  Json out;
  try {
    out = run_benchmark(args, work);
  } catch (...) {
    if (remove_after) fs::remove_all(work);
    throw;
  }
  if (remove_after) fs::remove_all(work);
  const std::string text = out.dump(2) + "\n";
  std::fputs(text.c_str(), stdout);
  if (!args.out.empty()) write_file_atomic(args.out, text);
  return 0;
}

}  // namespace
}  // namespace denser::bench

int main(int argc, char** argv) {
  denser::bench::Args args;
  CLI::App app{
      "BM25 benchmark: denser against Xapian (build time, index size, queries/s, effectiveness); "
      "prints JSON"};
  app.add_option("--collection", args.collection, "Collection directory (BEIR, MS MARCO or SMART layout)")->required();
  app.add_option("--split", args.split, "Query split to run and evaluate")->capture_default_str();
  app.add_option("--k", args.k, "Results per query, for both engines")->capture_default_str();
  app.add_option("--threads", args.threads, "Threads of the all-threads runs and build (0 = all cores)")
      ->capture_default_str();
  app.add_option("--repeat", args.repeat, "Timed runs per engine and thread count (after one warm-up)")
      ->capture_default_str();
  app.add_option("--work", args.work, "Directory for the indexes (kept); default: a temporary one, removed");
  app.add_option("--out", args.out, "Also write the JSON to this file");
  app.add_option("--algorithm", args.algorithm,
                 "denser's query evaluation: auto, pruned (block-max MaxScore) or exhaustive")
      ->check(CLI::IsMember({"auto", "pruned", "exhaustive"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return denser::bench::run_main(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bm25_vs_xapian: error: %s\n", e.what());
    return 1;
  }
}
