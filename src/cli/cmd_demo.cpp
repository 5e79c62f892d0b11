// `denser demo`: the main job end to end on (a sample of) the Debian package collection.
// It builds the collection, the BM25 baseline, the pretrained all-MiniLM-L6-v2 zero-shot,
// then fine-tunes it with ANCE negatives (the refresh running beside training), indexes the
// corpus with the fine-tuned model, and prints every system's test scores, hybrid included,
// then how to search and serve.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "train_report.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/timer.h"
#include "denser/data/collection.h"
#include "denser/data/debian_packages.h"
#include "denser/data/readers.h"
#include "denser/encode/corpus_encoding.h"
#include "denser/encode/encoder.h"
#include "denser/eval/metrics.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/search/retriever.h"
#include "denser/sparse/bm25_index.h"
#include "denser/train/train.h"

namespace denser::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct DemoArgs {
  std::string out = "out/demo";
  std::string config;
  int steps = 0;
  uint64_t seed = 1;
  int threads = 0;
  size_t max_documents = 12000;
  size_t dev_queries = 1000, test_queries = 1000;
  bool fresh = false;
};

constexpr const char* kDemoModel = "all-MiniLM-L6-v2";

void banner(const std::string& text) {
  std::printf("\n== %s\n", text.c_str());
  std::fflush(stdout);
}

struct Scores {
  std::string system;
  EvalResult eval;
};

// MRR@10 is trec_eval's recip_rank over the top 10 of each ranking.
Run cut(const Run& run, size_t k) {
  Run out = run;
  for (auto& [q, entries] : out.results)
    if (entries.size() > k) entries.resize(k);
  return out;
}

void print_table(const std::vector<Scores>& rows, const std::vector<double>& mrr10) {
  std::printf("%-28s %8s %8s %8s %8s %8s\n", "system (test queries)", "MRR@10", "nDCG@10", "R@100", "R@1000", "MAP");
  for (size_t i = 0; i < rows.size(); ++i) {
    const EvalResult& e = rows[i].eval;
    auto v = [&](const char* name) { return e.all[static_cast<size_t>(e.index_of(name))]; };
    std::printf("%-28s %8.4f %8.4f %8.4f %8.4f %8.4f\n", rows[i].system.c_str(), mrr10[i], v("ndcg_cut_10"),
                v("recall_100"), v("recall_1000"), v("map"));
  }
}

// The demo's fine-tuning run, sized for the demo's budget on two cores: ANCE from the
// packaged all-MiniLM-L6-v2 (cosine similarity, temperature 0.05), bf16 autocast training
// and bf16 refreshes, BM25 negatives for the first 40 steps, then the refresher's, swapped
// in as they come (docs/benchmarks.md has the full-collection runs).
TrainOptions demo_training_options() {
  TrainOptions o;
  o.encoder = "transformer";
  o.init_model = kDemoModel;
  o.negatives = "ance";
  o.steps = 240;
  o.batch_size = 16;
  o.num_negatives = 1;
  o.warmup_negative_steps = 40;
  o.refresh_every = 60;
  o.checkpoint_every = 60;
  o.query_max_length = 32;
  o.doc_max_length = 128;
  o.train_precision = "bf16";
  o.refresh_precision = "bf16";
  o.log_every = 20;
  o.test_split = "test";
  return o;
}

// Encodes the collection's corpus with `encoder` (bf16 documents: within 0.0003 nDCG@10 of
// fp32, docs/benchmarks.md) into OUT_PREFIX.emb and an exact inner-product index, OUT_PREFIX.flat.
void build_dense_index(Encoder& encoder, const Collection& collection, const std::string& out_prefix, int threads) {
  const auto t = Clock::now();
  encoder.set_precision("bf16");
  auto reader = collection.documents();
  const std::string embeddings_path = out_prefix + ".emb", index_path = out_prefix + ".flat";
  EmbeddingsWriter writer(embeddings_path, static_cast<uint32_t>(encoder.dim()), EmbeddingDType::kF32,
                          encoder.fingerprint());
  const CorpusEncodeStats stats = encode_corpus(encoder, *reader, writer);
  writer.finish();
  encoder.set_precision("fp32");  // queries in full precision
  const Embeddings embeddings = Embeddings::open(embeddings_path);
  VectorIndexOptions index_options;
  index_options.dim = embeddings.dim();
  index_options.factory = "Flat";
  index_options.model_fingerprint = embeddings.header().model_fingerprint;
  auto index = VectorIndex::create(index_options);
  std::vector<float> vectors(embeddings.num_rows() * embeddings.dim());
  embeddings.rows(0, embeddings.num_rows(), vectors.data());
  index->add(embeddings.ids(), vectors, threads);
  index->save(index_path);
  std::printf("encoded %llu documents (%.0f docs/s, bf16) and indexed them into %s in %.1f s\n",
              static_cast<unsigned long long>(stats.documents), stats.docs_per_second, index_path.c_str(),
              seconds_since(t));
}

