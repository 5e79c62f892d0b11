// `denser data ...`: build the Debian packages collection; print a collection's counts.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "denser/data/collection.h"
#include "denser/data/debian_packages.h"

namespace denser::cli {
namespace {

void print_debian_summary(const DebianPackagesOptions& options, const DebianPackagesSummary& s) {
  const DebianCollectionCounts& c = s.counts;
  std::printf("wrote %s (BEIR layout)\n", options.out_dir.c_str());
  for (const auto& [path, entries] : s.sources)
    std::printf("  read %llu entries from %s\n", static_cast<unsigned long long>(entries), path.c_str());
  std::printf("entries: %llu, packages: %llu (duplicate entries dropped: %llu)\n",
              static_cast<unsigned long long>(c.num_entries), static_cast<unsigned long long>(c.num_packages),
              static_cast<unsigned long long>(c.num_duplicate_entries));
  std::printf("packages skipped: %llu without a long description, %llu malformed stanzas\n",
              static_cast<unsigned long long>(c.num_without_description),
              static_cast<unsigned long long>(s.num_skipped_malformed));
  if (c.num_documents_before_sampling != c.num_documents)
    std::printf("documents: %llu, a sample of %llu (--max-documents)\n",
                static_cast<unsigned long long>(c.num_documents),
                static_cast<unsigned long long>(c.num_documents_before_sampling));
  else
    std::printf("documents: %llu\n", static_cast<unsigned long long>(c.num_documents));
  for (const char* split : {"train", "dev", "test"})
    std::printf("%-5s  queries: %llu, judgments: %llu\n", split,
                static_cast<unsigned long long>(c.num_queries.at(split)),
                static_cast<unsigned long long>(c.num_judgments.at(split)));
}

void add_debian_packages(CLI::App& data) {
  auto options = std::make_shared<DebianPackagesOptions>();
  CLI::App* cmd =
      data.add_subcommand("debian-packages",
                          "Build a BEIR-layout collection from apt's English package descriptions: queries are package "
                          "synopses, documents their long descriptions");
  cmd->add_option("--out", options->out_dir, "Output directory (created when missing; files replaced atomically)")
      ->required();
  cmd->add_option("--seed", options->split.seed, "Seed of the train/dev/test split (std::mt19937_64)")
      ->capture_default_str();
  cmd->add_option("--dev", options->split.num_dev, "Number of dev queries")->capture_default_str();
  cmd->add_option("--test", options->split.num_test, "Number of test queries")->capture_default_str();
  cmd->add_option("--max-documents", options->split.max_documents,
                  "A sample: every document a dev or test query judges, then random ones up to this many "
                  "(training queries keep the judgments left; 0: all)")
      ->capture_default_str();
  cmd->add_option("--lists", options->lists_dir, "Directory of apt lists holding *_i18n_Translation-en* files")
      ->capture_default_str();
  cmd->add_flag("--lenient", options->read.lenient, "Skip and count malformed stanzas instead of failing");
  cmd->callback([options] { print_debian_summary(*options, make_debian_packages_collection(*options)); });
}

struct StatsArgs {
  std::string dir;
  std::string split;
  bool lenient = false;
};

void print_stats(const StatsArgs& args) {
  Collection c = Collection::open(args.dir, ReadOptions{args.lenient});
  std::printf("collection: %s\nlayout: %s", c.dir().c_str(), layout_name(c.layout()));
  if (c.layout() == CollectionLayout::kSmart) std::printf(", %s", smart_file_layout(c.corpus_path()).c_str());
  std::printf("\ncorpus: %s\n", c.corpus_path().c_str());
  std::printf("documents: %llu\n", static_cast<unsigned long long>(c.num_documents()));
  std::vector<std::string> splits = args.split.empty() ? c.splits() : std::vector<std::string>{args.split};
  if (splits.empty()) std::printf("no judged splits\n");
  uint64_t skipped = 0;
  for (const auto& split : splits) {
    ReadStats query_stats;
    ReadStats qrels_stats;
    Qrels qrels = c.qrels(split, &qrels_stats);
    std::vector<Query> queries = c.queries(split, &query_stats);
    size_t relevant = 0;
    for (const auto& [qid, docs] : qrels.judgments)
      for (const auto& [doc_id, grade] : docs) relevant += grade > 0;
    std::printf("split %s: queries: %zu, judged queries: %zu, judgments: %zu (relevant: %zu)\n", split.c_str(),
                queries.size(), qrels.num_queries(), qrels.num_judgments(), relevant);
    skipped += query_stats.num_skipped + qrels_stats.num_skipped;
  }
  if (args.lenient)
    std::printf("skipped (lenient): %llu malformed query or judgment records\n",
                static_cast<unsigned long long>(skipped));
}

void add_stats(CLI::App& data) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = data.add_subcommand(
      "stats", "Check a collection: print its layout, number of documents, and queries and judgments per split");
  cmd->add_option("--collection", args->dir, "Collection directory (BEIR, MS MARCO or SMART layout)")->required();
  cmd->add_option("--split", args->split, "Only this split (default: every split with judgments)");
  cmd->add_flag("--lenient", args->lenient, "Skip and count malformed records (warnings) instead of failing");
  cmd->callback([args] { print_stats(*args); });
}

}  // namespace

void register_data_commands(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Build and inspect collections");
  data->require_subcommand(1);
  add_debian_packages(*data);
  add_stats(*data);
}

}  // namespace denser::cli
