#pragma once
// A float32 matrix product for a few rows against a large weight matrix: the shape of one
// query's tokens going through a dense layer. General BLAS GEMMs (OpenBLAS here) copy the
// whole weight matrix into packed panels on every call, which for a handful of rows costs
// more than the arithmetic (a MiniLM query: 13-16 ms, about half of it in that copy).
// This kernel reads weights packed once, in the panel layout it consumes, and keeps the
// accumulators in registers. No libtorch types here.
#include <cstdint>

namespace denser::encode_internal {

/// The most rows small_rows_gemm takes.
inline constexpr int64_t kSmallGemmMaxRows = 16;
/// Output columns per weight panel: n must be a multiple of it.
inline constexpr int64_t kSmallGemmPanel = 32;

/// Whether small_rows_gemm can run on this CPU (it needs AVX-512F; checked once).
bool small_rows_gemm_available();

/// y (rows x n) = x (rows x k) · W^T + bias (n), float32, contiguous and row-major, for
/// W (n x k) given as panels: (n / kSmallGemmPanel, k, kSmallGemmPanel), i.e. panel p,
/// row kk holds W[p*32 .. p*32+31][kk], so each panel streams from memory in order.
/// 1 <= rows <= kSmallGemmMaxRows; n a multiple of kSmallGemmPanel. Accumulates in
/// float32 in the order of k. Requires small_rows_gemm_available(). Single-threaded;
/// thread-safe.
void small_rows_gemm(const float* x, int64_t rows, int64_t k, const float* panels, int64_t n, const float* bias,
                     float* y);

}  // namespace denser::encode_internal
