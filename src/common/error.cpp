#include "denser/common/error.h"

namespace denser {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

// Out of memory (std::bad_alloc, not an Error) takes kTooLarge's exit code in the CLI, but
// the server answers it as unavailable (503), since retrying later may succeed there.
int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 2;  // as a usage error (CLI11's parse errors too)
    case ErrorCode::kNotFound: return 3;
    case ErrorCode::kCorrupt: return 4;
    case ErrorCode::kUnavailable: return 5;
    case ErrorCode::kUnsupported: return 6;
    case ErrorCode::kTooLarge: return 7;
    case ErrorCode::kInternal: return 1;
  }
  return 1;
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnsupported: return 422;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kCorrupt:  // the server's own data is damaged: not the client's fault
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

namespace detail {

void throw_error(const char* file, int line, ErrorCode code, std::string message) {
  throw Error(code, std::move(message), file, line);
}

}  // namespace detail

}  // namespace denser
