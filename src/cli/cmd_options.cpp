// `denser options`: the tables of every option declared once (retrieval, training), as
// text or as the markdown of docs/options.md (a test keeps the two equal).
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "denser/search/retriever.h"
#ifdef DENSER_WITH_TORCH
#include "denser/train/train.h"
#endif

namespace denser::cli {

std::string options_markdown() {
  std::string out;
  out += "### Retrieval options\n\n";
  out += "`denser search` and `denser serve` take them as flags (all but `k`, which each command\n";
  out += "gives its own default); `POST /search` takes them as JSON fields, `prf` also as an object\n";
  out += "`{\"method\", \"depth\", \"alpha\", \"beta\"}`.\n\n";
  out += retrieval_option_table().markdown();
#ifdef DENSER_WITH_TORCH
  out += "\n### Training options\n\n";
  out += "`denser train` takes them as flags and as the keys of a `--config` JSON file (flags win);\n";
  out += "every run stores them in `OUT/training/train_config.json`. Booleans also have `--no-…`.\n\n";
  out += train_option_table().markdown();
#endif
  return out;
}

void register_options_command(CLI::App& app) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("options", "Print every retrieval and training option: name, flag, type, default");
  cmd->add_flag("--markdown", *markdown, "As the markdown tables of docs/options.md");
  cmd->callback([markdown] {
    const std::string text = options_markdown();
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

}  // namespace denser::cli
