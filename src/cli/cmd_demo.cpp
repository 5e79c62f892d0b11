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
void build_dense_index(Encoder& encoder, const Collection& collection, const std::string& out_prefix,
                       int threads) {
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

void run_demo(const DemoArgs& args) {
  const auto start = Clock::now();
  const std::string collection_dir = args.out + "/debian-sample";
  const std::string bm25_path = args.out + "/debian.bm25";
  const std::string zero_shot_prefix = args.out + "/debian-zero-shot";
  const std::string model_dir = args.out + "/debian-ance";
  const std::string index_path = model_dir + ".flat";
  std::filesystem::create_directories(args.out);

  banner("1/6 the Debian package collection (queries: package synopses; documents: long descriptions)");
  bool reuse = false;
  if (file_exists(collection_dir + "/collection.json") && !args.fresh) {
    const auto meta = nlohmann::json::parse(read_file(collection_dir + "/collection.json"), nullptr, false);
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
    std::printf("reusing %s (--fresh rebuilds it)\n", collection_dir.c_str());
  } else {
    DebianPackagesOptions options;
    options.out_dir = collection_dir;
    options.split.max_documents = args.max_documents;
    options.split.num_dev = args.dev_queries;
    options.split.num_test = args.test_queries;
    const DebianPackagesSummary s = make_debian_packages_collection(options);
    std::printf("wrote %s: %llu documents", collection_dir.c_str(),
                static_cast<unsigned long long>(s.counts.num_documents));
    if (s.counts.num_documents != s.counts.num_documents_before_sampling)
      std::printf(" (a sample of the %llu: every document a dev or test query judges, then random ones;"
                  " --max-documents 0 takes all)",
                  static_cast<unsigned long long>(s.counts.num_documents_before_sampling));
    std::printf("\n%llu train / %llu dev / %llu test queries\n",
                static_cast<unsigned long long>(s.counts.num_queries.at("train")),
                static_cast<unsigned long long>(s.counts.num_queries.at("dev")),
                static_cast<unsigned long long>(s.counts.num_queries.at("test")));
  }
  const Collection collection = Collection::open(collection_dir);
  const std::vector<Query> test_queries = collection.queries("test");
  const Qrels test_qrels = collection.qrels("test");

  banner("2/6 BM25 baseline");
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
  auto bm25 = std::make_shared<const Bm25Index>(Bm25Index::open(bm25_path));
  EncodeOptions encode;
  encode.num_threads = args.threads;

  banner(std::string("3/6 the pretrained ") + kDemoModel + ", zero-shot (no training)");
  Run zero_shot;
  {
    auto encoder = load_encoder(kDemoModel, encode);
    build_dense_index(*encoder, collection, zero_shot_prefix, args.threads);
    RetrieverParts parts;
    parts.encoder = std::move(encoder);
    parts.index = VectorIndex::open(zero_shot_prefix + ".flat");
    parts.threads = args.threads;
    Retriever retriever(std::move(parts));
    RetrievalOptions search;
    search.k = 1000;
    search.mode = RetrievalMode::kDense;
    zero_shot = retrieve_run(retriever, test_queries, search, "zero-shot");
  }

  banner("4/6 ANCE fine-tuning of it (BM25 warm-up negatives, then ANN negatives refreshed beside training)");
  TrainOptions options = demo_training_options();
  if (!args.config.empty()) options.apply_json(read_file(args.config), args.config);
  options.collection = collection_dir;
  options.seed = args.seed;
  options.threads = args.threads;
  if (args.steps > 0) options.steps = args.steps;
  std::filesystem::remove_all(model_dir);  // the demo always trains afresh
  TrainHooks hooks;
  hooks.on_log = print_step;
  const TrainSummary summary = train_dual_encoder(options, model_dir, false, hooks);
  print_train_summary(options, summary);

  banner("5/6 dense index of the corpus with the fine-tuned model");
  auto encoder = load_encoder(model_dir, encode);
  build_dense_index(*encoder, collection, model_dir, args.threads);
  // Every run below goes through the Retriever that `denser search` and `denser serve` use.
  RetrieverParts parts;
  parts.encoder = std::move(encoder);
  parts.index = VectorIndex::open(index_path);
  parts.bm25 = bm25;
  parts.threads = args.threads;
  Retriever retriever(std::move(parts));
  RetrievalOptions search;
  search.k = 1000;
  search.mode = RetrievalMode::kBm25;
  const Run bm25_run = retrieve_run(retriever, test_queries, search, "bm25");
  search.mode = RetrievalMode::kDense;
  const Run dense = retrieve_run(retriever, test_queries, search, "dense");
  // Hybrid: linear fusion, its dense weight chosen on the dev queries (never on test).
  search.mode = RetrievalMode::kHybrid;
  search.fusion = FusionMethod::kLinear;
  const auto [best_alpha, best_dev] = tune_alpha(retriever, collection, search);
  search.alpha = best_alpha;
  const Run hybrid = retrieve_run(retriever, test_queries, search, "hybrid");

  banner("6/6 evaluation on the test queries (trec_eval measures)");
  const MeasureSet measures = MeasureSet::parse({"map", "ndcg_cut.10", "recall.100,1000"});
  const MeasureSet rr = MeasureSet::parse({"recip_rank"});
  char hybrid_name[64];
  std::snprintf(hybrid_name, sizeof hybrid_name, "hybrid BM25+ANCE (alpha %.1f)", best_alpha);
  std::vector<Scores> rows{{"BM25 (Lucene parameters)", evaluate(test_qrels, bm25_run, measures)},
                           {"MiniLM zero-shot", evaluate(test_qrels, zero_shot, measures)},
                           {"MiniLM + ANCE fine-tuning", evaluate(test_qrels, dense, measures)},
                           {hybrid_name, evaluate(test_qrels, hybrid, measures)}};
  std::vector<double> mrr10;
  for (const Run* run : std::initializer_list<const Run*>{&bm25_run, &zero_shot, &dense, &hybrid})
    mrr10.push_back(evaluate(test_qrels, cut(*run, 10), rr).all[0]);
  std::printf("%zu test queries over %llu documents\n", test_queries.size(),
              static_cast<unsigned long long>(collection.num_documents()));
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
      "demo", "The main job: Debian package collection, BM25, the pretrained MiniLM zero-shot, its ANCE fine-tuning, "
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
