// Block-max MaxScore over windows of documents (the scheme of Lucene's
// MaxScoreBulkScorer): for each window of W consecutive document numbers, the query terms
// are split by their block-max bounds inside the window into non-essential ones (whose
// bounds together cannot beat the current top-k threshold) and essential ones. Essential
// terms are scored term-at-a-time into a window-sized table, which avoids a per-document
// merge of the postings lists; every collected document then gets its non-essential
// contributions, unless the bounds show it cannot enter the top k.
//
// Each document's contributions are kept per query term (a row of the table) and summed in
// query-term order at the end, exactly as the exhaustive path sums them, so both give the
// same float scores.
#include <algorithm>
#include <bit>
#include <limits>

#include "bm25_cursor.h"

namespace denser::bm25_detail {
namespace {

// A bound must exceed the threshold by more than the rounding of the double sums and of
// the final float before a document may be skipped: float has 24 significant bits
// (relative error 6e-8), so a relative slack of 1e-6 is safe and costs no real pruning.
constexpr double kSlack = 1e-6;
// The contribution table holds at most this many floats (128 KiB, L2-resident).
constexpr size_t kTableFloats = 32768;

// Lower bound of the cursor's first document >= target, from the block table alone.
uint32_t next_doc_at_least(const TermCursor& c, uint32_t target) {
  if (c.doc >= target) return c.doc;
  if (c.blocks[c.block].last_doc >= target) return target;
  uint32_t j = std::max(c.block + 1, c.shallow);
  while (j < c.num_blocks && c.blocks[j].last_doc < target) ++j;
  if (j == c.num_blocks) return kEndDoc;
  return std::max(target, c.blocks[j - 1].last_doc + 1);
}

// The largest block bound of the blocks that may hold documents in [w0, w1).
float window_bound(TermCursor& c, uint32_t w0, uint64_t w1, const ScoringContext& ctx) {
  if (c.doc == kEndDoc) return 0.0f;
  while (c.shallow < c.num_blocks && c.blocks[c.shallow].last_doc < w0) ++c.shallow;
  float best = 0.0f;
  for (uint32_t j = c.shallow; j < c.num_blocks; ++j) {
    const uint64_t first = j == 0 ? 0 : static_cast<uint64_t>(c.blocks[j - 1].last_doc) + 1;
    if (first >= w1) break;
    best = std::max(best, ctx.bound(c.weight, c.blocks[j]));
  }
  return best;
}

// Per-thread buffers, reused across queries: rows are zeroed again as each document is
// finished, so a query leaves them clean (unless it threw, which `dirty` records).
struct Scratch {
  std::vector<float> rows;        // window row r, term q: rows[r * m + q] (0 when no match)
  std::vector<double> partial;    // per row: sum of the contributions so far (for pruning)
  std::vector<uint64_t> terms;    // per row: bit q set when term q matched (queries of <= 64 terms)
  std::vector<uint64_t> matched;  // bit r set when row r holds a document
  std::vector<uint32_t> candidates;
  bool dirty = false;

  void prepare(size_t num_rows, size_t row_floats) {
    if (dirty) {
      std::fill(rows.begin(), rows.end(), 0.0f);
      std::fill(partial.begin(), partial.end(), 0.0);
      std::fill(terms.begin(), terms.end(), 0);
      std::fill(matched.begin(), matched.end(), 0);
    }
    if (rows.size() < num_rows * row_floats) rows.resize(num_rows * row_floats, 0.0f);
    if (partial.size() < num_rows) partial.resize(num_rows, 0.0);
    if (terms.size() < num_rows) terms.resize(num_rows, 0);
    if (matched.size() < num_rows / 64) matched.resize(num_rows / 64, 0);
    dirty = true;
  }
};

template <bool kExact>
class WindowedMaxScore {
 public:
  WindowedMaxScore(std::vector<TermCursor>& cursors, const ScoringContext& ctx, TopK& top, Bm25SearchStats& stats,
                   Scratch& scratch)
      : cursors_(cursors), ctx_(ctx), scorer_(ctx), top_(top), stats_(stats), scratch_(scratch), m_(cursors.size()) {
    max_window_ = 4096;
    while (max_window_ > 64 && max_window_ * m_ > kTableFloats) max_window_ /= 2;
    // Windows start small and double, so that a threshold exists before large windows
    // are collected without one.
    window_ = 64;
    scratch_.prepare(max_window_, m_);
    bounds_.resize(m_);
    prefix_.resize(m_ + 1);
    order_.resize(m_);
    for (const TermCursor& c : cursors_) global_bound_ += c.max_score;
  }

