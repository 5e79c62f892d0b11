#pragma once
// A refusal at the HTTP level, with a status no error category has (401 without the
// bearer token, 405 for a wrong method, 400/413 for the shard protocol's framing): thrown
// by the servers' handlers and answered with that status and a JSON error. Everything
// else a client gets wrong is a denser::Error whose category gives the status.
#include <string>
#include <utility>

#include "denser/common/error.h"

namespace denser::serve_internal {

/// An HTTP-level refusal: its status (4xx) and a message for the JSON error.
struct BadRequest {
  int status;
  std::string message;
};

[[noreturn]] inline void reject(int status, std::string message) { throw BadRequest{status, std::move(message)}; }

/// Throws denser::Error of category `code` about the request field `field` (empty: the
/// whole body); the JSON error names it.
[[noreturn]] inline void reject_field(ErrorCode code, std::string field, const std::string& message) {
  Error error(code, message, __FILE__, __LINE__);
  error.set_field(std::move(field));
  throw error;
}

}  // namespace denser::serve_internal
