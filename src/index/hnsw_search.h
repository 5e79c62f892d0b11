#pragma once
// Private: denser's own search over an HNSW graph built by FAISS (IndexHNSWFlat, inner
// product). FAISS builds and stores the graph; this searches it with heaps instead of FAISS
// 1.7.3's O(ef) scans per step (see hnsw_search.cpp). No FAISS header here: the caller
// hands over a view of the graph's arrays.
#include <cstddef>
#include <cstdint>

namespace denser::detail {

/// FAISS's HNSW layout: the neighbours of row i at level l are
/// neighbors[offsets[i] + cum_nneighbor_per_level[l], offsets[i] + cum_nneighbor_per_level[l + 1]),
/// ended early by a -1. Rows are float32, row-major, `dim` wide.
struct HnswView {
  const int32_t* neighbors = nullptr;
  const size_t* offsets = nullptr;
  const int* cum_nneighbor_per_level = nullptr;
  int max_level = -1;  // -1: empty graph
  int32_t entry_point = -1;
  const float* rows = nullptr;
  uint32_t dim = 0;
  size_t n = 0;
};

/// For each of nq queries (row-major, dim wide): greedy descent through the upper levels,
/// then a best-first beam search of width max(ef, k) on level 0 (Malkov & Yashunin's
/// Algorithm 2: stop when the best unexpanded candidate scores below the worst of the ef
/// kept). Writes the best k rows by inner product to scores/labels (nq x k, best first,
/// ties by row; -1 and -inf pad when fewer are found). Queries are spread over `threads`
/// threads (0 = all cores). Returns the number of inner products computed.
uint64_t hnsw_search_ip(const HnswView& graph, size_t nq, const float* queries, size_t k, int ef, float* scores,
                        int64_t* labels, int threads);

/// The inner product of two float32 vectors of `dim` values: AVX-512, AVX2 or plain C++,
/// chosen once for the CPU. Also FAISS's distance for building HNSW graphs (FastFlatIP in
/// vector_index.cpp), whose own is compiled for the baseline x86-64 in Debian's FAISS.
float inner_product(const float* a, const float* b, uint32_t dim);

/// Whether FaissVectorIndex searches IndexHNSWFlat graphs with hnsw_search_ip (the default)
/// or with FAISS's own HNSW::search. Process-wide; for tests and benchmarks.
void set_own_hnsw_search(bool own);
bool own_hnsw_search();

}  // namespace denser::detail