// The dense weight of linear fusion with the highest dev nDCG@10, from 0.1 .. 0.9.
std::pair<double, double> tune_alpha(Retriever& retriever, const Collection& collection, RetrievalOptions search) {
  const std::vector<Query> dev_queries = collection.queries("dev");
  const Qrels dev_qrels = collection.qrels("dev");
  const MeasureSet ndcg = MeasureSet::parse({"ndcg_cut.10"});
  double best_alpha = 0.5, best_dev = -1.0;
  for (int tenth = 1; tenth <= 9; ++tenth) {
    search.alpha = tenth / 10.0;
    search.k = 100;
    const double v = evaluate(dev_qrels, retrieve_run(retriever, dev_queries, search, "tune"), ndcg).all[0];
    if (v > best_dev) best_dev = v, best_alpha = search.alpha;
  }
  return {best_alpha, best_dev};
}

void print_step(std::string_view json_line) {
  print_train_event(json_line);
  const nlohmann::json j = nlohmann::json::parse(json_line, nullptr, false);
  if (!j.is_object() || j.value("event", "") != "step") return;
  std::printf("step %4lld  loss %.4f  %.1f queries/s  negatives: %s\n", static_cast<long long>(j.value("step", 0LL)),
              j.value("loss", 0.0), j.value("examples_per_s", 0.0), j.value("negatives", "").c_str());
  std::fflush(stdout);
}

// Where the demo writes each of its products, under --out.
struct DemoPaths {
  explicit DemoPaths(const std::string& out)
      : collection(out + "/debian-sample"),
        bm25(out + "/debian.bm25"),
        zero_shot(out + "/debian-zero-shot"),
        model(out + "/debian-ance"),
        index(model + ".flat") {}
  std::string collection, bm25, zero_shot, model, index;
};

// Step 1: the Debian collection, reused when a previous run made it with the same sizes.
void prepare_collection(const DemoArgs& args, const std::string& dir) {
  bool reuse = false;
  if (file_exists(dir + "/collection.json") && !args.fresh) {
    const auto meta = nlohmann::json::parse(read_file(dir + "/collection.json"), nullptr, false);
    // JSON comparisons: a damaged file with wrongly typed fields means "rebuild", not a crash.
    auto same = [&](const char* key, size_t value) {
      if (!meta.is_object()) return false;
      auto it = meta.find(key);
      return it != meta.end() && *it == value;
    };
    reuse = same("max_documents", args.max_documents) && same("num_dev", args.dev_queries) &&
            same("num_test", args.test_queries);
  }
  if (reuse) {
    std::printf("reusing %s (--fresh rebuilds it)\n", dir.c_str());
    return;
  }
  DebianPackagesOptions options;
  options.out_dir = dir;
  options.split.max_documents = args.max_documents;
  options.split.num_dev = args.dev_queries;
  options.split.num_test = args.test_queries;
  const DebianPackagesSummary s = make_debian_packages_collection(options);
  std::printf("wrote %s: %llu documents", dir.c_str(), static_cast<unsigned long long>(s.counts.num_documents));
  if (s.counts.num_documents != s.counts.num_documents_before_sampling)
    std::printf(
        " (a sample of the %llu: every document a dev or test query judges, then random ones;"
        " --max-documents 0 takes all)",
        static_cast<unsigned long long>(s.counts.num_documents_before_sampling));
  std::printf("\n%llu train / %llu dev / %llu test queries\n",
              static_cast<unsigned long long>(s.counts.num_queries.at("train")),
              static_cast<unsigned long long>(s.counts.num_queries.at("dev")),
              static_cast<unsigned long long>(s.counts.num_queries.at("test")));
}

