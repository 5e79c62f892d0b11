// small_rows_gemm and small_rows_gemm_bf16 against the product computed in double
// precision (the oracle; for bf16, of the operands rounded to bfloat16), over row counts
// on both sides of the 8-row blocks up to the limit, one and many panels, small k.
#include "encode/small_rows_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace denser::encode_internal {
namespace {

// The row counts tested: every one to 17, then both sides of the larger blocks.
std::vector<int64_t> row_counts() {
  std::vector<int64_t> rows;
  for (int64_t r = 1; r <= 17; ++r) rows.push_back(r);
  for (int64_t r : {int64_t{31}, int64_t{32}, int64_t{33}, kSmallGemmMaxRows - 1, kSmallGemmMaxRows}) rows.push_back(r);
  return rows;
}

// float32 rounded to bfloat16 (nearest even) and back.
float bf16_round(float f) {
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

TEST(SmallRowsGemm, MatchesADoublePrecisionProduct) {
  if (!small_rows_gemm_available()) GTEST_SKIP() << "this CPU lacks AVX-512F; the encoder uses the BLAS instead";
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t k : {1, 37, 384}) {
    for (int64_t n : {32, 64, 1152}) {
      for (int64_t rows : row_counts()) {
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

TEST(SmallRowsGemm, Bf16MatchesADoublePrecisionProductOfRoundedOperands) {
  if (!small_rows_gemm_bf16_available()) GTEST_SKIP() << "this CPU lacks AVX512-BF16; bf16 takes oneDNN's route";
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t k : {2, 38, 384}) {
    for (int64_t n : {32, 1152}) {
      for (int64_t rows : row_counts()) {
        std::vector<float> x(rows * k), w(n * k), bias(n), y(rows * n, -7.0f);
        for (float& v : x) v = normal(rng);
        for (float& v : w) v = bf16_round(normal(rng));
        for (float& v : bias) v = normal(rng);
        // W (n x k) into pair panels (n / 32, k / 2, 32, 2) of bfloat16 bits.
        std::vector<uint16_t> panels(n * k);
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t kk = 0; kk < k; ++kk) {
            uint32_t bits = 0;
            std::memcpy(&bits, &w[j * k + kk], sizeof bits);
            panels[(j / kSmallGemmPanel) * k * kSmallGemmPanel + (kk / 2) * 2 * kSmallGemmPanel +
                   (j % kSmallGemmPanel) * 2 + kk % 2] = static_cast<uint16_t>(bits >> 16);
          }
        }
        small_rows_gemm_bf16(x.data(), rows, k, panels.data(), n, bias.data(), y.data());
        double worst = 0;
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t j = 0; j < n; ++j) {
            double s = bias[j];
            for (int64_t kk = 0; kk < k; ++kk) s += double{bf16_round(x[r * k + kk])} * double{w[j * k + kk]};
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
