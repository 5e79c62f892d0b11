#pragma once
// One call that sets every thread pool a libtorch forward or backward pass uses: ATen's
// intra-op threads (OpenMP) and the BLAS's own pool (OpenBLAS ignores at::set_num_threads),
// so that "one thread" means one core. Private header: it includes ATen.
#include <ATen/Parallel.h>

#include "denser/common/parallel.h"

namespace denser::encode_internal {

/// num_threads: 0 = all cores.
inline void set_torch_threads(int num_threads) {
  at::set_num_threads(num_threads > 0 ? num_threads : default_num_threads());
  set_blas_threads(num_threads);
}

}  // namespace denser::encode_internal
