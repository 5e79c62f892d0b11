#pragma once
// The per-parameter-set scoring constants shared by the builder (pruning bounds) and the
// searcher: both must compute a posting's score with exactly the same float operations.
#include <array>
#include <cstdint>

#include "denser/sparse/bm25_scoring.h"

namespace denser::bm25_detail {

class ScoreModel {
 public:
  ScoreModel() = default;
  ScoreModel(const Bm25Params& params, float avgdl) : params_(params), avgdl_(avgdl) {
    // Lucene's cache of 1 / (k1 * ((1 - b) + b * dl / avgdl)) for every norm byte.
    for (int i = 0; i < 256; ++i) {
      const float dl = static_cast<float>(norm_byte_to_length(static_cast<uint8_t>(i)));
      table_[i] = bm25_norm_inverse(params.k1, params.b, dl, avgdl);
    }
  }

  const Bm25Params& params() const { return params_; }
  float avgdl() const { return avgdl_; }
  /// Norm inverse by norm byte (quantized lengths).
  const float* table() const { return table_.data(); }

  /// Norm inverse of a document of exact length `length`, in this model's length mode.
  float norm_inverse_for_length(uint32_t length) const {
    if (params_.exact_lengths) return exact_norm_inverse(length);
    return table_[length_to_norm_byte(length)];
  }
  float exact_norm_inverse(uint32_t length) const {
    return bm25_norm_inverse(params_.k1, params_.b, static_cast<float>(length), avgdl_);
  }

 private:
  Bm25Params params_;
  float avgdl_ = 0.0f;
  std::array<float, 256> table_{};
};

}  // namespace denser::bm25_detail
