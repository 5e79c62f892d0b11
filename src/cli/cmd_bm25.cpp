#include "cli/commands.h"

namespace denser::cli {

// Placeholder until the bm25 commands are written (same session).
void register_bm25_commands(CLI::App& app) { (void)app; }

}  // namespace denser::cli
