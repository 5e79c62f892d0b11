#pragma once
// Search internals: a cursor over one query term's compressed postings, the scoring
// context, and the top-k selection.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "denser/sparse/bm25_index.h"
#include "bm25_index_impl.h"
#include "postings_codec.h"

namespace denser::bm25_detail {

inline constexpr uint32_t kEndDoc = UINT32_MAX;

/// What the cursors score with: the model for the search's parameters, whether its bounds
/// may use the tight "best posting" pairs (parameters equal the index defaults), and the
/// per-document length data.
struct ScoringContext {
  const Bm25Index::Impl* index = nullptr;
  const ScoreModel* model = nullptr;
  bool tight_bounds = false;

  /// Upper bound of the score of any posting summarized by a TermEntry or BlockMeta.
  template <typename Summary>
  float bound(float weight, const Summary& s) const {
    if (tight_bounds)
      return bm25_term_score(weight, static_cast<float>(s.best_tf), model->norm_inverse_for_length(s.best_len));
    return bm25_term_score(weight, static_cast<float>(s.max_tf), model->norm_inverse_for_length(s.min_len));
  }
};

/// Scores postings; kExact selects the length mode at compile time. Built once per query so
/// that the pointers it reads live in registers in the inner loops.
template <bool kExact>
struct PostingScorer {
  explicit PostingScorer(const ScoringContext& ctx)
      : model(ctx.model), table(ctx.model->table()), norms(ctx.index->doc_norms), lengths(ctx.index->doc_lengths) {}

  float operator()(float weight, uint32_t doc, uint32_t tf) const {
    const float norm_inverse = kExact ? model->exact_norm_inverse(lengths[doc]) : table[norms[doc]];
    return bm25_term_score(weight, static_cast<float>(tf), norm_inverse);
  }

  const ScoreModel* model;
  const float* table;
  const uint8_t* norms;
  const uint32_t* lengths;
};

/// Document-at-a-time iterator over one term's postings, decoding one block at a time.
/// `doc` is the current document (kEndDoc when exhausted); `shallow` moves ahead over the
/// block table alone, to read block bounds without decoding. Frequencies are decoded only
/// for the blocks where one is read.
struct TermCursor {
  const Bm25Index::Impl* index = nullptr;
  uint64_t term = 0;
  const bm25_format::BlockMeta* blocks = nullptr;
  uint32_t num_blocks = 0;
  float weight = 0.0f;       // boost * idf
  uint32_t query_index = 0;  // position among the query's terms: the summation order
  double max_score = 0.0;    // bound over the whole term

  uint32_t block = 0;    // block whose postings are in docs/tfs
  uint32_t shallow = 0;  // first block that may hold the current window (block table only)
  uint32_t pos = 0;
  uint32_t count = 0;
  uint32_t doc = kEndDoc;
  bool tfs_ready = false;  // tfs[] holds the current block's frequencies
  Bm25SearchStats* stats = nullptr;
  uint32_t docs[bm25_format::kBlockSize];
  uint32_t tfs[bm25_format::kBlockSize];

  void init(const Bm25Index::Impl* owner, uint64_t t, float w, uint32_t qi, Bm25SearchStats* counters) {
    index = owner;
    term = t;
    const bm25_format::TermEntry& e = owner->terms[t];
    blocks = owner->blocks + e.first_block;
    num_blocks = static_cast<uint32_t>(bm25_format::num_blocks_for(e.df));
    weight = w;
    query_index = qi;
    stats = counters;
    load(0);
  }

  void load(uint32_t b) {
    block = b;
    count = static_cast<uint32_t>(index->decode_docs(term, b, docs));
    tfs_ready = false;
    pos = 0;
    doc = docs[0];
    ++stats->blocks_decoded;
    stats->postings_decoded += count;
  }

  /// Frequency of the current posting; the block's frequencies are decoded on first use.
  uint32_t tf() {
    if (!tfs_ready) decode_tfs();
    return tfs[pos];
  }
  void decode_tfs() {
    postings_codec::decode_tfs(index->block_ref(term, block).data, count, tfs);
    tfs_ready = true;
  }

  void next() {
    if (++pos < count) {
      doc = docs[pos];
    } else if (block + 1 < num_blocks) {
      load(block + 1);
    } else {
      doc = kEndDoc;
    }
  }

