#pragma once
// Bm25Index's state: views into the validated file image (mapped or owned), shared by
// loading (bm25_index.cpp) and searching (bm25_search.cpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/io.h"
#include "denser/sparse/bm25_index.h"
#include "bm25_format.h"
#include "bm25_model.h"

namespace denser {

struct Bm25Index::Impl {
  std::string name;            // the file, for error messages
  MappedFile file;             // backing storage when opened from a file
  std::vector<uint8_t> owned;  // backing storage when built in memory
  const uint8_t* base = nullptr;
  uint64_t size = 0;

  bm25_format::FileHeader header{};
  const char* term_bytes = nullptr;
  uint64_t term_bytes_size = 0;
  const bm25_format::TermEntry* terms = nullptr;
  const bm25_format::BlockMeta* blocks = nullptr;
  const uint8_t* postings = nullptr;
  uint64_t postings_size = 0;  // the section, padding included
  const uint64_t* doc_id_offsets = nullptr;
  const char* doc_id_bytes = nullptr;
  const uint32_t* doc_lengths = nullptr;
  const uint8_t* doc_norms = nullptr;

  Bm25Params params;
  AnalyzerOptions analyzer_options;
  Bm25Analyzer analyzer;
  bm25_detail::ScoreModel default_model;  // for `params`

  std::string_view term_name(uint64_t i) const { return {term_bytes + terms[i].name_offset, terms[i].name_bytes}; }
  /// Index of `term` in the term table, or -1. O(log num_terms).
  int64_t find_term(std::string_view term) const;
  /// Where block j of term t lies, and what its decoding is checked against.
  struct BlockRef {
    const uint8_t* data;
    size_t bytes;
    size_t count;   // postings in the block
    uint32_t base;  // previous block's last document + 1 (0 for the first)
    uint32_t last_doc;
  };
  BlockRef block_ref(uint64_t t, uint64_t j) const;
  /// Decodes block j of term t into up to 128 docs/tfs and returns the count. Throws
  /// denser::Error when the block is corrupt.
  size_t decode(uint64_t t, uint64_t j, uint32_t* docs, uint32_t* tfs) const;
  /// The documents only (see postings_codec::decode_docs); throws when corrupt.
  size_t decode_docs(uint64_t t, uint64_t j, uint32_t* docs) const;
  [[noreturn]] void throw_corrupt_block(uint64_t t, uint64_t j) const;
};

}  // namespace denser
