#pragma once
// A float32 matrix product for a few rows against a large weight matrix: the shape of one
// query's tokens going through a dense layer (and, a block of 8 rows at a time, of a
// batch's packed tokens on the fused route). General BLAS GEMMs (OpenBLAS here) copy the
// whole weight matrix into packed panels on every call, which for a handful of rows costs
// more than the arithmetic (a MiniLM query: 13-16 ms, about half of it in that copy).
// This kernel reads weights packed once, in the panel layout it consumes, and keeps the
// accumulators in registers. No libtorch types here.
#include <cstdint>

namespace denser::encode_internal {

/// The most rows small_rows_gemm takes (the fused route's largest batch).
inline constexpr int64_t kSmallGemmMaxRows = 8192;
/// Output columns per weight panel: n must be a multiple of it.
inline constexpr int64_t kSmallGemmPanel = 32;

/// Whether small_rows_gemm can run on this CPU (it needs AVX-512F; checked once).
bool small_rows_gemm_available();

/// y (rows x n) = x (rows x k) · W^T + bias (n), float32, contiguous and row-major, for
/// W (n x k) given as panels: (n / kSmallGemmPanel, k, kSmallGemmPanel), i.e. panel p,
/// row kk holds W[p*32 .. p*32+31][kk], so each panel streams from memory in order, once:
/// every block of 8 rows takes a panel while it is in the caches.
/// 1 <= rows <= kSmallGemmMaxRows; n a multiple of kSmallGemmPanel. Accumulates in
/// float32 in the order of k. Requires small_rows_gemm_available(). Single-threaded;
/// thread-safe.
void small_rows_gemm(const float* x, int64_t rows, int64_t k, const float* panels, int64_t n, const float* bias,
                     float* y);

/// Whether small_rows_gemm_bf16 can run on this CPU (AVX512-BF16; checked once).
bool small_rows_gemm_bf16_available();

/// The same product with bfloat16 operands (x rounded to nearest even, as libtorch's
/// conversion does) and float32 accumulation, through AVX512-BF16's dot product of pairs:
/// half the weight bytes of float32 and twice the products per instruction. W is given as
/// pair panels of bfloat16 bits: (n / 32, k / 2, 32, 2), i.e. panel p, pair j holds
/// W[p*32 + o][2j], W[p*32 + o][2j + 1] for o = 0..31 in turn. k even; otherwise as
/// small_rows_gemm. Requires small_rows_gemm_bf16_available().
void small_rows_gemm_bf16(const float* x, int64_t rows, int64_t k, const uint16_t* pair_panels, int64_t n,
                          const float* bias, float* y);

}  // namespace denser::encode_internal