  void run() {
    uint32_t w0 = kEndDoc;
    for (const TermCursor& c : cursors_) w0 = std::min(w0, c.doc);
    while (w0 != kEndDoc && global_bound_ >= cut_) {
      const uint64_t w1 = static_cast<uint64_t>(w0) + window_;
      if (partition(w0, w1)) {
        collect_essential(w0, w1);
        first_essential_ == 0 ? offer_all(w0) : score_candidates(w0);
      }
      if (w1 >= kEndDoc) break;
      window_ = std::min(window_ * 2, max_window_);
      uint32_t next = kEndDoc;
      for (const TermCursor& c : cursors_) next = std::min(next, next_doc_at_least(c, static_cast<uint32_t>(w1)));
      w0 = next;
    }
    scratch_.dirty = false;
  }

 private:
  // Orders the terms by their bound in the window and finds the first essential one.
  // False when every term is non-essential (no document of the window can enter).
  bool partition(uint32_t w0, uint64_t w1) {
    for (size_t i = 0; i < m_; ++i) {
      bounds_[i] = window_bound(cursors_[i], w0, w1, ctx_);
      order_[i] = static_cast<uint32_t>(i);
    }
    std::sort(order_.begin(), order_.end(),
              [&](uint32_t a, uint32_t b) { return bounds_[a] < bounds_[b] || (bounds_[a] == bounds_[b] && a < b); });
    prefix_[0] = 0.0;
    for (size_t i = 0; i < m_; ++i) prefix_[i + 1] = prefix_[i] + bounds_[order_[i]];
    first_essential_ = 0;
    while (first_essential_ < m_ && prefix_[first_essential_ + 1] < cut_) ++first_essential_;
    return first_essential_ < m_;
  }

  // Scores the essential terms' postings in [w0, w1) into the table. When every term is
  // essential, the terms go in query-term order and `partial` alone is the final double
  // sum (the rows are not needed); otherwise each contribution is also kept in its row.
  void collect_essential(uint32_t w0, uint64_t w1) {
    double* partial = scratch_.partial.data();
    uint64_t* matched = scratch_.matched.data();
    if (first_essential_ == 0) {
      for (TermCursor& c : cursors_) {
        const float weight = c.weight;
        const PostingScorer<kExact> scorer = scorer_;
        c.advance(w0);
        c.for_each_until(w1, [&](uint32_t doc, uint32_t tf) {
          const uint32_t r = doc - w0;
          partial[r] += scorer(weight, doc, tf);
          matched[r >> 6] |= uint64_t{1} << (r & 63);
        });
      }
      return;
    }
    float* rows = scratch_.rows.data();
    uint64_t* terms = scratch_.terms.data();
    for (size_t i = first_essential_; i < m_; ++i) {
      const uint32_t q = order_[i];
      const uint64_t term_bit = uint64_t{1} << (q & 63);
      TermCursor& c = cursors_[q];
      const float weight = c.weight;
      const size_t m = m_;
      const PostingScorer<kExact> scorer = scorer_;
      c.advance(w0);
      c.for_each_until(w1, [&](uint32_t doc, uint32_t tf) {
        const uint32_t r = doc - w0;
        const float s = scorer(weight, doc, tf);
        rows[r * m + q] = s;
        partial[r] += s;
        terms[r] |= term_bit;
        matched[r >> 6] |= uint64_t{1} << (r & 63);
      });
    }
  }

  // Every term essential: the partial sums are the scores.
  void offer_all(uint32_t w0) {
    uint64_t* matched = scratch_.matched.data();
    double* partial = scratch_.partial.data();
    for (size_t w = 0; w < window_ / 64; ++w) {
      for (uint64_t bits = matched[w]; bits != 0; bits &= bits - 1) {
        const size_t r = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        ++stats_.docs_scored;
        if (top_.offer(static_cast<float>(partial[r]), w0 + static_cast<uint32_t>(r)))
          cut_ = static_cast<double>(top_.threshold()) * (1.0 - kSlack);
        partial[r] = 0.0;
      }
      matched[w] = 0;
    }
  }

