#include "cli/commands.h"

namespace denser::cli {

// Placeholder until the data commands are written (same session).
void register_data_commands(CLI::App& app) { (void)app; }

}  // namespace denser::cli
