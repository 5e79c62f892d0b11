#pragma once
// What Bm25IndexBuilder accumulates, and the serializer that turns it into the file
// format of bm25_format.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "denser/sparse/bm25_builder.h"
#include "bm25_format.h"
#include "bm25_model.h"

namespace denser::bm25_detail {

/// One term's postings while building: full blocks compressed, the last one pending.
struct TermPostings {
  std::vector<uint8_t> bytes;                  // compressed blocks, back to back
  std::vector<bm25_format::BlockMeta> blocks;  // last_doc and offset; bounds set by finish()
  std::vector<uint32_t> pending;               // (doc, tf) pairs not yet in a block
  bm25_format::TermEntry entry{};              // df and term bounds (set by finish())

  void add(uint32_t doc, uint32_t tf);
  /// Compresses the pending postings into a block.
  void flush();
};

/// Terms are split over partitions by hash so that batches merge in parallel without locks.
struct Partition {
  std::unordered_map<std::string, uint32_t> ids;  // term -> index in postings / names
  std::vector<TermPostings> postings;
  std::vector<const std::string*> names;  // keys of `ids` (stable node storage)
};

struct IndexData {
  Bm25BuildOptions options;
  std::vector<Partition> partitions;
  std::vector<uint32_t> doc_lengths;
  std::vector<uint64_t> doc_id_offsets{0};  // num_docs + 1 entries
  std::string doc_id_bytes;
  uint64_t num_docs_with_terms = 0;
  uint64_t total_terms = 0;
  uint64_t num_postings = 0;
};

/// Flushes every pending block and sets the block and term bounds for the default params.
void finish(IndexData& data);

/// Receives the serialized index in order.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const void* data, size_t n) = 0;
};

/// Serializes finished data. Returns the number of bytes written.
uint64_t serialize(const IndexData& data, ByteSink& sink);

}  // namespace denser::bm25_detail
