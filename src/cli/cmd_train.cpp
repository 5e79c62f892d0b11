// `denser train`: ANCE training of a dual encoder (a thin shell over train_dual_encoder).
// Options come from the preset, then --config FILE, then the flags given on the line.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_report.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/train/train.h"

namespace denser::cli {
namespace {

struct TrainArgs {
  TrainOptions flags;  // values of the flags; applied only when given
  std::string config;
  std::string out;
  bool resume = false;
  // On/off flags: each turns its option on (or off) when given and leaves it alone otherwise.
  bool no_in_batch = false;
  bool bigrams = false;
  bool wait_first_refresh = false;
  bool distributed = false;
  CLI::Option* encoder = nullptr;  // the two flags that choose the preset's defaults
  CLI::Option* preset = nullptr;
  std::vector<std::pair<CLI::Option*, std::function<void(TrainOptions&)>>> given;
};

// Registers a flag that writes `field` of the options, applied only when it is given.
template <typename T>
CLI::Option* flag(CLI::App* cmd, TrainArgs& args, const std::string& name, T TrainOptions::*field,
                  const std::string& help) {
  CLI::Option* opt = cmd->add_option(name, args.flags.*field, help);
  args.given.emplace_back(opt, [&args, field](TrainOptions& o) { o.*field = args.flags.*field; });
  return opt;
}

TrainOptions resolve(TrainArgs& args, const std::string& collection) {
  // The preset and encoder may come from the flags, or else from the config file.
  std::string encoder = "ngram", preset = "small";
  TrainOptions from_file;
  std::string file_text;
  if (!args.config.empty()) {
    file_text = read_file(args.config);
    from_file.apply_json(file_text, args.config);
    encoder = from_file.encoder;
    preset = from_file.preset;
  }
  if (args.encoder->count() > 0) encoder = args.flags.encoder;
  if (args.preset->count() > 0) preset = args.flags.preset;
  TrainOptions options = TrainOptions::preset_defaults(encoder, preset);
  // Resuming without --config continues with the options the run was started with.
  const std::string saved = args.out + "/training/train_config.json";
  if (args.resume && file_text.empty() && file_exists(saved)) {
    options = TrainOptions();
    options.apply_json(read_file(saved), saved);
  }
  if (!file_text.empty()) options.apply_json(file_text, args.config);
  for (auto& [opt, apply] : args.given)
    if (opt->count() > 0) apply(options);
  if (args.no_in_batch) options.in_batch_negatives = false;
  if (args.bigrams) options.ngram_bigrams = true;
  if (args.wait_first_refresh) options.wait_first_refresh = true;
  if (args.distributed) options.distributed = true;
  options.collection = collection;
  return options;
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a dual encoder with ANCE (or BM25 / random) negatives");
  auto collection = std::make_shared<std::string>();
  cmd->add_option("--collection", *collection, "Collection with a train split (BEIR or MS MARCO layout)")->required();
  cmd->add_option("--out", args->out, "Model directory to write (checkpoints and log under OUT/training)")
      ->required();
  cmd->add_option("--config", args->config, "JSON file of training options (docs/training.md); flags override it");
  cmd->add_flag("--resume", args->resume, "Continue from the newest checkpoint in OUT");
  TrainArgs& a = *args;
  a.encoder = flag(cmd, a, "--encoder", &TrainOptions::encoder, "Encoder family: ngram or transformer");
  a.preset = flag(cmd, a, "--preset", &TrainOptions::preset, "Model size and step budget: tiny, small or base");
  flag(cmd, a, "--negatives", &TrainOptions::negatives, "Negative source: ance, bm25 or random");
  flag(cmd, a, "--num-negatives", &TrainOptions::num_negatives, "Negatives sampled per query per step");
  flag(cmd, a, "--negative-depth", &TrainOptions::negative_depth, "Top-k of BM25 / the ANN index sampled from");
  flag(cmd, a, "--warmup-negative-steps", &TrainOptions::warmup_negative_steps,
       "ANCE: steps on BM25 negatives before the first refresh (-1: 20% of steps)");
  flag(cmd, a, "--steps", &TrainOptions::steps, "Optimizer steps");
  flag(cmd, a, "--batch-size", &TrainOptions::batch_size, "Queries per micro-batch");
  flag(cmd, a, "--accumulation", &TrainOptions::accumulation, "Micro-batches per optimizer step");
  flag(cmd, a, "--lr", &TrainOptions::learning_rate, "Peak learning rate (0: the family's default)");
  flag(cmd, a, "--warmup-steps", &TrainOptions::warmup_steps, "Learning-rate warm-up steps (-1: 10% of steps)");
  flag(cmd, a, "--temperature", &TrainOptions::temperature,
       "Softmax temperature (0: 0.05 for a normalized model or n-grams, 1 for a dot-product transformer)");
  flag(cmd, a, "--train-precision", &TrainOptions::train_precision,
       "Training forward/backward precision: fp32 or bf16 (CPU autocast; weights and optimizer stay fp32)");
  flag(cmd, a, "--seed", &TrainOptions::seed, "Random seed (initialization, data order, sampling)");
  flag(cmd, a, "--refresh", &TrainOptions::refresh, "async (beside training) or sync (stop the world)");
  flag(cmd, a, "--refresh-every", &TrainOptions::refresh_every, "Steps between ANN index refreshes");
  flag(cmd, a, "--refresh-precision", &TrainOptions::refresh_precision,
       "Refresher's and final evaluation's corpus encoding precision: fp32 or bf16 (transformers)");
  flag(cmd, a, "--index-factory", &TrainOptions::index_factory, "FAISS factory of the refresh index");
  flag(cmd, a, "--checkpoint-every", &TrainOptions::checkpoint_every, "Steps between checkpoints (0: at the end)");
  flag(cmd, a, "--keep-checkpoints", &TrainOptions::keep_checkpoints, "Checkpoints kept (the best is kept apart)");
  flag(cmd, a, "--log-every", &TrainOptions::log_every, "Steps per training-log line");
  flag(cmd, a, "--threads", &TrainOptions::threads, "CPU threads in all (0 = all cores)");
  flag(cmd, a, "--dev-split", &TrainOptions::dev_split, "Model-selection split (held-out train queries if absent)");
  flag(cmd, a, "--test-split", &TrainOptions::test_split, "Split evaluated with the final model at the end");
  flag(cmd, a, "--vocab", &TrainOptions::vocab, "Transformer: WordPiece vocab.txt (default: trained on the corpus)");
  flag(cmd, a, "--init-model", &TrainOptions::init_model, "Start from this model directory's weights");
  flag(cmd, a, "--ngram-buckets-log2", &TrainOptions::ngram_buckets_log2, "N-gram: table rows 2^N (0: preset)");
  flag(cmd, a, "--ngram-dim", &TrainOptions::ngram_dim, "N-gram: vector dimension (0: preset)");
  flag(cmd, a, "--ngram-init-std", &TrainOptions::ngram_init_std, "N-gram: initial weights' std (0: preset)");
  cmd->add_flag("--bigrams", args->bigrams,
                "N-gram: also hash adjacent word pairs (they help memorize more than generalize)");
  flag(cmd, a, "--query-max-length", &TrainOptions::query_max_length, "Transformer: subword tokens per query");
  flag(cmd, a, "--doc-max-length", &TrainOptions::doc_max_length, "Transformer: subword tokens per document");
  cmd->add_flag("--no-in-batch", args->no_in_batch, "Do not use the other queries' documents as negatives");
  cmd->add_flag("--wait-first-refresh", args->wait_first_refresh,
                "Async: wait for the first ANCE negatives instead of training on BM25's meanwhile");
  cmd->add_flag("--distributed", args->distributed,
                "Data-parallel over processes: launch one per rank with MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK "
                "(--batch-size is the global batch)");
  cmd->callback([args, collection] {
    const TrainOptions options = resolve(*args, *collection);
    TrainHooks hooks;
    hooks.on_log = print_train_event;
    const TrainSummary summary = train_dual_encoder(options, args->out, args->resume, hooks);
    print_train_summary(options, summary);
  });
}

}  // namespace denser::cli
