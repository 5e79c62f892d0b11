#pragma once
// A torch-free switch for the oneDNN inference route of the transformer network (see
// transformer_model.h), so that torch-free tests and benchmarks can compare both routes.

#include <cstdint>
#include <string_view>

namespace denser::encode_internal {

/// Inference precision of the transformer's dense layers: kFp32, or kBf16 (bfloat16
/// inputs and weights, float32 accumulation and output; oneDNN's AVX512-BF16 / AMX
/// kernels where the CPU has them).
enum class Precision { kFp32, kBf16 };
/// "fp32" or "bf16"; throws denser::Error naming the value otherwise.
Precision parse_precision(std::string_view name);

/// Inference on the CPU (eval mode, no grad) takes the inference route: packed real
/// tokens, fused and cached weights, bf16 through oneDNN, fp32 through oneDNN, the system
/// BLAS or small_rows_gemm by shape. On by default; off forces the plain libtorch path
/// (the training path) everywhere. Thread-safe (an atomic flag).
void set_use_onednn(bool enabled);

/// Inference batches of at most kFusedSmallTokens real tokens (one query), and in float32
/// on one thread of at most kFusedMaxTokens, take the fused route (fused_layers.h: no libtorch
/// operators) where the CPU has AVX-512. On by default; off sends them through the
/// libtorch inference route. Thread-safe.
void set_use_fused(bool enabled);
/// How many forward passes have taken the fused route in this process (for tests).
uint64_t fused_forwards();

}  // namespace denser::encode_internal
