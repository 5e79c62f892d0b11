#pragma once
#include <cstddef>
#include <functional>

namespace denser {

/// Threads to use when the caller asks for 0 ("all"): std::thread::hardware_concurrency().
int default_num_threads();

/// Runs fn(begin, end, thread_index) over [0, n) split into contiguous chunks of about
/// `grain` items, handed out dynamically to num_threads threads (0 = all cores; the calling
/// thread takes part). The first exception thrown by fn is rethrown after all threads stop.
void parallel_for(size_t n, int num_threads, size_t grain,
                  const std::function<void(size_t begin, size_t end, int thread_index)>& fn);

}  // namespace denser