  // Completes and offers the window's documents. The non-essential terms are added one
  // term at a time, highest bound first; before each, the documents whose partial score
  // plus the bounds of the terms left cannot reach the threshold are dropped.
  void score_candidates(uint32_t w0) {
    std::vector<uint32_t>& alive = scratch_.candidates;
    alive.clear();
    uint64_t* matched = scratch_.matched.data();
    for (size_t w = 0; w < window_ / 64; ++w) {
      for (uint64_t bits = matched[w]; bits != 0; bits &= bits - 1)
        alive.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
    }
    for (size_t i = first_essential_; i-- > 0;) {
      keep_competitive(alive, prefix_[i + 1]);
      add_term(order_[i], w0, alive);
    }
    keep_competitive(alive, 0.0);
    for (const uint32_t r : alive) {
      ++stats_.docs_scored;
      const float score = row_sum(scratch_.rows.data() + static_cast<size_t>(r) * m_, scratch_.terms[r]);
      if (top_.offer(score, w0 + r)) cut_ = static_cast<double>(top_.threshold()) * (1.0 - kSlack);
    }
    // Leave the buffers clean for the next window: every row the essential terms touched.
    for (size_t w = 0; w < window_ / 64; ++w) {
      for (uint64_t bits = matched[w]; bits != 0; bits &= bits - 1) {
        const size_t r = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        clear_row(scratch_.rows.data() + r * m_, scratch_.terms[r]);
        scratch_.partial[r] = 0.0;
      }
      matched[w] = 0;
    }
  }

  // Drops the rows whose partial score plus `rest` (bounds of the terms not added yet) is
  // below the threshold cut.
  void keep_competitive(std::vector<uint32_t>& alive, double rest) const {
    const double* partial = scratch_.partial.data();
    size_t kept = 0;
    for (const uint32_t r : alive) {
      alive[kept] = r;
      kept += partial[r] + rest >= cut_;
    }
    alive.resize(kept);
  }

  // Adds term q's contributions to the rows in `alive` (increasing documents).
  void add_term(uint32_t q, uint32_t w0, const std::vector<uint32_t>& alive) {
    TermCursor& c = cursors_[q];
    const uint64_t term_bit = uint64_t{1} << (q & 63);
    for (const uint32_t r : alive) {
      const uint32_t d = w0 + r;
      c.advance(d);
      if (c.doc == kEndDoc) break;
      if (c.doc != d) continue;
      const float s = scorer_(c.weight, d, c.tf());
      scratch_.rows[static_cast<size_t>(r) * m_ + q] = s;
      scratch_.partial[r] += s;
      scratch_.terms[r] |= term_bit;
    }
  }

  // The document's score: its contributions summed in double in query-term order, from
  // 0.0. Terms that did not match hold 0, and x + 0.0 == x, so with at most 64 terms only
  // the matched ones (bits of `terms`) need adding.
  float row_sum(const float* row, uint64_t terms) const {
    double total = 0.0;
    if (m_ <= 64) {
      for (; terms != 0; terms &= terms - 1) total += row[std::countr_zero(terms)];
    } else {
      for (size_t q = 0; q < m_; ++q) total += row[q];
    }
    return static_cast<float>(total);
  }

  void clear_row(float* row, uint64_t& terms) const {
    if (m_ <= 64) {
      for (; terms != 0; terms &= terms - 1) row[std::countr_zero(terms)] = 0.0f;
    } else {
      std::fill(row, row + m_, 0.0f);
      terms = 0;
    }
  }

  std::vector<TermCursor>& cursors_;
  const ScoringContext& ctx_;
  const PostingScorer<kExact> scorer_;
  TopK& top_;
  Bm25SearchStats& stats_;
  Scratch& scratch_;
  size_t m_;
  size_t window_ = 0;  // documents in the current window (a multiple of 64)
  size_t max_window_ = 0;
  std::vector<double> bounds_;   // per term (query order): bound in the current window
  std::vector<double> prefix_;   // prefix_[i]: sum of the i smallest bounds
  std::vector<uint32_t> order_;  // terms by ascending bound
  size_t first_essential_ = 0;
  double cut_ = -std::numeric_limits<double>::infinity();
  double global_bound_ = 0.0;
};

}  // namespace

void run_maxscore(std::vector<TermCursor>& cursors, const ScoringContext& ctx, TopK& top, Bm25SearchStats& stats) {
  thread_local Scratch scratch;
  if (ctx.model->params().exact_lengths) {
    WindowedMaxScore<true>(cursors, ctx, top, stats, scratch).run();
  } else {
    WindowedMaxScore<false>(cursors, ctx, top, stats, scratch).run();
  }
}

}  // namespace denser::bm25_detail
