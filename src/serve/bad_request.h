#pragma once
// A request the client got wrong, as thrown by the serve module's request parsing and
// answered with its 4xx status and a JSON error. No HTTP library here: the request parser
// (and its fuzzer) use it alone.
#include <string>
#include <utility>

namespace denser::serve_internal {

/// A request the client got wrong: its status (4xx) and a message for the JSON error.
struct BadRequest {
  int status;
  std::string message;
};

[[noreturn]] inline void reject(int status, std::string message) { throw BadRequest{status, std::move(message)}; }

}  // namespace denser::serve_internal
