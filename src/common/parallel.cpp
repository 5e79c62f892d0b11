#include "denser/common/parallel.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace denser {

int default_num_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_blas_threads(int num_threads) {
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  // Looked up at run time: the BLAS behind libblas.so.3 is chosen by the system
  // (update-alternatives), and only OpenBLAS has these.
  static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  static const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  static std::mutex mutex;
  if (set == nullptr || get == nullptr) return;
  const int want = num_threads > 0 ? num_threads : default_num_threads();
  std::lock_guard<std::mutex> lock(mutex);
  if (get() != want) set(want);
}

void parallel_for(size_t n, int num_threads, size_t grain, const std::function<void(size_t, size_t, int)>& fn) {
  if (n == 0) return;
  if (num_threads <= 0) num_threads = default_num_threads();
  grain = std::max<size_t>(grain, 1);
  size_t num_chunks = (n + grain - 1) / grain;
  int threads = static_cast<int>(std::min<size_t>(num_threads, num_chunks));
  if (threads <= 1) {
    fn(0, n, 0);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&](int t) {
    try {
      for (;;) {
        size_t chunk = next.fetch_add(1);
        if (chunk >= num_chunks) break;
        size_t begin = chunk * grain;
        fn(begin, std::min(n, begin + grain), t);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(num_chunks);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace denser
