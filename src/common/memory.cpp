#include "denser/common/memory.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "denser/common/log.h"

namespace denser {

bool tune_allocator_for_tensors() {
  const char* choice = std::getenv("DENSER_MALLOC");
  if (choice != nullptr && std::strcmp(choice, "system") == 0) return false;
#if defined(__GLIBC__)
  // No mmap-backed blocks: large buffers are carved from the heap and reused after free.
  // Memory mapped files (embeddings, indexes) are unaffected: they do not go through malloc.
  bool ok = mallopt(M_MMAP_MAX, 0) == 1;
  // Return memory to the kernel only when a lot of it lies free at the top of the heap.
  ok = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && ok;
  if (!ok) DENSER_LOG_WARN("could not tune malloc for tensor work (mallopt refused); continuing with the defaults");
  return ok;
#else
  return false;
#endif
}

}  // namespace denser
