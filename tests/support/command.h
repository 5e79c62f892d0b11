#pragma once
// Runs the built `denser` binary (DENSER_BINARY) for end-to-end tests.
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace denser_test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout (and stderr, for run_denser)
};

/// Runs a shell command line and collects what it writes to stdout.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// Runs `denser <args>` through the shell with stderr folded into stdout.
inline CommandResult run_denser(const std::string& args) {
  return run_command(std::string(DENSER_BINARY) + " " + args + " 2>&1");
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace denser_test
