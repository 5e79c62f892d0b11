// The kernels carry their own target("avx512f,fma") attribute, so the rest of the build
// stays portable; small_rows_gemm checks the CPU before it calls them.
#include "small_rows_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "denser/common/error.h"

namespace denser::encode_internal {
namespace {

// Rows 0..R of y, the 32 columns of panel `p`: 2R accumulators stay in registers while
// the k loop streams the panel (k x 32 floats, contiguous) once.
template <int R>
__attribute__((target("avx512f,fma"))) void panel(const float* x, int64_t k, const float* panels, int64_t n, int64_t p,
                                                  const float* bias, float* y) {
  const int64_t n0 = p * kSmallGemmPanel;
  const float* w = panels + p * k * kSmallGemmPanel;
  __m512 acc[R][2];
  const __m512 b0 = _mm512_loadu_ps(bias + n0), b1 = _mm512_loadu_ps(bias + n0 + 16);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (int64_t kk = 0; kk < k; ++kk, w += kSmallGemmPanel) {
    const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[r * k + kk]);
      acc[r][0] = _mm512_fmadd_ps(xv, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(xv, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_storeu_ps(y + r * n + n0, acc[r][0]);
    _mm512_storeu_ps(y + r * n + n0 + 16, acc[r][1]);
  }
}

template <int R>
void rows_block(const float* x, int64_t k, const float* panels, int64_t n, const float* bias, float* y) {
  for (int64_t p = 0; p < n / kSmallGemmPanel; ++p) panel<R>(x, k, panels, n, p, bias, y);
}

// Up to 8 rows: 16 accumulators of the 32 registers, the rest for the weights and the
// broadcasts.
void up_to_eight_rows(const float* x, int64_t rows, int64_t k, const float* panels, int64_t n, const float* bias,
                      float* y) {
  switch (rows) {
    case 1: return rows_block<1>(x, k, panels, n, bias, y);
    case 2: return rows_block<2>(x, k, panels, n, bias, y);
    case 3: return rows_block<3>(x, k, panels, n, bias, y);
    case 4: return rows_block<4>(x, k, panels, n, bias, y);
    case 5: return rows_block<5>(x, k, panels, n, bias, y);
    case 6: return rows_block<6>(x, k, panels, n, bias, y);
    case 7: return rows_block<7>(x, k, panels, n, bias, y);
    default: return rows_block<8>(x, k, panels, n, bias, y);
  }
}

}  // namespace

bool small_rows_gemm_available() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return available;
}

void small_rows_gemm(const float* x, int64_t rows, int64_t k, const float* panels, int64_t n, const float* bias,
                     float* y) {
  DENSER_CHECK(rows >= 1 && rows <= kSmallGemmMaxRows && k >= 1 && n >= 1 && n % kSmallGemmPanel == 0,
               ErrorCode::kInternal, "small_rows_gemm: bad shape ", rows, " x ", k, " by ", k, " x ", n);
  DENSER_CHECK(small_rows_gemm_available(), ErrorCode::kUnsupported, "small_rows_gemm: this CPU lacks AVX-512F");
  // Rows in blocks of at most 8 (a second block re-reads the weights, from the caches).
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    const int64_t r = std::min<int64_t>(8, rows - r0);
    up_to_eight_rows(x + r0 * k, r, k, panels, n, bias, y + r0 * n);
  }
}

}  // namespace denser::encode_internal
