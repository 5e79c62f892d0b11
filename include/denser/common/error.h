#pragma once
// One error type for every expected failure (I/O, parse, corrupt file, bad request).
// The message says where (file, line or byte offset) and what was expected; the call
// site that raised it is recorded separately for debugging.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace denser {

/// Concatenates its arguments with operator<< (GCC 12 has no std::format).
template <typename... Args>
std::string str(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

class Error : public std::runtime_error {
 public:
  /// message: what went wrong, with its location in the user's input.
  /// source_file/source_line: the call site in denser that raised it.
  Error(std::string message, const char* source_file, int source_line)
      : std::runtime_error(std::move(message)), source_file_(source_file), source_line_(source_line) {}
  const char* source_file() const noexcept { return source_file_; }
  int source_line() const noexcept { return source_line_; }

 private:
  const char* source_file_;
  int source_line_;
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, std::string message);
}  // namespace detail

}  // namespace denser

/// Throws denser::Error with a message built from the arguments (streamed together).
#define DENSER_THROW(...) ::denser::detail::throw_error(__FILE__, __LINE__, ::denser::str(__VA_ARGS__))

/// Throws denser::Error when cond is false; message arguments are only evaluated then.
#define DENSER_CHECK(cond, ...)      \
  do {                               \
    if (!(cond)) DENSER_THROW(__VA_ARGS__); \
  } while (0)
