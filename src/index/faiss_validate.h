#pragma once
// Checks what search will trust in an index FAISS has just read. The vector index file's
// CRC guards against accidents, not against a crafted file whose checksum was recomputed:
// FAISS reads HNSW neighbour ids, IVF list ids and code sizes as stored, and search
// follows them. A lie there would read out of bounds.
#include <string>

namespace faiss {
struct Index;
}

namespace denser::index_internal {

/// Throws denser::Error naming `where` and the first inconsistent field of `index` (HNSW
/// levels, offsets, neighbour ids and entry point; IVF list sizes, ids and code sizes; PQ
/// and flat code sizes), through IndexPreTransform, IndexIDMap and refinement wrappers.
void validate_faiss_index(const faiss::Index& index, const std::string& where);

}  // namespace denser::index_internal
