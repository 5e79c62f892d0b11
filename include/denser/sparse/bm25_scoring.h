#pragma once
// BM25 exactly as Lucene's BM25Similarity (Lucene 9/10, what Anserini and Pyserini use),
// including its float arithmetic and its lossy one-byte document lengths, so that scores
// match theirs bit for bit in the common case.
//
//   idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))          (double, then rounded to float)
//   score   = boost * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))
//
// N is the number of documents with at least one term (Lucene's docCount), avgdl the
// total term count divided by N, dl Lucene's decoded one-byte length (or the exact length
// when Bm25Params::exact_lengths). There is no (k1 + 1) factor (removed in Lucene 8).
#include <cstdint>

namespace denser {

/// The parameters that change BM25 scores. Defaults are Anserini's (k1 = 0.9, b = 0.4).
struct Bm25Params {
  float k1 = 0.9f;
  float b = 0.4f;
  /// false: dl is Lucene's quantized length (SmallFloat.intToByte4 then byte4ToInt);
  /// true: dl is the exact number of terms in the document.
  bool exact_lengths = false;

  bool operator==(const Bm25Params&) const = default;
};

/// Throws denser::Error unless k1 is finite and >= 0 and b is in [0, 1].
void validate_bm25_params(const Bm25Params& params);

/// Lucene's SmallFloat.intToByte4: lengths 0..39 are kept exactly, larger ones keep four
/// significant bits. Monotone non-decreasing.
uint8_t length_to_norm_byte(uint32_t length);
/// Lucene's SmallFloat.byte4ToInt: the length a norm byte stands for.
uint32_t norm_byte_to_length(uint8_t norm);
/// norm_byte_to_length(length_to_norm_byte(length)): the dl Lucene scores with.
inline uint32_t quantize_length(uint32_t length) { return norm_byte_to_length(length_to_norm_byte(length)); }

/// ln(1 + (num_docs - df + 0.5) / (df + 0.5)) computed in double and rounded to float.
float bm25_idf(uint64_t df, uint64_t num_docs);
/// total_terms / num_docs computed in double and rounded to float (0 when num_docs is 0).
float bm25_avgdl(uint64_t total_terms, uint64_t num_docs);

/// 1 / (k1 * ((1 - b) + b * dl / avgdl)), in float and in Lucene's operation order.
inline float bm25_norm_inverse(float k1, float b, float dl, float avgdl) {
  return 1.0f / (k1 * ((1.0f - b) + b * dl / avgdl));
}

/// One term's contribution: weight * tf / (tf + 1 / norm_inverse), rewritten as Lucene
/// does (weight - weight / (1 + tf * norm_inverse)) so that it is monotone in tf and in
/// norm_inverse under float rounding; the pruning bounds rely on that monotonicity.
/// weight = query-term boost * idf.
inline float bm25_term_score(float weight, float tf, float norm_inverse) {
  return weight - weight / (1.0f + tf * norm_inverse);
}

}  // namespace denser
