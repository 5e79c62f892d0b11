#pragma once
// The on-disk layout of a BM25 index (docs/formats/bm25-index.md). Every struct here is
// written and mapped as is: little-endian, naturally aligned, no implicit padding.
#include <bit>
#include <cstdint>

namespace denser::bm25_format {

static_assert(std::endian::native == std::endian::little, "the BM25 index format is little-endian");

inline constexpr char kMagic[8] = {'D', 'N', 'S', 'R', 'B', 'M', '2', '5'};
inline constexpr uint32_t kVersion = 1;
/// Postings per compressed block (the last block of a term may hold fewer).
inline constexpr uint32_t kBlockSize = 128;
/// Zero bytes after the last block: the decoder loads 8 bytes at a time and may read up
/// to 7 bytes past a block's end, which must stay inside the section.
inline constexpr uint64_t kPostingsPadding = 8;
/// Sections start at multiples of this, so the mapped arrays are aligned.
inline constexpr uint64_t kSectionAlignment = 8;

// FileHeader::flags bits.
inline constexpr uint32_t kFlagExactLengths = 1u << 0;     // default scoring uses exact lengths
inline constexpr uint32_t kFlagStem = 1u << 1;             // analyzer: Porter stemming
inline constexpr uint32_t kFlagRemoveStopwords = 1u << 2;  // analyzer: English stopwords removed
inline constexpr uint32_t kKnownFlags = kFlagExactLengths | kFlagStem | kFlagRemoveStopwords;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // sizeof(FileHeader)
  uint64_t file_bytes;    // the whole file, trailer included
  uint64_t num_docs;
  uint64_t num_docs_with_terms;  // Lucene's docCount: N in idf and avgdl
  uint64_t num_terms;
  uint64_t num_postings;
  uint64_t num_blocks;
  uint64_t total_terms;  // sum of document lengths (Lucene's sumTotalTermFreq)
  float k1;              // default scoring parameters
  float b;
  uint32_t flags;
  uint32_t block_size;  // kBlockSize
  uint32_t num_sections;
  uint32_t reserved[9];  // zero
};
static_assert(sizeof(FileHeader) == 128);

enum class SectionId : uint32_t {
  kTermBytes = 1,     // concatenated term strings, sorted byte-wise
  kTermTable = 2,     // TermEntry[num_terms], same order
  kBlockTable = 3,    // BlockMeta[num_blocks], term by term
  kPostings = 4,      // compressed blocks, then kPostingsPadding zero bytes
  kDocIdOffsets = 5,  // uint64_t[num_docs + 1] into kDocIdBytes
  kDocIdBytes = 6,    // concatenated external document ids
  kDocLengths = 7,    // uint32_t[num_docs]: exact number of terms per document
  kDocNorms = 8,      // uint8_t[num_docs]: length_to_norm_byte(length)
};
inline constexpr uint32_t kNumSections = 8;

struct SectionEntry {
  uint32_t id;        // SectionId; the table lists ids 1..kNumSections in order
  uint32_t reserved;  // zero
  uint64_t offset;    // from the start of the file, a multiple of kSectionAlignment
  uint64_t bytes;
};
static_assert(sizeof(SectionEntry) == 24);

/// Bound pairs: a (tf, length) pair whose score bounds every posting it summarizes.
/// best_*: the posting with the highest score under the index's default parameters (a
/// tight bound for them); max_tf/min_len: a looser bound valid for any parameters, since
/// the score grows with tf and shrinks with length.
struct TermEntry {
  uint64_t name_offset;      // into kTermBytes
  uint64_t postings_offset;  // into kPostings: the term's first block
  uint64_t postings_bytes;   // its blocks, back to back
  uint64_t first_block;      // index of its first BlockMeta
  uint32_t name_bytes;
  uint32_t df;  // documents containing the term (= postings)
  uint32_t best_tf;
  uint32_t best_len;
  uint32_t max_tf;
  uint32_t min_len;
};
static_assert(sizeof(TermEntry) == 56);

struct BlockMeta {
  uint32_t last_doc;  // the block's last (largest) document number
  uint32_t offset;    // from the term's postings_offset
  uint32_t best_tf;
  uint32_t best_len;
  uint32_t max_tf;
  uint32_t min_len;
};
static_assert(sizeof(BlockMeta) == 24);

struct Trailer {
  uint32_t crc;       // CRC-32C of every byte before the trailer
  uint32_t reserved;  // zero
};
static_assert(sizeof(Trailer) == 8);

/// Number of blocks of a term with df postings.
inline uint64_t num_blocks_for(uint64_t df) { return (df + kBlockSize - 1) / kBlockSize; }

}  // namespace denser::bm25_format