  /// Calls fn(doc, tf) for every posting from the current one up to (excluding) document
  /// `end`, and leaves the cursor on the first document >= end. Runs block by block.
  template <typename Fn>
  void for_each_until(uint64_t end, Fn&& fn) {
    while (doc < end) {
      if (!tfs_ready) decode_tfs();
      uint32_t p = pos;
      const uint32_t n = count;
      if (blocks[block].last_doc < end) {
        for (; p < n; ++p) fn(docs[p], tfs[p]);
      } else {
        for (; docs[p] < end; ++p) fn(docs[p], tfs[p]);  // stops inside the block
        pos = p;
        doc = docs[p];
        return;
      }
      if (block + 1 < num_blocks) {
        load(block + 1);
      } else {
        pos = n;
        doc = kEndDoc;
      }
    }
  }

  /// Moves to the first document >= target.
  void advance(uint32_t target) {
    if (doc >= target) return;
    if (blocks[block].last_doc < target) {
      uint32_t b = std::max(block + 1, shallow);
      while (b < num_blocks && blocks[b].last_doc < target) ++b;
      if (b == num_blocks) {
        doc = kEndDoc;
        return;
      }
      load(b);
    }
    while (docs[pos] < target) ++pos;  // stops: the block's last document is >= target
    doc = docs[pos];
  }
};

/// A (score, doc) pair as one integer whose ascending order is the result order: score
/// descending, ties by smaller document number (Lucene's order). Comparing one integer is
/// branch-free, unlike comparing the pair.
inline uint64_t hit_key(float score, uint32_t doc) {
  uint32_t bits;
  std::memcpy(&bits, &score, sizeof(bits));
  bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // ascending with the float
  return (static_cast<uint64_t>(~bits) << 32) | doc;
}

inline Bm25Hit hit_from_key(uint64_t key) {
  uint32_t bits = ~static_cast<uint32_t>(key >> 32);
  bits = (bits & 0x80000000u) ? (bits & 0x7fffffffu) : ~bits;
  float score;
  std::memcpy(&score, &bits, sizeof(score));
  return {static_cast<uint32_t>(key), score};
}

/// Sorts keys ascending: least-significant-digit radix sort, 8 bits a pass, skipping the
/// digits that all keys share (the high document bits, most exponent bits). O(n).
void radix_sort(std::vector<uint64_t>& keys);

/// The best k (score, doc) pairs offered. Candidates collect in a buffer of about 2k; the
/// worst of the first k becomes the threshold that later offers must beat, and when the
/// buffer fills, nth_element keeps the best k and their worst becomes the new threshold.
/// Amortized O(1) per offer (a heap costs O(log k)) and one radix sort at the end, at the
/// price of a threshold that lags behind the exact k-th best score. The buffer is 2k (at
/// least k + 8): a small k keeps its threshold close to exact, which is what lets pruning
/// skip (a 64-slot floor cost k = 10 a fifth of its speed on 1M documents).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k), capacity_(k + std::max<size_t>(k, 8)) {}

  /// The score to beat, once known: the k-th best of a subset of the offers, so never
  /// above the k-th best of all of them.
  bool has_threshold() const { return has_kth_; }
  float threshold() const { return hit_from_key(kth_).score; }

  /// Offers a pair (k_ must be > 0). Returns true when the threshold was raised.
  bool offer(float score, uint32_t doc) {
    const uint64_t key = hit_key(score, doc);
    if (has_kth_ && key >= kth_) return false;
    keys_.push_back(key);
    if (keys_.size() == k_ && !has_kth_) {
      // The first k offers: their worst is already a valid threshold.
      kth_ = *std::max_element(keys_.begin(), keys_.end());
      has_kth_ = true;
      return true;
    }
    if (keys_.size() < capacity_) return false;
    keep_best_k();
    kth_ = keys_[k_ - 1];
    return true;
  }

  /// The best k, best first.
  std::vector<Bm25Hit> take_sorted() {
    radix_sort(keys_);  // O(n): cheaper than selecting the best k first
    if (keys_.size() > k_) keys_.resize(k_);
    std::vector<Bm25Hit> hits(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) hits[i] = hit_from_key(keys_[i]);
    return hits;
  }

 private:
  // Leaves the k smallest keys in keys_[0, k), the largest of them at k - 1.
  void keep_best_k() {
    std::nth_element(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), keys_.end());
    keys_.resize(k_);
  }

  size_t k_;
  size_t capacity_;
  std::vector<uint64_t> keys_;
  uint64_t kth_ = 0;
  bool has_kth_ = false;
};

/// Puts the top-k documents of the query whose terms are `cursors` (cursor i is query
/// term i, positioned on its first posting, max_score set) into `top`: windowed block-max
/// MaxScore (bm25_maxscore.cpp). Scores equal the exhaustive path's bit for bit.
void run_maxscore(std::vector<TermCursor>& cursors, const ScoringContext& ctx, TopK& top, Bm25SearchStats& stats);

}  // namespace denser::bm25_detail
