#pragma once
// The fused route: the BERT forward pass on raw float32 buffers of packed real tokens,
// without libtorch. For one query, libtorch's cost is not the arithmetic but its ~25
// operators per layer (dispatch, allocation, layout changes), several milliseconds per
// query; for a batch, it is attention on the padded layout and the copies around it.
// Here every step is one loop over the packed tokens: the dense layers run
// small_rows_gemm on weights packed once, attention runs per sequence and head on its own
// tokens (no padding at all), and softmax, GELU and LayerNorm are fused loops over rows.
//
// The numbers are those of the libtorch route: the same weights (the fused and scaled
// query/key/value projection included), float32 accumulation in the same order for the
// products, the exact erf GELU, softmax and LayerNorm in float32. bf16 differs only in the
// dense products' operands (rounded to bfloat16, as on the libtorch bf16 route);
// attention stays float32 here.
//
// The caller (bert_model.cpp) owns the weights and hands them over as pointers; this file
// knows nothing of libtorch. Requires small_rows_gemm_available() (AVX-512F), and
// small_rows_gemm_bf16_available() for the bf16 products.
#include <cstdint>
#include <span>
#include <vector>

namespace denser::encode_internal {

/// Batches of at most this many real tokens (one query, a few short ones) take the fused
/// route on any number of threads.
inline constexpr int64_t kFusedSmallTokens = 64;
/// The most real tokens (all sequences together) the fused route takes; above
/// kFusedSmallTokens only in float32 on one thread (the route is single-threaded: on more
/// threads libtorch's products scale and it does not; and for large bf16 batches oneDNN's
/// bf16 products measured as fast or faster, docs/benchmarks.md).
inline constexpr int64_t kFusedMaxTokens = 8192;

/// y = x W^T + b: W as small_rows_gemm panels (float32), or as small_rows_gemm_bf16 pair
/// panels when pair_panels is set.
struct FusedLinear {
  const float* panels = nullptr;
  const uint16_t* pair_panels = nullptr;
  const float* bias = nullptr;
  int64_t in = 0, out = 0;
};

struct FusedNorm {
  const float* weight = nullptr;
  const float* bias = nullptr;
  float eps = 1e-12f;
};

/// One post-LayerNorm encoder layer. qkv: query, key and value projections fused along
/// the output (3 x hidden), the query's part already scaled by 1/sqrt(head_dim).
struct FusedLayer {
  FusedLinear qkv, attention_out, intermediate, output;
  FusedNorm attention_norm, output_norm;
  int64_t heads = 0;
};

/// Embedding tables, (rows, hidden) float32 each, and their LayerNorm.
struct FusedEmbeddings {
  const float* word = nullptr;
  const float* position = nullptr;
  const float* token_type = nullptr;
  FusedNorm norm;
  int64_t hidden = 0;
};

/// x (n x hidden, packed) = LayerNorm(word[ids] + position[positions] + token_type[types]).
void fused_embed(const FusedEmbeddings& e, std::span<const int64_t> ids, std::span<const int64_t> positions,
                 std::span<const int64_t> types, float* x);

/// Runs one layer in place on x (n x hidden): the packed tokens of consecutive sequences
/// whose lengths are `lengths` (their sum n <= kFusedMaxTokens); each token attends to the
/// tokens of its own sequence only.
void fused_layer(const FusedLayer& layer, std::span<const int64_t> lengths, float* x);

}  // namespace denser::encode_internal
