#include "faiss_validate.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/MetaIndexes.h>
#include <faiss/invlists/InvertedLists.h>

#include <cstdint>

#include "denser/common/error.h"

namespace denser::index_internal {
namespace {

void check_codes(size_t stored, size_t ntotal, size_t code_size, const std::string& where, const char* what) {
  DENSER_CHECK(code_size > 0 && stored == ntotal * code_size, ErrorCode::kCorrupt, where, ": ", what, " holds ", stored,
               " code bytes, expected ", ntotal, " vectors x ", code_size);
}

void validate_hnsw(const faiss::IndexHNSW& index, const std::string& where) {
  const faiss::HNSW& h = index.hnsw;
  const size_t n = static_cast<size_t>(index.ntotal);
  DENSER_CHECK(index.storage != nullptr && index.storage->ntotal == index.ntotal, ErrorCode::kCorrupt, where,
               ": HNSW storage holds another number of vectors than the graph");
  const size_t max_levels = h.cum_nneighbor_per_level.size();
  DENSER_CHECK(max_levels >= 2, ErrorCode::kCorrupt, where, ": HNSW has no neighbour table per level");
  for (size_t l = 1; l < max_levels; ++l)
    DENSER_CHECK(h.cum_nneighbor_per_level[l] >= h.cum_nneighbor_per_level[l - 1], ErrorCode::kCorrupt, where,
                 ": HNSW cumulative neighbour counts decrease at level ", l);
  DENSER_CHECK(h.levels.size() == n, ErrorCode::kCorrupt, where, ": HNSW has ", h.levels.size(), " node levels for ", n,
               " vectors");
  DENSER_CHECK(h.offsets.size() == n + 1 && (n == 0 || h.offsets[0] == 0), ErrorCode::kCorrupt, where,
               ": HNSW offsets: ", h.offsets.size(), " entries for ", n, " vectors");
  for (size_t i = 0; i < n; ++i) {
    const int level = h.levels[i];
    DENSER_CHECK(level >= 1 && static_cast<size_t>(level) < max_levels, ErrorCode::kCorrupt, where, ": HNSW node ", i,
                 " has level ", level, " (expected 1..", max_levels - 1, ")");
    DENSER_CHECK(h.offsets[i + 1] >= h.offsets[i] &&
                     h.offsets[i + 1] - h.offsets[i] == static_cast<size_t>(h.cum_nneighbor_per_level[level]),
                 ErrorCode::kCorrupt, where, ": HNSW node ", i, ": its neighbour slots do not match its level");
  }
  DENSER_CHECK(n == 0 || h.offsets[n] == h.neighbors.size(), ErrorCode::kCorrupt, where, ": HNSW holds ",
               h.neighbors.size(), " neighbour slots, the offsets ", n == 0 ? 0 : h.offsets[n]);
  for (size_t j = 0; j < h.neighbors.size(); ++j)
    DENSER_CHECK(h.neighbors[j] >= -1 && h.neighbors[j] < static_cast<faiss::HNSW::storage_idx_t>(n),
                 ErrorCode::kCorrupt, where, ": HNSW neighbour slot ", j, " holds id ", h.neighbors[j], ", outside 0..",
                 n, " (or -1)");
  // A neighbour listed at level l >= 1 must itself live on level l: search moves to it and
  // reads its level-l slots, which a node of fewer levels does not have.
  for (size_t i = 0; i < n; ++i) {
    for (int l = 1; l < h.levels[i]; ++l) {
      const size_t begin = h.offsets[i] + static_cast<size_t>(h.cum_nneighbor_per_level[static_cast<size_t>(l)]);
      const size_t end = h.offsets[i] + static_cast<size_t>(h.cum_nneighbor_per_level[static_cast<size_t>(l) + 1]);
      for (size_t j = begin; j < end; ++j) {
        const auto id = h.neighbors[j];
        DENSER_CHECK(id < 0 || h.levels[static_cast<size_t>(id)] > l, ErrorCode::kCorrupt, where, ": HNSW node ", i,
                     " lists node ", id, " at level ", l, ", above that node's levels");
      }
    }
  }
  if (n > 0) {
    DENSER_CHECK(h.entry_point >= 0 && static_cast<size_t>(h.entry_point) < n, ErrorCode::kCorrupt, where,
                 ": HNSW entry point ", h.entry_point, " is not a node");
    DENSER_CHECK(h.max_level == h.levels[static_cast<size_t>(h.entry_point)] - 1, ErrorCode::kCorrupt, where,
                 ": HNSW max level ", h.max_level, " is not the entry point's");
  }
  validate_faiss_index(*index.storage, where);
}

void validate_ivf(const faiss::IndexIVF& index, const std::string& where) {
  DENSER_CHECK(index.quantizer != nullptr && index.quantizer->ntotal == static_cast<faiss::Index::idx_t>(index.nlist),
               ErrorCode::kCorrupt, where, ": IVF quantizer holds ", index.quantizer ? index.quantizer->ntotal : 0,
               " centroids for ", index.nlist, " lists");
  validate_faiss_index(*index.quantizer, where);
  const faiss::InvertedLists* lists = index.invlists;
  DENSER_CHECK(lists != nullptr && lists->nlist == index.nlist, ErrorCode::kCorrupt, where,
               ": IVF inverted lists: ", lists ? lists->nlist : 0, " lists for nlist ", index.nlist);
  DENSER_CHECK(lists->code_size == index.code_size, ErrorCode::kCorrupt, where, ": IVF lists store ", lists->code_size,
               "-byte codes, the index ", index.code_size);
  size_t total = 0;
  for (size_t l = 0; l < index.nlist; ++l) {
    const size_t size = lists->list_size(l);
    total += size;
    DENSER_CHECK(total <= static_cast<size_t>(index.ntotal), ErrorCode::kCorrupt, where,
                 ": IVF lists hold more than ntotal ", index.ntotal, " vectors");
    if (size == 0) continue;
    faiss::InvertedLists::ScopedIds ids(lists, l);
    for (size_t i = 0; i < size; ++i)
      DENSER_CHECK(ids[i] >= 0 && ids[i] < index.ntotal, ErrorCode::kCorrupt, where, ": IVF list ", l, " entry ", i,
                   " has id ", ids[i], ", outside 0..", index.ntotal);
  }
  DENSER_CHECK(total == static_cast<size_t>(index.ntotal), ErrorCode::kCorrupt, where, ": IVF lists hold ", total,
               " vectors, ntotal ", index.ntotal);
}

}  // namespace

void validate_faiss_index(const faiss::Index& index, const std::string& where) {
  DENSER_CHECK(index.ntotal >= 0 && index.d > 0, ErrorCode::kCorrupt, where, ": FAISS index with ", index.ntotal,
               " vectors of dim ", index.d);
  const size_t n = static_cast<size_t>(index.ntotal);
  if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(&index)) {
    DENSER_CHECK(pre->index != nullptr && pre->index->ntotal == index.ntotal, ErrorCode::kCorrupt, where,
                 ": a transformed index holds another number of vectors");
    validate_faiss_index(*pre->index, where);
  } else if (const auto* map = dynamic_cast<const faiss::IndexIDMap*>(&index)) {
    DENSER_CHECK(map->index != nullptr && map->id_map.size() == n && map->index->ntotal == index.ntotal,
                 ErrorCode::kCorrupt, where, ": an id-mapped index has ", map->id_map.size(), " ids for ", n,
                 " vectors");
    validate_faiss_index(*map->index, where);
  } else if (const auto* refine = dynamic_cast<const faiss::IndexRefine*>(&index)) {
    DENSER_CHECK(refine->base_index && refine->refine_index && refine->base_index->ntotal == index.ntotal &&
                     refine->refine_index->ntotal == index.ntotal,
                 ErrorCode::kCorrupt, where, ": a refined index's parts hold other numbers of vectors");
    validate_faiss_index(*refine->base_index, where);
    validate_faiss_index(*refine->refine_index, where);
  } else if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index)) {
    validate_hnsw(*hnsw, where);
  } else if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&index)) {
    validate_ivf(*ivf, where);
  } else if (const auto* pq = dynamic_cast<const faiss::IndexPQ*>(&index)) {
    DENSER_CHECK(pq->pq.d == static_cast<size_t>(index.d) && pq->pq.M * pq->pq.dsub == pq->pq.d &&
                     pq->pq.centroids.size() == pq->pq.M * pq->pq.ksub * pq->pq.dsub,
                 ErrorCode::kCorrupt, where, ": PQ sub-quantizers do not add up to the dimension");
    check_codes(pq->codes.size(), n, pq->pq.code_size, where, "the PQ index");
  } else if (const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(&index)) {
    check_codes(flat->codes.size(), n, flat->code_size, where, "the flat index");
  }
}

}  // namespace denser::index_internal
