// Every function that touches a vector register carries its own target attribute, so the
// rest of the build stays portable; the caller checks the CPU first (fused_layers.h).
#include "fused_layers.h"

#include <immintrin.h>

// GCC 12 reports the self-initialized `__Y = __Y` placeholders inside immintrin.h's
// _mm512_undefined_*() as uninitialized when they are inlined into target-attributed
// functions: a known false positive, silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "denser/common/error.h"
#include "small_rows_gemm.h"

#define DENSER_AVX512 __attribute__((target("avx512f,fma")))

namespace denser::encode_internal {
namespace {

// Lanes i..i+15 of n that exist, as a load/store mask.
DENSER_AVX512 inline __mmask16 lanes(int64_t i, int64_t n) {
  const int64_t left = n - i;
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

DENSER_AVX512 float dot(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(i, n);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

// y += a * x
DENSER_AVX512 void axpy(float a, const float* x, float* y, int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(i, n);
    _mm512_mask_storeu_ps(y + i, m,
                          _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

// e^x for 16 floats: x = k ln 2 + r with |r| <= ln 2 / 2 (ln 2 split in two for an exact
// k ln 2), a degree-7 polynomial for e^r (Cephes' expf coefficients, about 1 ulp), then
// scaled by 2^k. Inputs below -88.37 give 0's neighbourhood, as expf does.
DENSER_AVX512 __m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-88.3762626647949f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, k);
}

// erf for 16 floats, the rational approximation libtorch's vectorized erf uses
// (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7), so GELU matches its kernel:
// erf(x) = sign(x) (1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^{-x^2}), t = 1 / (1 + p|x|).
DENSER_AVX512 __m512 erf16(__m512 x) {
  const __m512 sign = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 t =
      _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), ax, _mm512_set1_ps(1.0f)));
  __m512 r = _mm512_set1_ps(1.061405429f);
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-1.453152027f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(1.421413741f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-0.284496736f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(0.254829592f));
  r = _mm512_mul_ps(r, t);
  const __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), ax), ax));
  const __m512 y = _mm512_fnmadd_ps(r, e, _mm512_set1_ps(1.0f));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), _mm512_castps_si512(sign)));
}

// x <- x (1 + erf(x / sqrt 2)) / 2, the exact GELU.
DENSER_AVX512 void gelu(float* x, int64_t n) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f),
               inv_sqrt2 = _mm512_set1_ps(0.70710678118654752f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(i, n);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 g = _mm512_mul_ps(_mm512_mul_ps(v, half), _mm512_add_ps(one, erf16(_mm512_mul_ps(v, inv_sqrt2))));
    _mm512_mask_storeu_ps(x + i, m, g);
  }
}

// s <- softmax(s) over n scores.
DENSER_AVX512 void softmax(float* s, int64_t n) {
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 16) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, lanes(i, n), s + i));
  const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(i, n);
    const __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + i), top)));
    _mm512_mask_storeu_ps(s + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(i, n);
    _mm512_mask_storeu_ps(s + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + i), inv));
  }
}

// x <- LayerNorm(x + residual) over one row of h (residual may be null).
DENSER_AVX512 void add_layer_norm(float* x, const float* residual, const FusedNorm& norm, int64_t h) {
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < h; i += 16) {
    const __mmask16 m = lanes(i, h);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    if (residual != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual + i));
    _mm512_mask_storeu_ps(x + i, m, v);
    sum = _mm512_add_ps(sum, v);
  }
  const float mean = _mm512_reduce_add_ps(sum) / static_cast<float>(h);
  const __m512 mean_v = _mm512_set1_ps(mean);
  __m512 sq = _mm512_setzero_ps();
  for (int64_t i = 0; i < h; i += 16) {
    const __mmask16 m = lanes(i, h);
    const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), mean_v);
    sq = _mm512_fmadd_ps(d, d, sq);
  }
  const float var = _mm512_reduce_add_ps(sq) / static_cast<float>(h);
  const __m512 scale = _mm512_set1_ps(1.0f / std::sqrt(var + norm.eps));
  for (int64_t i = 0; i < h; i += 16) {
    const __mmask16 m = lanes(i, h);
    const __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mean_v), scale);
    const __m512 y =
        _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, norm.weight + i), _mm512_maskz_loadu_ps(m, norm.bias + i));
    _mm512_mask_storeu_ps(x + i, m, y);
  }
}

