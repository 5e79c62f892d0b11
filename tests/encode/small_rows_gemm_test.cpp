// small_rows_gemm against the product computed in double precision (the oracle), over
// every row count it takes (both sides of the 8-row blocks), one and many panels, k = 1.
#include "encode/small_rows_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace denser::encode_internal {
namespace {

TEST(SmallRowsGemm, MatchesADoublePrecisionProduct) {
  if (!small_rows_gemm_available()) GTEST_SKIP() << "this CPU lacks AVX-512F; the encoder uses the BLAS instead";
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t k : {1, 37, 384}) {
    for (int64_t n : {32, 64, 1152}) {
      for (int64_t rows = 1; rows <= kSmallGemmMaxRows; ++rows) {
        std::vector<float> x(rows * k), w(n * k), bias(n), y(rows * n, -7.0f);
        for (float& v : x) v = normal(rng);
        for (float& v : w) v = normal(rng);
        for (float& v : bias) v = normal(rng);
        // W (n x k) into panels (n / 32, k, 32).
        std::vector<float> panels(n * k);
        for (int64_t j = 0; j < n; ++j)
          for (int64_t kk = 0; kk < k; ++kk)
            panels[(j / kSmallGemmPanel) * k * kSmallGemmPanel + kk * kSmallGemmPanel + j % kSmallGemmPanel] =
                w[j * k + kk];
        small_rows_gemm(x.data(), rows, k, panels.data(), n, bias.data(), y.data());
        double worst = 0;
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t j = 0; j < n; ++j) {
            double s = bias[j];
            for (int64_t kk = 0; kk < k; ++kk) s += double{x[r * k + kk]} * double{w[j * k + kk]};
            // float32 accumulation over k terms of size ~1: error ~ sqrt(k) * 2^-24 * |terms|
            worst = std::max(worst, std::abs(s - y[r * n + j]) / (1.0 + std::sqrt(static_cast<double>(k))));
          }
        }
        EXPECT_LT(worst, 1e-5) << rows << " x " << k << " by " << k << " x " << n;
      }
    }
  }
}

TEST(SmallRowsGemm, RejectsShapesOutsideItsRange) {
  if (!small_rows_gemm_available()) GTEST_SKIP() << "this CPU lacks AVX-512F";
  std::vector<float> buf(64 * 64, 0.0f);
  EXPECT_THROW(small_rows_gemm(buf.data(), 0, 4, buf.data(), 4, buf.data(), buf.data()), std::exception);
  EXPECT_THROW(small_rows_gemm(buf.data(), kSmallGemmMaxRows + 1, 4, buf.data(), 32, buf.data(), buf.data()),
               std::exception);
  EXPECT_THROW(small_rows_gemm(buf.data(), 2, 4, buf.data(), 40, buf.data(), buf.data()), std::exception);
}

}  // namespace
}  // namespace denser::encode_internal