// Step 2: the BM25 index of the corpus.
void build_bm25_index(const Collection& collection, const std::string& path, int threads) {
  Bm25BuildOptions options;
  options.num_threads = threads;
  Bm25IndexBuilder builder(options);
  auto reader = collection.documents();
  builder.add(*reader);
  builder.write(path);
  std::printf("indexed %llu documents into %s in %.1f s\n", static_cast<unsigned long long>(builder.stats().num_docs),
              path.c_str(), builder.stats().seconds);
}

// Step 3: the packaged model as it is, its index and its run on the test queries.
Run zero_shot_run(const Collection& collection, const std::vector<Query>& queries, const std::string& prefix,
                  const EncodeOptions& encode, int threads) {
  auto encoder = load_encoder(kDemoModel, encode);
  build_dense_index(*encoder, collection, prefix, threads);
  RetrieverParts parts;
  parts.encoder = std::move(encoder);
  parts.index = VectorIndex::open(prefix + ".flat");
  parts.threads = threads;
  Retriever retriever(std::move(parts));
  RetrievalOptions search;
  search.k = 1000;
  search.mode = RetrievalMode::kDense;
  return retrieve_run(retriever, queries, search, "zero-shot");
}

// Step 4: ANCE fine-tuning, always afresh.
void fine_tune(const DemoArgs& args, const DemoPaths& paths) {
  TrainOptions options = demo_training_options();
  if (!args.config.empty()) options.apply_json(read_file(args.config), args.config);
  options.collection = paths.collection;
  options.seed = args.seed;
  options.threads = args.threads;
  if (args.steps > 0) options.steps = args.steps;
  std::filesystem::remove_all(paths.model);
  TrainHooks hooks;
  hooks.on_log = print_step;
  const TrainSummary summary = train_dual_encoder(options, paths.model, false, hooks);
  print_train_summary(options, summary);
}

// Step 5's runs: BM25, the fine-tuned model, and their linear fusion with alpha tuned on dev.
struct FinalRuns {
  Run bm25, dense, hybrid;
  double alpha = 0, alpha_dev_ndcg = 0;
};

FinalRuns final_runs(const Collection& collection, const std::vector<Query>& queries, const DemoPaths& paths,
                     const EncodeOptions& encode, int threads) {
  auto encoder = load_encoder(paths.model, encode);
  build_dense_index(*encoder, collection, paths.model, threads);
  // Every run below goes through the Retriever that `denser search` and `denser serve` use.
  RetrieverParts parts;
  parts.encoder = std::move(encoder);
  parts.index = VectorIndex::open(paths.index);
  parts.bm25 = std::make_shared<const Bm25Index>(Bm25Index::open(paths.bm25));
  parts.threads = threads;
  Retriever retriever(std::move(parts));
  FinalRuns runs;
  RetrievalOptions search;
  search.k = 1000;
  search.mode = RetrievalMode::kBm25;
  runs.bm25 = retrieve_run(retriever, queries, search, "bm25");
  search.mode = RetrievalMode::kDense;
  runs.dense = retrieve_run(retriever, queries, search, "dense");
  // Hybrid: linear fusion, its dense weight chosen on the dev queries (never on test).
  search.mode = RetrievalMode::kHybrid;
  search.fusion = FusionMethod::kLinear;
  std::tie(runs.alpha, runs.alpha_dev_ndcg) = tune_alpha(retriever, collection, search);
  search.alpha = runs.alpha;
  runs.hybrid = retrieve_run(retriever, queries, search, "hybrid");
  return runs;
}

// Step 6: the table of test measures.
void print_evaluation(const Collection& collection, size_t num_queries, const Qrels& qrels, const Run& zero_shot,
                      const FinalRuns& runs) {
  const MeasureSet measures = MeasureSet::parse({"map", "ndcg_cut.10", "recall.100,1000"});
  const MeasureSet rr = MeasureSet::parse({"recip_rank"});
  char hybrid_name[64];
  std::snprintf(hybrid_name, sizeof hybrid_name, "hybrid BM25+ANCE (alpha %.1f)", runs.alpha);
  std::vector<Scores> rows{{"BM25 (Lucene parameters)", evaluate(qrels, runs.bm25, measures)},
                           {"MiniLM zero-shot", evaluate(qrels, zero_shot, measures)},
                           {"MiniLM + ANCE fine-tuning", evaluate(qrels, runs.dense, measures)},
                           {hybrid_name, evaluate(qrels, runs.hybrid, measures)}};
  std::vector<double> mrr10;
  for (const Run* run : std::initializer_list<const Run*>{&runs.bm25, &zero_shot, &runs.dense, &runs.hybrid})
    mrr10.push_back(evaluate(qrels, cut(*run, 10), rr).all[0]);
  std::printf("%zu test queries over %llu documents\n", num_queries,
              static_cast<unsigned long long>(collection.num_documents()));
  print_table(rows, mrr10);
  std::printf(
      "(hybrid: BM25 and dense scores min-max normalized and mixed; alpha, the dense weight, chosen on the\n"
      " dev queries: nDCG@10 %.4f there)\n",
      runs.alpha_dev_ndcg);
}

