// denser's search over FAISS's HNSW graph (see hnsw_search.h).
//
// FAISS 1.7.3 (Debian's) keeps its ef candidates in an unsorted array, so every step of
// HNSW::search scans all ef of them for the best (pop_min) and again for the stopping test
// (count_below), and allocates a byte per row as its visited table on every call. Here:
// two binary heaps (candidates, and the ef best so far), the stop rule of the HNSW paper,
// a per-thread visited table of epochs reused across calls, and prefetches of the next
// neighbours' rows. Both searches get the same AVX-512 / AVX2 inner products
// (inner_product(), which FastFlatIp in vector_index.cpp hands to FAISS); with them the two
// run about as fast (docs/benchmarks.md). The graph and the rows are FAISS's, untouched.
#include "hnsw_search.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "denser/common/parallel.h"

namespace denser::detail {
namespace {

using DotFn = float (*)(const float*, const float*, uint32_t);

float dot_scalar(const float* a, const float* b, uint32_t d) {
  float s[4] = {0, 0, 0, 0};
  uint32_t i = 0;
  for (; i + 4 <= d; i += 4)
    for (int j = 0; j < 4; ++j) s[j] += a[i + j] * b[i + j];
  for (; i < d; ++i) s[0] += a[i] * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, uint32_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  uint32_t i = 0;
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  acc0 = _mm256_add_ps(acc0, acc1);
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
  const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
  float s = _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)));
  for (; i < d; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, uint32_t d) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  uint32_t i = 0;
  for (; i + 32 <= d; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  if (i + 16 <= d) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    i += 16;
  }
  if (i < d) {
    const __mmask16 m = static_cast<__mmask16>((1u << (d - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  // Summed through memory: GCC 12 warns about _mm512_reduce_add_ps's undefined upper half.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
  float s = 0.0f;
  for (float x : lanes) s += x;
  return s;
}

// The kernel for this CPU, chosen on first use.
DotFn dot_kernel() {
  static const DotFn dot = [] {
    if (__builtin_cpu_supports("avx512f")) return dot_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dot_avx2;
    return dot_scalar;
  }();
  return dot;
}

struct Scored {
  float score;
  int32_t row;
};
// std heaps are max-heaps under the comparator: candidates pop the best first, the kept
// set pops the worst first.
bool worse(const Scored& a, const Scored& b) { return a.score < b.score; }
bool better(const Scored& a, const Scored& b) { return a.score > b.score; }

/// Per thread, reused across calls: a visit mark per row (the query's epoch), and the heaps.
struct Scratch {
  std::vector<uint32_t> mark;
  uint32_t epoch = 0;
  std::vector<Scored> candidates, kept;

  void next_query(size_t n) {
    if (mark.size() < n) {
      mark.assign(n, 0);
      epoch = 0;
    }
    if (++epoch == 0) {  // wrapped: forget every old mark
      std::fill(mark.begin(), mark.end(), 0);
      epoch = 1;
    }
  }
};

Scratch& thread_scratch() {
  thread_local Scratch scratch;
  return scratch;
}

inline void prefetch_row(const float* row, uint32_t dim) {
  const char* p = reinterpret_cast<const char*>(row);
  const size_t bytes = static_cast<size_t>(dim) * sizeof(float);
  for (size_t off = 0; off < bytes && off < 256; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

/// One query. Returns the inner products computed.
uint64_t search_one(const HnswView& g, DotFn dot, const float* q, size_t k, size_t ef, float* scores, int64_t* labels,
                    Scratch& s) {
  std::fill(scores, scores + k, -std::numeric_limits<float>::infinity());
  std::fill(labels, labels + k, -1);
  if (g.n == 0 || g.entry_point < 0) return 0;
  uint64_t computed = 0;
  auto row = [&](int32_t i) { return g.rows + static_cast<size_t>(i) * g.dim; };
  auto range = [&](int32_t i, int level, const int32_t*& begin, const int32_t*& end) {
    const size_t base = g.offsets[i];
    begin = g.neighbors + base + g.cum_nneighbor_per_level[level];
    end = g.neighbors + base + g.cum_nneighbor_per_level[level + 1];
  };

  // Upper levels: greedy, to the best row reachable.
  int32_t current = g.entry_point;
  float current_score = dot(q, row(current), g.dim);
  ++computed;
  for (int level = g.max_level; level >= 1; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      const int32_t *begin, *end;
      range(current, level, begin, end);
      for (const int32_t* p = begin; p != end && *p >= 0; ++p) {
        const float score = dot(q, row(*p), g.dim);
        ++computed;
        if (score > current_score) {
          current_score = score;
          current = *p;
          moved = true;
        }
      }
    }
  }

  // Level 0: best-first beam of width ef.
  s.next_query(g.n);
  s.candidates.clear();
  s.kept.clear();
  s.mark[current] = s.epoch;
  s.candidates.push_back({current_score, current});
  s.kept.push_back({current_score, current});
  while (!s.candidates.empty()) {
    const Scored best = s.candidates.front();
    if (s.kept.size() >= ef && best.score < s.kept.front().score) break;
    std::pop_heap(s.candidates.begin(), s.candidates.end(), worse);
    s.candidates.pop_back();
    const int32_t *begin, *end;
    range(best.row, 0, begin, end);
    for (const int32_t* p = begin; p != end && *p >= 0; ++p)
      _mm_prefetch(reinterpret_cast<const char*>(&s.mark[*p]), _MM_HINT_T0);
    // The unvisited neighbours, their rows prefetched one ahead of the product.
    int32_t next[512];
    size_t count = 0;
    for (const int32_t* p = begin; p != end && *p >= 0 && count < 512; ++p) {
      if (s.mark[*p] == s.epoch) continue;
      s.mark[*p] = s.epoch;
      next[count++] = *p;
    }
    if (count > 0) prefetch_row(row(next[0]), g.dim);
    for (size_t j = 0; j < count; ++j) {
      if (j + 1 < count) prefetch_row(row(next[j + 1]), g.dim);
      const float score = dot(q, row(next[j]), g.dim);
      ++computed;
      if (s.kept.size() < ef || score > s.kept.front().score) {
        s.candidates.push_back({score, next[j]});
        std::push_heap(s.candidates.begin(), s.candidates.end(), worse);
        s.kept.push_back({score, next[j]});
        std::push_heap(s.kept.begin(), s.kept.end(), better);
        if (s.kept.size() > ef) {
          std::pop_heap(s.kept.begin(), s.kept.end(), better);
          s.kept.pop_back();
        }
      }
    }
  }
  std::sort(s.kept.begin(), s.kept.end(),
            [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.row < b.row; });
  const size_t found = std::min(k, s.kept.size());
  for (size_t i = 0; i < found; ++i) {
    scores[i] = s.kept[i].score;
    labels[i] = s.kept[i].row;
  }
  return computed;
}

std::atomic<bool> g_own_search{true};

}  // namespace

float inner_product(const float* a, const float* b, uint32_t dim) { return dot_kernel()(a, b, dim); }

uint64_t hnsw_search_ip(const HnswView& graph, size_t nq, const float* queries, size_t k, int ef, float* scores,
                        int64_t* labels, int threads) {
  const DotFn dot = dot_kernel();
  const size_t width = std::max(static_cast<size_t>(std::max(ef, 1)), k);
  std::atomic<uint64_t> computed{0};
  parallel_for(nq, threads, 8, [&](size_t begin, size_t end, int) {
    Scratch& scratch = thread_scratch();
    uint64_t local = 0;
    for (size_t i = begin; i < end; ++i)
      local += search_one(graph, dot, queries + i * graph.dim, k, width, scores + i * k, labels + i * k, scratch);
    computed += local;
  });
  return computed.load();
}

void set_own_hnsw_search(bool own) { g_own_search = own; }
bool own_hnsw_search() { return g_own_search; }

}  // namespace denser::detail
