#include "cli/commands.h"

namespace denser::cli {

// Placeholder until the eval commands are written (same session).
void register_eval_command(CLI::App& app) { (void)app; }

}  // namespace denser::cli
