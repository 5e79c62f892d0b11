#pragma once
#include <cstddef>
#include <functional>

namespace denser {

/// Threads to use when the caller asks for 0 ("all"): std::thread::hardware_concurrency().
int default_num_threads();

/// Sets the threads of the BLAS that libtorch and FAISS call (OpenBLAS's own pthread pool,
/// which follows neither OpenMP nor at::set_num_threads) to num_threads (0 = all cores),
/// so that "one thread" means one core. A no-op when the BLAS is not OpenBLAS. The count
/// is process-wide: it changes only when it differs from the current one.
void set_blas_threads(int num_threads);

/// Runs fn(begin, end, thread_index) over [0, n) split into contiguous chunks of about
/// `grain` items, handed out dynamically to num_threads threads (0 = all cores; the calling
/// thread takes part). The first exception thrown by fn is rethrown after all threads stop.
void parallel_for(size_t n, int num_threads, size_t grain,
                  const std::function<void(size_t begin, size_t end, int thread_index)>& fn);

}  // namespace denser