// y (n x out) = x (n x in) W^T + b.
void linear(const FusedLinear& w, const float* x, int64_t n, float* y) {
  if (w.pair_panels != nullptr) {
    small_rows_gemm_bf16(x, n, w.in, w.pair_panels, w.out, w.bias, y);
  } else {
    small_rows_gemm(x, n, w.in, w.panels, w.out, w.bias, y);
  }
}

// Query rows taken together by the attention kernels: their accumulators share each
// load of a key or value.
constexpr int kRowsAtOnce = 4;

// scores[r][j] = q_r . k_j for kRowsAtOnce query rows (q[r]: d floats) and len keys held
// transposed in kt (d rows of `stride` floats, zero past len), 16 keys per step.
DENSER_AVX512 void scores_rows(const float* const* q, const float* kt, int64_t d, int64_t len, int64_t stride,
                               float* scores) {
  for (int64_t j = 0; j < len; j += 16) {
    __m512 acc[kRowsAtOnce];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (int64_t t = 0; t < d; ++t) {
      const __m512 k = _mm512_loadu_ps(kt + t * stride + j);
      for (int r = 0; r < kRowsAtOnce; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[r][t]), k, acc[r]);
    }
    for (int r = 0; r < kRowsAtOnce; ++r) _mm512_storeu_ps(scores + r * stride + j, acc[r]);
  }
}

// out[r] (d floats) = sum_j p[r][j] v_j over len values v_j = v + j * v_stride, for
// kRowsAtOnce rows of weights p (rows of `stride`); d <= 16 * Blocks.
template <int Blocks>
DENSER_AVX512 void weighted_rows(const float* p, int64_t stride, const float* v, int64_t v_stride, int64_t len,
                                 int64_t d, float* const* out) {
  __m512 acc[kRowsAtOnce][Blocks];
  __mmask16 mask[Blocks];
  for (int b = 0; b < Blocks; ++b) mask[b] = lanes(16 * b, d);
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t j = 0; j < len; ++j, v += v_stride) {
    for (int b = 0; b < Blocks; ++b) {
      const __m512 vb = _mm512_maskz_loadu_ps(mask[b], v + 16 * b);
      for (int r = 0; r < kRowsAtOnce; ++r)
        acc[r][b] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * stride + j]), vb, acc[r][b]);
    }
  }
  for (int r = 0; r < kRowsAtOnce; ++r)
    if (out[r] != nullptr)
      for (int b = 0; b < Blocks; ++b) _mm512_mask_storeu_ps(out[r] + 16 * b, mask[b], acc[r][b]);
}

void weighted(int blocks, const float* p, int64_t stride, const float* v, int64_t v_stride, int64_t len, int64_t d,
              float* const* out) {
  switch (blocks) {
    case 1: return weighted_rows<1>(p, stride, v, v_stride, len, d, out);
    case 2: return weighted_rows<2>(p, stride, v, v_stride, len, d, out);
    case 3: return weighted_rows<3>(p, stride, v, v_stride, len, d, out);
    default: return weighted_rows<4>(p, stride, v, v_stride, len, d, out);
  }
}

// One sequence's attention for one head: softmax(q k^T) v for its len tokens, rows of qkv
// (stride 3h) from `first`; q already scaled. head_dim d <= 64.
void attend(const float* qkv, int64_t first, int64_t len, int64_t head, int64_t h, int64_t d, float* context,
            std::vector<float>& kt, std::vector<float>& scores) {
  const int64_t stride = (len + 15) / 16 * 16;
  kt.assign(static_cast<size_t>(d * stride), 0.0f);  // keys transposed, zero past len
  for (int64_t j = 0; j < len; ++j) {
    const float* k = qkv + (first + j) * 3 * h + h + head * d;
    for (int64_t t = 0; t < d; ++t) kt[t * stride + j] = k[t];
  }
  scores.resize(static_cast<size_t>(kRowsAtOnce * stride));
  const float* v = qkv + first * 3 * h + 2 * h + head * d;
  for (int64_t i0 = 0; i0 < len; i0 += kRowsAtOnce) {
    const float* q[kRowsAtOnce];
    float* out[kRowsAtOnce];
    for (int r = 0; r < kRowsAtOnce; ++r) {
      const int64_t i = std::min<int64_t>(i0 + r, len - 1);  // past the end: a repeat, not stored
      q[r] = qkv + (first + i) * 3 * h + head * d;
      out[r] = i0 + r < len ? context + (first + i) * h + head * d : nullptr;
    }
    scores_rows(q, kt.data(), d, len, stride, scores.data());
    for (int r = 0; r < kRowsAtOnce; ++r) softmax(scores.data() + r * stride, len);
    weighted(static_cast<int>((d + 15) / 16), scores.data(), stride, v, 3 * h, len, d, out);
  }
}

