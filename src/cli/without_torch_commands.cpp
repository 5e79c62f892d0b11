// `denser train` and `denser demo` in a build without libtorch: they exist, so that
// `denser --help` lists them, and refuse with the build option that brings them in.
#include <string>

#include "commands.h"
#include "denser/common/error.h"

namespace denser::cli {
namespace {

void refusing_command(CLI::App& app, const char* name, const char* what) {
  CLI::App* cmd = app.add_subcommand(name, std::string(what) + " (needs a build with -DDENSER_WITH_TORCH=ON)");
  cmd->allow_extras();
  cmd->callback([name] {
    DENSER_THROW(ErrorCode::kUnsupported, "denser ", name,
                 ": this denser was built without libtorch; configure it with -DDENSER_WITH_TORCH=ON");
  });
}

}  // namespace

void register_train_command(CLI::App& app) {
  refusing_command(app, "train", "Train a dual encoder with ANCE (or BM25 / random) negatives");
}

void register_demo_command(CLI::App& app) {
  refusing_command(app, "demo", "The main job: BM25, a pretrained encoder and its ANCE fine-tuning on SciFact");
}

}  // namespace denser::cli
