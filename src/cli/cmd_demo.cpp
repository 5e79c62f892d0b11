// `denser demo`: the main job end to end on the Debian package collection. It builds the
// collection, the BM25 baseline, trains a dense retriever with ANCE negatives (the refresh
// running beside training), indexes the corpus with the trained model, and prints both
// systems' scores on the test queries, then how to search.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/train_report.h"
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
  bool fresh = false;
};

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

// The demo's training run: sized to finish within the demo's 15-minute budget on two
// cores (docs/benchmarks.md has the measured curve behind these numbers).
TrainOptions demo_training_options() {
  TrainOptions o = TrainOptions::preset_defaults("ngram", "small");
  o.steps = 10000;
  o.refresh_every = 1000;
  o.checkpoint_every = 2000;
  o.batch_size = 64;
  o.log_every = 100;
  o.test_split = "test";
  return o;
}

void run_demo(const DemoArgs& args) {
  const auto start = Clock::now();
  const std::string collection_dir = args.out + "/debian";
  const std::string bm25_path = args.out + "/debian.bm25";
  const std::string model_dir = args.out + "/debian-ance";
  const std::string index_path = args.out + "/debian-ance.flat";
  std::filesystem::create_directories(args.out);

  banner("1/5 the Debian package collection (queries: package synopses; documents: long descriptions)");
  if (file_exists(collection_dir + "/collection.json") && !args.fresh) {
    std::printf("reusing %s (--fresh rebuilds it)\n", collection_dir.c_str());
  } else {
    DebianPackagesOptions options;
    options.out_dir = collection_dir;
    const DebianPackagesSummary s = make_debian_packages_collection(options);
    std::printf("wrote %s: %llu documents, %llu train / %llu dev / %llu test queries\n", collection_dir.c_str(),
                static_cast<unsigned long long>(s.counts.num_documents),
                static_cast<unsigned long long>(s.counts.num_queries.at("train")),
                static_cast<unsigned long long>(s.counts.num_queries.at("dev")),
                static_cast<unsigned long long>(s.counts.num_queries.at("test")));
  }
  const Collection collection = Collection::open(collection_dir);
  const std::vector<Query> test_queries = collection.queries("test");
  const Qrels test_qrels = collection.qrels("test");

  banner("2/5 BM25 baseline");
  {
    Bm25BuildOptions options;
    options.num_threads = args.threads;
    Bm25IndexBuilder builder(options);
    auto reader = collection.documents();
    builder.add(*reader);
    builder.write(bm25_path);
    std::printf("indexed %llu documents into %s in %.1f s\n",
                static_cast<unsigned long long>(builder.stats().num_docs), bm25_path.c_str(), builder.stats().seconds);
  }

  banner("3/5 ANCE training (n-gram dual encoder; BM25 warm-up negatives, then ANN negatives refreshed beside training)");
  TrainOptions options = demo_training_options();
  if (!args.config.empty()) options.apply_json(read_file(args.config), args.config);
  options.collection = collection_dir;
  options.seed = args.seed;
  options.threads = args.threads;
  if (args.steps > 0) options.steps = args.steps;
  std::filesystem::remove_all(model_dir);  // the demo always trains afresh
  TrainHooks hooks;
  hooks.on_log = print_train_event;
  const TrainSummary summary = train_dual_encoder(options, model_dir, false, hooks);
  print_train_summary(options, summary);

  banner("4/5 dense index of the corpus with the trained model");
  EncodeOptions encode;
  encode.num_threads = args.threads;
  auto encoder = load_encoder(model_dir, encode);
  {
    const auto t = Clock::now();
    auto reader = collection.documents();
    const std::string embeddings_path = args.out + "/debian-ance.emb";
    EmbeddingsWriter writer(embeddings_path, static_cast<uint32_t>(encoder->dim()), EmbeddingDType::kF32,
                            encoder->fingerprint());
    const CorpusEncodeStats stats = encode_corpus(*encoder, *reader, writer);
    writer.finish();
    const Embeddings embeddings = Embeddings::open(embeddings_path);
    VectorIndexOptions index_options;
    index_options.dim = embeddings.dim();
    index_options.factory = "Flat";
    index_options.model_fingerprint = embeddings.header().model_fingerprint;
    auto index = VectorIndex::create(index_options);
    std::vector<float> vectors(embeddings.num_rows() * embeddings.dim());
    embeddings.rows(0, embeddings.num_rows(), vectors.data());
    index->add(embeddings.ids(), vectors, args.threads);
    index->save(index_path);
    std::printf("encoded %llu documents (%.0f docs/s) and indexed them into %s in %.1f s\n",
                static_cast<unsigned long long>(stats.documents), stats.docs_per_second, index_path.c_str(),
                seconds_since(t));
  }
  // Every run below goes through the Retriever that `denser search` and `denser serve` use.
  RetrieverParts parts;
  parts.encoder = std::move(encoder);
  parts.index = VectorIndex::open(index_path);
  parts.bm25 = std::make_shared<const Bm25Index>(Bm25Index::open(bm25_path));
  parts.threads = args.threads;
  Retriever retriever(std::move(parts));
  RetrievalOptions search;
  search.k = 1000;
  search.mode = RetrievalMode::kBm25;
  const Run bm25 = retrieve_run(retriever, test_queries, search, "bm25");
  search.mode = RetrievalMode::kDense;
  const Run dense = retrieve_run(retriever, test_queries, search, "dense");
  // Hybrid: linear fusion, its dense weight chosen on the dev queries (never on test).
  search.mode = RetrievalMode::kHybrid;
  search.fusion = FusionMethod::kLinear;
  const std::vector<Query> dev_queries = collection.queries("dev");
  const Qrels dev_qrels = collection.qrels("dev");
  const MeasureSet ndcg = MeasureSet::parse({"ndcg_cut.10"});
  double best_alpha = 0.5, best_dev = -1.0;
  for (int tenth = 1; tenth <= 9; ++tenth) {
    RetrievalOptions tune = search;
    tune.alpha = tenth / 10.0;
    tune.k = 100;
    const double v = evaluate(dev_qrels, retrieve_run(retriever, dev_queries, tune, "tune"), ndcg).all[0];
    if (v > best_dev) best_dev = v, best_alpha = tune.alpha;
  }
  search.alpha = best_alpha;
  const Run hybrid = retrieve_run(retriever, test_queries, search, "hybrid");

  banner("5/5 evaluation on the test queries (trec_eval measures)");
  const MeasureSet measures = MeasureSet::parse({"map", "ndcg_cut.10", "recall.100,1000"});
  const MeasureSet rr = MeasureSet::parse({"recip_rank"});
  char hybrid_name[64];
  std::snprintf(hybrid_name, sizeof hybrid_name, "hybrid (linear, alpha %.1f)", best_alpha);
  std::vector<Scores> rows{{"BM25 (Lucene parameters)", evaluate(test_qrels, bm25, measures)},
                           {"dense ANCE (" + options.encoder + ")", evaluate(test_qrels, dense, measures)},
                           {hybrid_name, evaluate(test_qrels, hybrid, measures)}};
  std::vector<double> mrr10;
  for (const Run* run : {&bm25, &dense, &hybrid}) mrr10.push_back(evaluate(test_qrels, cut(*run, 10), rr).all[0]);
  print_table(rows, mrr10);
  std::printf("(hybrid: BM25 and dense scores min-max normalized and mixed; alpha, the dense weight, chosen on the\n"
              " dev queries: nDCG@10 %.4f there)\n", best_dev);
  std::printf("\nDone in %.0f s. Search it yourself:\n", seconds_since(start));
  std::printf("  denser search --model %s --index %s --collection %s --query \"fast json parser for C++\"\n",
              model_dir.c_str(), index_path.c_str(), collection_dir.c_str());
  std::printf("  denser bm25 query --index %s --collection %s \"fast json parser for C++\"\n", bm25_path.c_str(),
              collection_dir.c_str());
  std::printf("  denser search --model %s --index %s --bm25 %s --fusion linear --alpha %.1f --collection %s --query \"fast json parser for C++\"\n",
              model_dir.c_str(), index_path.c_str(), bm25_path.c_str(), best_alpha, collection_dir.c_str());
  std::printf("  denser serve --model %s --index %s --bm25 %s --collection %s --train-log %s/training/log.jsonl\n",
              model_dir.c_str(), index_path.c_str(), bm25_path.c_str(), collection_dir.c_str(), model_dir.c_str());
  std::printf("    (then open http://127.0.0.1:8080/ for the search page and the training curves)\n");
  std::printf("  training log (loss, refreshes, dev MRR@10): %s/training/log.jsonl\n", model_dir.c_str());
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "The main job: Debian package collection, BM25 baseline, ANCE training, dense index, evaluation table");
  cmd->add_option("--out", args->out, "Working directory")->capture_default_str();
  cmd->add_option("--config", args->config, "JSON training options applied over the demo's");
  cmd->add_option("--steps", args->steps, "Training steps (0: the demo's default)");
  cmd->add_option("--seed", args->seed, "Training seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--fresh", args->fresh, "Rebuild the collection even when it exists");
  cmd->callback([args] { run_demo(*args); });
}

}  // namespace denser::cli