void print_next_steps(const DemoPaths& paths, double alpha) {
  const char* model = paths.model.c_str();
  const char* index = paths.index.c_str();
  const char* bm25 = paths.bm25.c_str();
  const char* collection = paths.collection.c_str();
  std::printf("  denser search --model %s --index %s --collection %s --query \"fast json parser for C++\"\n", model,
              index, collection);
  std::printf("  denser bm25 query --index %s --collection %s \"fast json parser for C++\"\n", bm25, collection);
  std::printf(
      "  denser search --model %s --index %s --bm25 %s --fusion linear --alpha %.1f --collection %s --query \"fast "
      "json parser for C++\"\n",
      model, index, bm25, alpha, collection);
  std::printf("  denser serve --model %s --index %s --bm25 %s --collection %s --train-log %s/training/log.jsonl\n",
              model, index, bm25, collection, model);
  std::printf("    (then open http://127.0.0.1:8080/ for the search page and the training curves)\n");
  std::printf("  training log (loss, refreshes, dev MRR@10): %s/training/log.jsonl\n", model);
}

void run_demo(const DemoArgs& args) {
  const auto start = Clock::now();
  const DemoPaths paths(args.out);
  std::filesystem::create_directories(args.out);

  banner("1/6 the Debian package collection (queries: package synopses; documents: long descriptions)");
  prepare_collection(args, paths.collection);
  const Collection collection = Collection::open(paths.collection);
  const std::vector<Query> test_queries = collection.queries("test");

  banner("2/6 BM25 baseline");
  build_bm25_index(collection, paths.bm25, args.threads);
  EncodeOptions encode;
  encode.num_threads = args.threads;

  banner(std::string("3/6 the pretrained ") + kDemoModel + ", zero-shot (no training)");
  const Run zero_shot = zero_shot_run(collection, test_queries, paths.zero_shot, encode, args.threads);

  banner("4/6 ANCE fine-tuning of it (BM25 warm-up negatives, then ANN negatives refreshed beside training)");
  fine_tune(args, paths);

  banner("5/6 dense index of the corpus with the fine-tuned model");
  const FinalRuns runs = final_runs(collection, test_queries, paths, encode, args.threads);

  banner("6/6 evaluation on the test queries (trec_eval measures)");
  print_evaluation(collection, test_queries.size(), collection.qrels("test"), zero_shot, runs);
  std::printf("\nDone in %.0f s. Search it yourself:\n", seconds_since(start));
  print_next_steps(paths, runs.alpha);
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The main job: Debian package collection, BM25, the pretrained MiniLM zero-shot, its ANCE fine-tuning, "
      "hybrid, evaluation table");
  cmd->add_option("--out", args->out, "Working directory")->capture_default_str();
  cmd->add_option("--config", args->config, "JSON training options applied over the demo's");
  cmd->add_option("--steps", args->steps, "Training steps (0: the demo's default)");
  cmd->add_option("--seed", args->seed, "Training seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--max-documents", args->max_documents,
                  "Documents in the demo's sample of the collection (0: all; every dev and test document is kept)")
      ->capture_default_str();
  cmd->add_option("--dev-queries", args->dev_queries, "Dev queries (model selection, hybrid's alpha)")
      ->capture_default_str();
  cmd->add_option("--test-queries", args->test_queries, "Test queries (the table)")->capture_default_str();
  cmd->add_flag("--fresh", args->fresh, "Rebuild the collection even when it exists");
  cmd->callback([args] { run_demo(*args); });
}

}  // namespace denser::cli
