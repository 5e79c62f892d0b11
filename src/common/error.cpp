#include "denser/common/error.h"

namespace denser::detail {

void throw_error(const char* file, int line, std::string message) {
  throw Error(std::move(message), file, line);
}

}  // namespace denser::detail
