// `denser eval`: trec_eval's numbers for a run and a qrels file, printed as trec_eval does.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/eval/metrics.h"

namespace denser::cli {
namespace {

struct EvalArgs {
  std::string qrels_path;
  std::string collection;
  std::string split = "test";
  std::string run_path;
  std::vector<std::string> measures;
  bool per_query = false;
  int relevance_level = 1;
  bool lenient = false;
};

void run_eval(const EvalArgs& args) {
  // Measures first: a typo in -m should not wait for a large run to load.
  MeasureSet measures = args.measures.empty() ? MeasureSet::defaults() : MeasureSet::parse(args.measures);
  EvalOptions options;
  options.relevance_level = args.relevance_level;
  ReadOptions read_options;
  read_options.lenient = args.lenient;
  // --collection reads the split's judgments in whatever layout the collection has
  // (BEIR, MS MARCO or SMART, whose codes are mapped to grades), checked against its corpus.
  std::string qrels_name = args.qrels_path;
  Qrels qrels;
  if (!args.collection.empty()) {
    Collection collection = Collection::open(args.collection, read_options);
    qrels_name = collection.qrels_path(args.split);
    qrels = collection.qrels(args.split);
  } else {
    qrels = read_qrels(args.qrels_path, read_options);
  }
  Run run = read_trec_run(args.run_path, read_options);

  EvalResult result = evaluate(qrels, run, measures, options);
  DENSER_CHECK(result.num_queries() > 0, ErrorCode::kInvalidArgument, "no query is both in the run ", args.run_path,
               " (", run.results.size(), " queries) and in the qrels ", qrels_name, " (", qrels.num_queries(),
               " queries); expected query ids in common");
  if (result.num_qrels_only_queries > 0)
    DENSER_LOG_WARN("judged queries without results in ", args.run_path, ": ", result.num_qrels_only_queries,
                    "; they are left out of the averages (as trec_eval does without -c)");
  if (result.num_run_only_queries > 0)
    DENSER_LOG_INFO("queries of the run without judgments (ignored): ", result.num_run_only_queries);

  std::string text = format_trec_eval(result, args.per_query);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Evaluate a TREC run against relevance judgments; prints what trec_eval prints");
  auto* qrels = cmd->add_option("--qrels", args->qrels_path,
                                "Relevance judgments: TREC \"qid iter docid grade\" or BEIR TSV with a "
                                "\"query-id corpus-id score\" header");
  auto* collection = cmd->add_option("--collection", args->collection,
                                     "Instead of --qrels: a collection directory whose --split judgments to use "
                                     "(BEIR, MS MARCO or SMART layout)");
  qrels->excludes(collection);
  collection->excludes(qrels);
  cmd->add_option("--split", args->split, "Split of --collection")->capture_default_str();
  cmd->add_option("--run", args->run_path, "TREC run: \"qid Q0 docid rank score tag\" lines (rank is ignored)")
      ->required();
  cmd->add_option("-m,--measure", args->measures,
                  "Measure to print, trec_eval syntax, repeatable: map, recip_rank, num_q, num_ret, num_rel, "
                  "num_rel_ret, P.K[,K...], recall.K[,K...], ndcg_cut.K[,K...] (default: num_* map recip_rank "
                  "P.10 recall.10,100,1000 ndcg_cut.10,100)");
  cmd->add_flag("-q,--per-query", args->per_query, "Also print each query's values, before the \"all\" lines");
  cmd->add_option("-l,--relevance-level", args->relevance_level,
                  "Minimum grade of a relevant document (trec_eval -l; default 1)");
  cmd->add_flag("--lenient", args->lenient,
                "Skip malformed lines of the qrels and run with a warning instead of failing");
  cmd->callback([args] {
    DENSER_CHECK(!args->qrels_path.empty() || !args->collection.empty(), ErrorCode::kInvalidArgument,
                 "eval needs the judgments: --qrels FILE or --collection DIR [--split S]");
    run_eval(*args);
  });
}

}  // namespace denser::cli
