// `denser bm25 index|search|query`: thin wrappers over the sparse module.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands.h"
#include "snippets.h"
#include "denser/common/io.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"
#include "denser/common/timer.h"

namespace denser::cli {
namespace {

struct IndexArgs {
  std::string collection;
  std::string index;
  float k1 = 0.9f;
  float b = 0.4f;
  int threads = 0;
  bool exact_lengths = false;
  bool lenient = false;
  bool no_stem = false;
  bool keep_stopwords = false;
};

void run_index(const IndexArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const Collection collection = Collection::open(args.collection, ReadOptions{args.lenient});
  Bm25BuildOptions options;
  options.params = Bm25Params{args.k1, args.b, args.exact_lengths};
  options.analyzer = AnalyzerOptions{!args.no_stem, !args.keep_stopwords};
  options.num_threads = args.threads;
  Bm25IndexBuilder builder(options);
  auto reader = collection.documents();
  builder.add(*reader);
  builder.write(args.index);
  const Bm25BuildStats& stats = builder.stats();
  std::printf("indexed %llu documents (%llu without terms), %llu terms, %llu postings\n",
              static_cast<unsigned long long>(stats.num_docs), static_cast<unsigned long long>(stats.num_empty_docs),
              static_cast<unsigned long long>(stats.num_terms), static_cast<unsigned long long>(stats.num_postings));
  if (reader->stats().num_skipped > 0)
    std::printf("skipped %llu malformed records (--lenient)\n",
                static_cast<unsigned long long>(reader->stats().num_skipped));
  std::printf("index %s: %llu bytes, %.2f s\n", args.index.c_str(),
              static_cast<unsigned long long>(file_size(args.index)), seconds_since(start));
}

void register_index(CLI::App& bm25) {
  auto args = std::make_shared<IndexArgs>();
  CLI::App* cmd = bm25.add_subcommand("index", "Build a BM25 index of a collection's corpus (title + text)");
  cmd->add_option("--collection", args->collection, "Collection directory (BEIR, MS MARCO or SMART layout)")
      ->required();
  cmd->add_option("--index", args->index, "Index file to write (replaced atomically)")->required();
  cmd->add_option("--k1", args->k1, "Default BM25 k1 stored in the index")->capture_default_str();
  cmd->add_option("--b", args->b, "Default BM25 b stored in the index")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Analysis threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--exact-lengths", args->exact_lengths,
                "Score with exact document lengths instead of Lucene's one-byte quantized lengths");
  cmd->add_flag("--lenient", args->lenient, "Skip and count malformed corpus records instead of failing");
  cmd->add_flag("--no-stem", args->no_stem, "Do not apply the Porter stemmer");
  cmd->add_flag("--keep-stopwords", args->keep_stopwords, "Do not remove English stopwords");
  cmd->callback([args] { run_index(*args); });
}

struct SearchArgs {
  std::string index;
  std::string collection;
  std::string split = "test";
  std::string run;
  std::string tag = "denser-bm25";
  size_t k = 1000;
  int threads = 0;
  std::string algorithm = "auto";
  bool exhaustive = false;
  std::optional<float> k1;
  std::optional<float> b;
  bool exact_lengths = false;
  bool no_verify = false;
  bool lenient = false;
};

void run_search(const SearchArgs& args) {
  Bm25LoadOptions load;
  load.verify_checksum = !args.no_verify;
  const Bm25Index index = Bm25Index::open(args.index, load);
  const Collection collection = Collection::open(args.collection, ReadOptions{args.lenient});
  const std::vector<Query> queries = collection.queries(args.split);
  std::vector<std::string> texts;
  texts.reserve(queries.size());
  for (const Query& q : queries) texts.push_back(q.text);

  Bm25SearchOptions options;
  options.k = args.k;
  options.algorithm = args.exhaustive                  ? Bm25Algorithm::kExhaustive
                      : args.algorithm == "pruned"     ? Bm25Algorithm::kPruned
                      : args.algorithm == "exhaustive" ? Bm25Algorithm::kExhaustive
                                                       : Bm25Algorithm::kAuto;
  if (args.k1 || args.b || args.exact_lengths) {
    Bm25Params params = index.params();
    if (args.k1) params.k1 = *args.k1;
    if (args.b) params.b = *args.b;
    if (args.exact_lengths) params.exact_lengths = true;
    options.params = params;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Bm25SearchResult> results = index.search_batch(texts, options, args.threads);
  const double seconds = seconds_since(start);
  write_trec_run(args.run, index.to_run(queries, results, args.tag));

  Bm25SearchStats total;
  for (const Bm25SearchResult& r : results) total.add(r.stats);
  const double n = queries.empty() ? 1.0 : static_cast<double>(queries.size());
  std::printf("searched %zu queries (k=%zu) in %.3f s: %.1f queries/s\n", queries.size(), args.k, seconds,
              seconds > 0 ? static_cast<double>(queries.size()) / seconds : 0.0);
  std::printf("per query: %.1f documents scored, %.1f postings decoded, %.1f blocks skipped\n",
              static_cast<double>(total.docs_scored) / n, static_cast<double>(total.postings_decoded) / n,
              static_cast<double>(total.blocks_skipped) / n);
  std::printf("run written to %s\n", args.run.c_str());
}

void register_search(CLI::App& bm25) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = bm25.add_subcommand("search", "Search a BM25 index with a collection's queries, write a TREC run");
  cmd->add_option("--index", args->index, "Index file written by `denser bm25 index`")->required();
  cmd->add_option("--collection", args->collection, "Collection directory holding the queries")->required();
  cmd->add_option("--split", args->split, "Query split (queries judged in it)")->capture_default_str();
  cmd->add_option("--run", args->run, "TREC run file to write")->required();
  cmd->add_option("--k", args->k, "Results per query")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Search threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--tag", args->tag, "Run tag (last column of the run)")->capture_default_str();
  cmd->add_option("--algorithm", args->algorithm,
                  "Query evaluation: auto (pruned for small k, exhaustive when k is large against the query's "
                  "postings), pruned (block-max MaxScore) or exhaustive; all give the same results")
      ->check(CLI::IsMember({"auto", "pruned", "exhaustive"}))
      ->capture_default_str();
  cmd->add_flag("--exhaustive", args->exhaustive, "Same as --algorithm exhaustive");
  cmd->add_option("--k1", args->k1, "Override the index's BM25 k1");
  cmd->add_option("--b", args->b, "Override the index's BM25 b");
  cmd->add_flag("--exact-lengths", args->exact_lengths, "Score with exact document lengths");
  cmd->add_flag("--no-verify", args->no_verify, "Skip the index checksum at load (large indexes)");
  cmd->add_flag("--lenient", args->lenient, "Skip and count malformed query/qrels records instead of failing");
  cmd->callback([args] { run_search(*args); });
}

struct QueryArgs {
  std::string index;
  std::string collection;
  std::vector<std::string> words;
  size_t k = 10;
};

void run_query(const QueryArgs& args) {
  Bm25Index index = Bm25Index::open(args.index);
  std::string query;
  for (const std::string& w : args.words) query += (query.empty() ? "" : " ") + w;
  Bm25SearchOptions options;
  options.k = args.k;
  Bm25SearchResult result = index.search(query, options);
  std::unordered_map<std::string, std::string> snippets;
  if (!args.collection.empty()) {
    std::vector<std::string> ids;
    for (const Bm25Hit& hit : result.hits) ids.emplace_back(index.doc_id(hit.doc));
    snippets = load_snippets(args.collection, ids, 100);
  }
  std::printf("%zu results for \"%s\" (%.2f ms, %llu documents scored)\n", result.hits.size(), query.c_str(),
              result.stats.seconds * 1e3, static_cast<unsigned long long>(result.stats.docs_scored));
  int rank = 0;
  for (const Bm25Hit& hit : result.hits) {
    std::string id(index.doc_id(hit.doc));
    std::printf("%3d  %8.4f  %s", ++rank, hit.score, id.c_str());
    auto it = snippets.find(id);
    if (it != snippets.end()) std::printf("  %s", it->second.c_str());
    std::printf("\n");
  }
}

void register_query(CLI::App& bm25) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = bm25.add_subcommand("query", "Search a BM25 index for one query typed on the command line");
  cmd->add_option("query", args->words, "The query text (several words allowed)")->required();
  cmd->add_option("--index", args->index, "Index file written by `denser bm25 index`")->required();
  cmd->add_option("--collection", args->collection, "Collection directory, to show a snippet of each result");
  cmd->add_option("--k", args->k, "Results to show")->capture_default_str();
  cmd->callback([args] { run_query(*args); });
}

}  // namespace

void register_bm25_commands(CLI::App& app) {
  CLI::App* bm25 = app.add_subcommand("bm25", "BM25 sparse retrieval: build an inverted index and search it");
  bm25->require_subcommand(1);
  register_index(*bm25);
  register_search(*bm25);
  register_query(*bm25);
}

}  // namespace denser::cli
