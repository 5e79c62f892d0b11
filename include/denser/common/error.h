#pragma once
// One error type for every expected failure, with a category (the shape of absl's
// canonical codes, cut to what denser needs). The message says where (file, line or byte
// offset, request field) and what was expected; the call site that raised it is recorded
// separately for debugging. The CLI maps the category to its exit code and the server to
// an HTTP status (exit_code() and http_status() below, documented in README and
// docs/architecture.md).
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace denser {

/// What kind of failure: decides the exit code and the HTTP status, and tells a caller
/// whether retrying or fixing its input can help.
enum class ErrorCode : uint8_t {
  /// A flag, option, request field or argument outside its domain (the caller's mistake).
  kInvalidArgument,
  /// A named file, directory, model, split, document or route that does not exist.
  kNotFound,
  /// Data that exists but is malformed or damaged: a collection line that does not parse,
  /// a bad magic, version or checksum, a truncated index.
  kCorrupt,
  /// The operating system or a peer failed: read/write errors, a full or read-only disk,
  /// a shard server that does not answer. Retrying later may help.
  kUnavailable,
  /// A well-formed request this build or this setup cannot serve: a mode whose index was
  /// not loaded, a model that does not match the index, a command built without libtorch.
  kUnsupported,
  /// Beyond a configured limit (request size, batch, k) or out of memory.
  kTooLarge,
  /// A bug in denser: an invariant that did not hold.
  kInternal,
};

/// "invalid_argument", "not_found", "corrupt", "unavailable", "unsupported", "too_large",
/// "internal": the names in JSON error bodies.
const char* error_code_name(ErrorCode code);
/// The CLI's exit status for an error of this category: 2 invalid argument, 3 not found,
/// 4 corrupt, 5 unavailable, 6 unsupported, 7 too large, 1 internal.
int exit_code(ErrorCode code);
/// The HTTP status the server answers with: 400, 404, 500 (corrupt data on the server's
/// side), 503, 422, 413, 500.
int http_status(ErrorCode code);

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
  Error(ErrorCode code, std::string message, const char* source_file, int source_line)
      : std::runtime_error(std::move(message)), code_(code), source_file_(source_file), source_line_(source_line) {}
  ErrorCode code() const noexcept { return code_; }
  const char* source_file() const noexcept { return source_file_; }
  int source_line() const noexcept { return source_line_; }
  /// The request field or option the error is about ("k", "prf.depth", "--alpha"); empty
  /// when it is about no single field.
  const std::string& field() const noexcept { return field_; }
  void set_field(std::string field) { field_ = std::move(field); }

 private:
  ErrorCode code_;
  const char* source_file_;
  int source_line_;
  std::string field_;
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, ErrorCode code, std::string message);
}  // namespace detail

/// Runs fn(); an Error it throws comes out naming `field` (unless it already names one).
template <typename Fn>
decltype(auto) with_field(std::string_view field, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (Error& e) {
    if (e.field().empty()) e.set_field(std::string(field));
    throw;
  }
}

}  // namespace denser

/// Throws denser::Error of category `code` (a denser::ErrorCode) with a message built from
/// the remaining arguments, streamed together.
#define DENSER_THROW(code, ...) ::denser::detail::throw_error(__FILE__, __LINE__, (code), ::denser::str(__VA_ARGS__))

/// Throws denser::Error of category `code` when cond is false; the message arguments are
/// only evaluated then.
#define DENSER_CHECK(cond, code, ...)               \
  do {                                              \
    if (!(cond)) DENSER_THROW((code), __VA_ARGS__); \
  } while (0)
