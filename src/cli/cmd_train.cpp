// `denser train`: ANCE training of a dual encoder (a thin shell over train_dual_encoder).
// Options come from the preset, then --config FILE, then the flags given on the line.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "option_flags.h"
#include "train_report.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/train/train.h"

namespace denser::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::string out;
  bool resume = false;
  std::unique_ptr<OptionFlags<TrainOptions>> flags;  // every training option, from its table
};

TrainOptions resolve(const TrainArgs& args) {
  // The preset and encoder may come from the flags, or else from the config file.
  TrainOptions from_flags, from_file;
  args.flags->apply(from_flags);
  std::string file_text;
  if (!args.config.empty()) {
    file_text = read_file(args.config);
    from_file.apply_json(file_text, args.config);
  }
  const std::string encoder = args.flags->given("encoder") ? from_flags.encoder : from_file.encoder;
  const std::string preset = args.flags->given("preset") ? from_flags.preset : from_file.preset;
  TrainOptions options = TrainOptions::preset_defaults(encoder, preset);
  // Resuming without --config continues with the options the run was started with.
  const std::string saved = args.out + "/training/train_config.json";
  if (args.resume && file_text.empty() && file_exists(saved)) {
    options = TrainOptions();
    options.apply_json(read_file(saved), saved);
  }
  if (!file_text.empty()) options.apply_json(file_text, args.config);
  args.flags->apply(options);
  return options;
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a dual encoder with ANCE (or BM25 / random) negatives");
  cmd->add_option("--out", args->out, "Model directory to write (checkpoints and log under OUT/training)")->required();
  cmd->add_option("--config", args->config, "JSON file of training options (docs/options.md); flags override it");
  cmd->add_flag("--resume", args->resume, "Continue from the newest checkpoint in OUT");
  // One flag per training option (docs/options.md), --collection among them.
  args->flags = std::make_unique<OptionFlags<TrainOptions>>(cmd, train_option_table());
  cmd->callback([args] {
    const TrainOptions options = resolve(*args);
    TrainHooks hooks;
    hooks.on_log = print_train_event;
    const TrainSummary summary = train_dual_encoder(options, args->out, args->resume, hooks);
    print_train_summary(options, summary);
  });
}

}  // namespace denser::cli
