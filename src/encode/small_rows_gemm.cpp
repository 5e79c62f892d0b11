// The kernels carry their own target("avx512f,fma") attribute, so the rest of the build
// stays portable; small_rows_gemm checks the CPU before it calls them.
#include "small_rows_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

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

// Rows 0..R of y, the 32 columns of pair panel `p` (bfloat16 pairs, see the header):
// each vdpbf16ps multiplies 16 outputs by a broadcast pair of x and adds both products.
// xp holds x as bfloat16 pairs, one uint32 per (row, pair).
template <int R>
__attribute__((target("avx512f,avx512bf16"))) void pair_panel(const uint32_t* xp, int64_t pairs, const uint16_t* panels,
                                                              int64_t n, int64_t p, const float* bias, float* y) {
  const int64_t n0 = p * kSmallGemmPanel;
  const uint16_t* w = panels + p * pairs * 2 * kSmallGemmPanel;
  __m512 acc[R][2];
  const __m512 b0 = _mm512_loadu_ps(bias + n0), b1 = _mm512_loadu_ps(bias + n0 + 16);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (int64_t j = 0; j < pairs; ++j, w += 2 * kSmallGemmPanel) {
    const auto w0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(w));
    const auto w1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(w + kSmallGemmPanel));
    for (int r = 0; r < R; ++r) {
      const auto xv = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(xp[r * pairs + j])));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], xv, w0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], xv, w1);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_storeu_ps(y + r * n + n0, acc[r][0]);
    _mm512_storeu_ps(y + r * n + n0 + 16, acc[r][1]);
  }
}

// Up to 8 rows of one panel: 16 accumulators of the 32 registers, the rest for the
// weights and the broadcasts. Kernel is panel<R> or pair_panel<R>.
template <template <int> class Kernel, typename X, typename W>
void up_to_eight_rows(const X* x, int64_t rows, int64_t k, const W* panels, int64_t n, int64_t p, const float* bias,
                      float* y) {
  switch (rows) {
    case 1: return Kernel<1>::run(x, k, panels, n, p, bias, y);
    case 2: return Kernel<2>::run(x, k, panels, n, p, bias, y);
    case 3: return Kernel<3>::run(x, k, panels, n, p, bias, y);
    case 4: return Kernel<4>::run(x, k, panels, n, p, bias, y);
    case 5: return Kernel<5>::run(x, k, panels, n, p, bias, y);
    case 6: return Kernel<6>::run(x, k, panels, n, p, bias, y);
    case 7: return Kernel<7>::run(x, k, panels, n, p, bias, y);
    default: return Kernel<8>::run(x, k, panels, n, p, bias, y);
  }
}

template <int R>
struct Fp32Kernel {
  static void run(const float* x, int64_t k, const float* panels, int64_t n, int64_t p, const float* bias, float* y) {
    panel<R>(x, k, panels, n, p, bias, y);
  }
};

template <int R>
struct Bf16Kernel {
  static void run(const uint32_t* xp, int64_t pairs, const uint16_t* panels, int64_t n, int64_t p, const float* bias,
                  float* y) {
    pair_panel<R>(xp, pairs, panels, n, p, bias, y);
  }
};

// Rows per block: a block's inputs (256 x k values: 384 KB for k = 384 in float32, 1.5
// MB for the FFN's k = 1536) stay in the caches while every panel passes over them.
constexpr int64_t kRowBlock = 256;

// Panels inside row blocks: each panel (k x 32 values: 48 KB for k = 384 in float32)
// serves every 8 rows of the block from the caches; one query's rows are one block, so
// its weights come from memory once.
template <template <int> class Kernel, typename X, typename W>
void all_rows(const X* x, int64_t rows, int64_t k, const W* panels, int64_t n, const float* bias, float* y) {
  for (int64_t b0 = 0; b0 < rows; b0 += kRowBlock) {
    const int64_t b1 = std::min(rows, b0 + kRowBlock);
    for (int64_t p = 0; p < n / kSmallGemmPanel; ++p) {
      for (int64_t r0 = b0; r0 < b1; r0 += 8) {
        up_to_eight_rows<Kernel>(x + r0 * k, std::min<int64_t>(8, b1 - r0), k, panels, n, p, bias, y + r0 * n);
      }
    }
  }
}

// float32 -> bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN), as
// c10::BFloat16 does.
uint16_t to_bf16(float f) {
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  if (std::isnan(f)) return 0x7fc0;
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

void check_shape(int64_t rows, int64_t k, int64_t n) {
  DENSER_CHECK(rows >= 1 && rows <= kSmallGemmMaxRows && k >= 1 && n >= 1 && n % kSmallGemmPanel == 0,
               ErrorCode::kInternal, "small_rows_gemm: bad shape ", rows, " x ", k, " by ", k, " x ", n);
}

}  // namespace

bool small_rows_gemm_available() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return available;
}

void small_rows_gemm(const float* x, int64_t rows, int64_t k, const float* panels, int64_t n, const float* bias,
                     float* y) {
  check_shape(rows, k, n);
  DENSER_CHECK(small_rows_gemm_available(), ErrorCode::kUnsupported, "small_rows_gemm: this CPU lacks AVX-512F");
  all_rows<Fp32Kernel>(x, rows, k, panels, n, bias, y);
}

bool small_rows_gemm_bf16_available() {
  static const bool available = small_rows_gemm_available() && __builtin_cpu_supports("avx512bf16");
  return available;
}

void small_rows_gemm_bf16(const float* x, int64_t rows, int64_t k, const uint16_t* pair_panels, int64_t n,
                          const float* bias, float* y) {
  check_shape(rows, k, n);
  DENSER_CHECK(k % 2 == 0, ErrorCode::kInternal, "small_rows_gemm_bf16: odd k ", k);
  DENSER_CHECK(small_rows_gemm_bf16_available(), ErrorCode::kUnsupported,
               "small_rows_gemm_bf16: this CPU lacks AVX512-BF16");
  const int64_t pairs = k / 2;
  std::vector<uint32_t> xp(static_cast<size_t>(rows * pairs));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < pairs; ++j) {
      const float* pair = x + r * k + 2 * j;
      xp[r * pairs + j] = static_cast<uint32_t>(to_bf16(pair[0])) | (static_cast<uint32_t>(to_bf16(pair[1])) << 16);
    }
  }
  all_rows<Bf16Kernel>(xp.data(), rows, pairs, pair_panels, n, bias, y);
}

}  // namespace denser::encode_internal
