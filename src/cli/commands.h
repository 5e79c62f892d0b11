#pragma once
// Each command group registers its subcommands on the top-level app. Commands are thin:
// parse flags, call the library, print results. Errors propagate as denser::Error and
// are turned into a message and exit code by main().
#include <CLI/CLI.hpp>

#include <string>

namespace denser::cli {

void register_data_commands(CLI::App& app);
void register_bm25_commands(CLI::App& app);
void register_eval_command(CLI::App& app);
void register_text_commands(CLI::App& app);
void register_index_commands(CLI::App& app);
void register_dense_commands(CLI::App& app);
/// After register_dense_commands (adds to its `model` group).
void register_model_commands(CLI::App& app);
void register_train_command(CLI::App& app);
void register_demo_command(CLI::App& app);
void register_serve_command(CLI::App& app);
/// `denser options`: the declared options as text or markdown (docs/options.md).
void register_options_command(CLI::App& app);
std::string options_markdown();

}  // namespace denser::cli