// context (n x h) from the fused projections qkv (n x 3h): per sequence and head,
// softmax(q k^T) v, q already scaled.
void attention(const float* qkv, std::span<const int64_t> lengths, int64_t heads, int64_t h, float* context) {
  const int64_t d = h / heads;
  thread_local std::vector<float> kt, scores;
  int64_t start = 0;
  for (const int64_t len : lengths) {
    for (int64_t head = 0; head < heads; ++head) {
      if (d <= 64) {
        attend(qkv, start, len, head, h, d, context, kt, scores);
        continue;
      }
      scores.resize(static_cast<size_t>(len));
      for (int64_t i = start; i < start + len; ++i) {  // wide heads: one row at a time
        const float* q = qkv + i * 3 * h + head * d;
        for (int64_t j = 0; j < len; ++j) scores[j] = dot(q, qkv + (start + j) * 3 * h + h + head * d, d);
        softmax(scores.data(), len);
        float* out = context + i * h + head * d;
        std::memset(out, 0, static_cast<size_t>(d) * sizeof(float));
        for (int64_t j = 0; j < len; ++j) axpy(scores[j], qkv + (start + j) * 3 * h + 2 * h + head * d, out, d);
      }
    }
    start += len;
  }
}

// Scratch buffers: those of small batches are kept between calls by each thread (a query
// allocates nothing); large batches allocate their own (tens of MB) and free them.
struct Scratch {
  std::vector<float> qkv, context, attended, inner;
};

}  // namespace

void fused_embed(const FusedEmbeddings& e, std::span<const int64_t> ids, std::span<const int64_t> positions,
                 std::span<const int64_t> types, float* x) {
  const int64_t h = e.hidden;
  for (size_t t = 0; t < ids.size(); ++t) {
    float* row = x + static_cast<int64_t>(t) * h;
    const float* w = e.word + ids[t] * h;
    const float* p = e.position + positions[t] * h;
    const float* ty = e.token_type + types[t] * h;
    for (int64_t i = 0; i < h; ++i) row[i] = (w[i] + p[i]) + ty[i];
    add_layer_norm(row, nullptr, e.norm, h);
  }
}

void fused_layer(const FusedLayer& layer, std::span<const int64_t> lengths, float* x) {
  const int64_t n = std::accumulate(lengths.begin(), lengths.end(), int64_t{0});
  const int64_t h = layer.qkv.in, inner = layer.intermediate.out;
  DENSER_CHECK(n >= 1 && n <= kFusedMaxTokens && layer.heads > 0 && h % layer.heads == 0 && layer.qkv.out == 3 * h,
               ErrorCode::kInternal, "fused_layer: bad shape (", n, " tokens, hidden ", h, ")");
  thread_local Scratch small;
  Scratch large;
  Scratch& s = n <= kFusedSmallTokens ? small : large;
  s.qkv.resize(static_cast<size_t>(n * 3 * h));
  s.context.resize(static_cast<size_t>(n * h));
  s.attended.resize(static_cast<size_t>(n * h));
  s.inner.resize(static_cast<size_t>(n * inner));
  linear(layer.qkv, x, n, s.qkv.data());
  attention(s.qkv.data(), lengths, layer.heads, h, s.context.data());
  linear(layer.attention_out, s.context.data(), n, s.attended.data());
  for (int64_t t = 0; t < n; ++t) add_layer_norm(s.attended.data() + t * h, x + t * h, layer.attention_norm, h);
  linear(layer.intermediate, s.attended.data(), n, s.inner.data());
  gelu(s.inner.data(), n * inner);
  linear(layer.output, s.inner.data(), n, x);
  for (int64_t t = 0; t < n; ++t) add_layer_norm(x + t * h, s.attended.data() + t * h, layer.output_norm, h);
}

}  // namespace denser::encode_internal
