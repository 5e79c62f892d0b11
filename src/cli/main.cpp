#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "commands.h"
#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/memory.h"
#include "denser/serve/shard_server.h"
#include "denser/common/progress.h"
#include "denser/common/version.h"

int main(int argc, char** argv) {
  denser::tune_allocator_for_tensors();
  denser::enable_remote_shards();  // manifests may name shards served by `denser serve-shard`
  CLI::App app{"denser: dense and sparse text retrieval (ANCE, BM25, trec_eval-exact evaluation)", "denser"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("denser ") + denser::kVersion);
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log progress messages (info level)");
  app.add_flag("--quiet", quiet, "Only log errors; no progress bars");

  denser::cli::register_data_commands(app);
  denser::cli::register_bm25_commands(app);
  denser::cli::register_eval_command(app);
  denser::cli::register_text_commands(app);
  denser::cli::register_index_commands(app);
  denser::cli::register_dense_commands(app);
  denser::cli::register_model_commands(app);
  denser::cli::register_train_command(app);
  denser::cli::register_demo_command(app);
  denser::cli::register_serve_command(app);
  denser::cli::register_options_command(app);

  // Logging and progress are configured before any subcommand callback runs.
  app.parse_complete_callback([&] {
    denser::set_log_level(quiet ? denser::LogLevel::kError
                                : (verbose ? denser::LogLevel::kInfo : denser::LogLevel::kWarning));
    if (!quiet) denser::set_progress_factory(denser::make_terminal_progress);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every flag CLI11 rejects is a usage error, as an
    // invalid argument is.
    return app.exit(e) == 0 ? 0 : denser::exit_code(denser::ErrorCode::kInvalidArgument);
  } catch (const denser::Error& e) {
    // The category names the kind of failure for scripts: README lists the exit codes.
    std::fprintf(stderr, "denser: error: %s\n", e.what());
    if (verbose)
      std::fprintf(stderr, "  (%s, raised at %s:%d)\n", denser::error_code_name(e.code()), e.source_file(),
                   e.source_line());
    return denser::exit_code(e.code());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "denser: error: out of memory\n");
    return denser::exit_code(denser::ErrorCode::kTooLarge);
  } catch (const std::exception& e) {
    // Errors from libtorch and FAISS carry a multi-line trace of their own frames after the
    // message: one line here, the whole of it with --verbose.
    const std::string what = e.what();
    const size_t end = what.find('\n');
    std::fprintf(stderr, "denser: error: %s%s\n", what.substr(0, end).c_str(),
                 end != std::string::npos && !verbose ? " (--verbose shows the library's trace)" : "");
    if (verbose && end != std::string::npos) std::fprintf(stderr, "%s\n", what.substr(end + 1).c_str());
    return denser::exit_code(denser::ErrorCode::kInternal);
  }
  return 0;
}
