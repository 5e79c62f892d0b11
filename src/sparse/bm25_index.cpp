// Loading and validating a BM25 index file, and the index's accessors.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "bm25_index_impl.h"
#include "postings_codec.h"

namespace denser {

using bm25_format::BlockMeta;
using bm25_format::FileHeader;
using bm25_format::kBlockSize;
using bm25_format::SectionEntry;
using bm25_format::TermEntry;

namespace {

std::string hex32(uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08x", value);
  return buffer;
}

void validate_header(const Bm25Index::Impl& index, FileHeader& header) {
  const std::string& name = index.name;
  DENSER_CHECK(index.size >= sizeof(FileHeader), ErrorCode::kCorrupt, name, ": not a denser BM25 index: the file is ",
               index.size, " bytes, smaller than the ", sizeof(FileHeader), "-byte header");
  std::memcpy(&header, index.base, sizeof(header));
  DENSER_CHECK(std::memcmp(header.magic, bm25_format::kMagic, sizeof(header.magic)) == 0, ErrorCode::kCorrupt, name,
               ": not a denser BM25 index: bad magic at byte 0 (expected \"DNSRBM25\")");
  DENSER_CHECK(header.version == bm25_format::kVersion, ErrorCode::kCorrupt, name,
               ": unsupported BM25 index format version ", header.version, " (this build reads version ",
               bm25_format::kVersion, ")");
  DENSER_CHECK(header.file_bytes == index.size, ErrorCode::kCorrupt, name, ": the header says the file has ",
               header.file_bytes, " bytes but it has ", index.size, " (truncated or damaged)");
  bm25_format::Trailer trailer;
  std::memcpy(&trailer, index.base + index.size - sizeof(trailer), sizeof(trailer));
  DENSER_CHECK(trailer.reserved == 0, ErrorCode::kCorrupt, name, ": corrupt trailer at byte ",
               index.size - sizeof(trailer));
  DENSER_CHECK(header.header_bytes == sizeof(FileHeader) && header.block_size == kBlockSize &&
                   header.num_sections == bm25_format::kNumSections && (header.flags & ~bm25_format::kKnownFlags) == 0,
               ErrorCode::kCorrupt, name, ": corrupt header (header size, block size, section count or flags)");
  DENSER_CHECK(std::isfinite(header.k1) && header.k1 >= 0.0f && header.b >= 0.0f && header.b <= 1.0f,
               ErrorCode::kCorrupt, name, ": corrupt header: invalid BM25 parameters k1=", header.k1, " b=", header.b);
  DENSER_CHECK(header.num_docs < UINT32_MAX && header.num_docs_with_terms <= header.num_docs &&
                   header.num_postings >= header.num_terms && header.num_blocks >= header.num_terms,
               ErrorCode::kCorrupt, name, ": corrupt header: inconsistent counts");
}

void verify_checksum(const Bm25Index::Impl& index) {
  const uint64_t payload = index.size - sizeof(bm25_format::Trailer);
  bm25_format::Trailer trailer;
  std::memcpy(&trailer, index.base + payload, sizeof(trailer));
  const uint32_t actual = crc32c(index.base, payload);
  DENSER_CHECK(actual == trailer.crc, ErrorCode::kCorrupt, index.name, ": checksum mismatch (stored ",
               hex32(trailer.crc), ", computed ", hex32(actual), "): the file is corrupt");
}

// Checks that `count` items of `item_bytes` fill the section exactly (overflow-safe).
void expect_items(const Bm25Index::Impl& index, const SectionEntry& s, uint64_t count, uint64_t item_bytes,
                  const char* what) {
  DENSER_CHECK(count <= s.bytes / item_bytes && count * item_bytes == s.bytes, ErrorCode::kCorrupt, index.name,
               ": section ", s.id, " (", what, ") at byte ", s.offset, " has ", s.bytes, " bytes, expected ", count,
               " x ", item_bytes);
}

void map_sections(Bm25Index::Impl& index) {
  const FileHeader& h = index.header;
  const uint64_t table_end = sizeof(FileHeader) + bm25_format::kNumSections * sizeof(SectionEntry);
  const uint64_t trailer = index.size - sizeof(bm25_format::Trailer);
  DENSER_CHECK(index.size >= table_end + sizeof(bm25_format::Trailer), ErrorCode::kCorrupt, index.name,
               ": truncated: no room for the section table");
  SectionEntry s[bm25_format::kNumSections];
  std::memcpy(s, index.base + sizeof(FileHeader), sizeof(s));
  uint64_t previous_end = table_end;
  for (uint32_t i = 0; i < bm25_format::kNumSections; ++i) {
    const uint64_t at = sizeof(FileHeader) + i * sizeof(SectionEntry);
    DENSER_CHECK(s[i].id == i + 1 && s[i].offset % bm25_format::kSectionAlignment == 0 && s[i].offset >= previous_end &&
                     s[i].offset <= trailer && s[i].bytes <= trailer - s[i].offset,
                 ErrorCode::kCorrupt, index.name, ": corrupt section table entry ", i, " at byte ", at, ": section ",
                 s[i].id, " at byte ", s[i].offset, " with ", s[i].bytes, " bytes does not fit in the file");
    previous_end = s[i].offset + s[i].bytes;
  }
  expect_items(index, s[1], h.num_terms, sizeof(TermEntry), "term table");
  expect_items(index, s[2], h.num_blocks, sizeof(BlockMeta), "block table");
  DENSER_CHECK(s[3].bytes >= bm25_format::kPostingsPadding, ErrorCode::kCorrupt, index.name,
               ": corrupt postings section size");
  expect_items(index, s[4], h.num_docs + 1, sizeof(uint64_t), "document id offsets");
  expect_items(index, s[6], h.num_docs, sizeof(uint32_t), "document lengths");
  expect_items(index, s[7], h.num_docs, 1, "document norms");
  auto at = [&](int i) { return index.base + s[i].offset; };
  index.term_bytes = reinterpret_cast<const char*>(at(0));
  index.term_bytes_size = s[0].bytes;
  index.terms = reinterpret_cast<const TermEntry*>(at(1));
  index.blocks = reinterpret_cast<const BlockMeta*>(at(2));
  index.postings = at(3);
  index.postings_size = s[3].bytes;
  index.doc_id_offsets = reinterpret_cast<const uint64_t*>(at(4));
  index.doc_id_bytes = reinterpret_cast<const char*>(at(5));
  DENSER_CHECK(index.doc_id_offsets[h.num_docs] == s[5].bytes, ErrorCode::kCorrupt, index.name,
               ": corrupt document id offsets: they end at ", index.doc_id_offsets[h.num_docs], ", the id bytes at ",
               s[5].bytes);
  index.doc_lengths = reinterpret_cast<const uint32_t*>(at(6));
  index.doc_norms = at(7);
}

// Term t's entry: name in bounds and sorted, df and block/postings ranges consistent with
// the running totals of the terms before it.
struct TermTotals {
  uint64_t name_bytes = 0, postings_bytes = 0, blocks = 0, postings = 0;
};

void validate_term(const Bm25Index::Impl& index, uint64_t t, TermTotals& totals) {
  const TermEntry& e = index.terms[t];
  const uint64_t at = reinterpret_cast<const uint8_t*>(&e) - index.base;
  DENSER_CHECK(e.name_offset == totals.name_bytes && e.name_bytes <= index.term_bytes_size - e.name_offset &&
                   e.df >= 1 && e.df <= index.header.num_docs_with_terms && e.first_block == totals.blocks &&
                   e.postings_offset == totals.postings_bytes,
               ErrorCode::kCorrupt, index.name, ": corrupt term table entry ", t, " at byte ", at);
  const uint64_t num_blocks = bm25_format::num_blocks_for(e.df);
  const uint64_t postings_room = index.postings_size - bm25_format::kPostingsPadding - totals.postings_bytes;
  DENSER_CHECK(num_blocks <= index.header.num_blocks - totals.blocks && e.postings_bytes >= 2 * num_blocks &&
                   e.postings_bytes <= postings_room,
               ErrorCode::kCorrupt, index.name, ": corrupt term table entry ", t, " at byte ", at,
               ": its blocks do not fit");
  if (t > 0) {
    DENSER_CHECK(index.term_name(t - 1) < index.term_name(t), ErrorCode::kCorrupt, index.name,
                 ": corrupt term table entry ", t, " at byte ", at, ": terms out of order");
  }
  totals.name_bytes += e.name_bytes;
  totals.blocks += num_blocks;
  totals.postings += e.df;
  totals.postings_bytes += e.postings_bytes;
}

void validate_blocks(const Bm25Index::Impl& index, uint64_t t) {
  const TermEntry& e = index.terms[t];
  const uint64_t num_blocks = bm25_format::num_blocks_for(e.df);
  int64_t previous_doc = -1;
  for (uint64_t j = 0; j < num_blocks; ++j) {
    const BlockMeta& block = index.blocks[e.first_block + j];
    const bool offset_ok =
        j == 0 ? block.offset == 0
               : block.offset > index.blocks[e.first_block + j - 1].offset && block.offset < e.postings_bytes;
    DENSER_CHECK(
        offset_ok && static_cast<int64_t>(block.last_doc) > previous_doc && block.last_doc < index.header.num_docs,
        ErrorCode::kCorrupt, index.name, ": corrupt block table entry ", e.first_block + j, " at byte ",
        reinterpret_cast<const uint8_t*>(&block) - index.base, " (term ", t, ")");
    previous_doc = block.last_doc;
  }
}

void validate_terms(const Bm25Index::Impl& index) {
  TermTotals totals;
  for (uint64_t t = 0; t < index.header.num_terms; ++t) {
    validate_term(index, t, totals);
    validate_blocks(index, t);
  }
  DENSER_CHECK(totals.name_bytes == index.term_bytes_size && totals.blocks == index.header.num_blocks &&
                   totals.postings == index.header.num_postings &&
                   totals.postings_bytes + bm25_format::kPostingsPadding == index.postings_size,
               ErrorCode::kCorrupt, index.name,
               ": corrupt term table: its totals disagree with the header and section sizes");
}

void validate_documents(const Bm25Index::Impl& index) {
  const FileHeader& h = index.header;
  DENSER_CHECK(index.doc_id_offsets[0] == 0, ErrorCode::kCorrupt, index.name, ": corrupt document id offsets");
  uint64_t total = 0, with_terms = 0;
  for (uint64_t d = 0; d < h.num_docs; ++d) {
    DENSER_CHECK(index.doc_id_offsets[d] <= index.doc_id_offsets[d + 1], ErrorCode::kCorrupt, index.name,
                 ": corrupt document id offsets at document ", d);
    const uint32_t length = index.doc_lengths[d];
    DENSER_CHECK(index.doc_norms[d] == length_to_norm_byte(length), ErrorCode::kCorrupt, index.name,
                 ": corrupt norm of document ", d, " (length ", length, ")");
    total += length;
    with_terms += length > 0;
  }
  DENSER_CHECK(total == h.total_terms && with_terms == h.num_docs_with_terms, ErrorCode::kCorrupt, index.name,
               ": corrupt document lengths: they disagree with the header totals");
}

}  // namespace

int64_t Bm25Index::Impl::find_term(std::string_view term) const {
  uint64_t lo = 0, hi = header.num_terms;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const int c = term_name(mid).compare(term);
    if (c == 0) return static_cast<int64_t>(mid);
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

Bm25Index::Impl::BlockRef Bm25Index::Impl::block_ref(uint64_t t, uint64_t j) const {
  const TermEntry& e = terms[t];
  const uint64_t num_blocks = bm25_format::num_blocks_for(e.df);
  const BlockMeta* b = blocks + e.first_block;
  const uint64_t end = j + 1 < num_blocks ? b[j + 1].offset : e.postings_bytes;
  return {postings + e.postings_offset + b[j].offset, static_cast<size_t>(end - b[j].offset),
          j + 1 < num_blocks ? kBlockSize : static_cast<size_t>(e.df - kBlockSize * j),
          j == 0 ? 0 : b[j - 1].last_doc + 1, b[j].last_doc};
}

size_t Bm25Index::Impl::decode(uint64_t t, uint64_t j, uint32_t* docs, uint32_t* tfs) const {
  const BlockRef r = block_ref(t, j);
  if (!postings_codec::decode_block(r.data, r.bytes, r.count, r.base, r.last_doc, docs, tfs)) throw_corrupt_block(t, j);
  return r.count;
}

size_t Bm25Index::Impl::decode_docs(uint64_t t, uint64_t j, uint32_t* docs) const {
  const BlockRef r = block_ref(t, j);
  if (!postings_codec::decode_docs(r.data, r.bytes, r.count, r.base, r.last_doc, docs)) throw_corrupt_block(t, j);
  return r.count;
}

void Bm25Index::Impl::throw_corrupt_block(uint64_t t, uint64_t j) const {
  const TermEntry& e = terms[t];
  DENSER_THROW(ErrorCode::kCorrupt, name, ": corrupt postings block ", j, " of term \"", term_name(t), "\" at byte ",
               (postings - base) + e.postings_offset + blocks[e.first_block + j].offset);
}

Bm25Index::Bm25Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bm25Index::Bm25Index(Bm25Index&&) noexcept = default;
Bm25Index& Bm25Index::operator=(Bm25Index&&) noexcept = default;
Bm25Index::~Bm25Index() = default;

namespace {

// Validates the image at base[0, size) and sets up the views into it.
void load(Bm25Index::Impl& index, const uint8_t* base, size_t size, const Bm25LoadOptions& options) {
  index.base = base;
  index.size = size;
  validate_header(index, index.header);
  if (options.verify_checksum) verify_checksum(index);
  map_sections(index);
  validate_terms(index);
  validate_documents(index);
  const FileHeader& h = index.header;
  index.params = Bm25Params{h.k1, h.b, (h.flags & bm25_format::kFlagExactLengths) != 0};
  index.analyzer_options.stem = (h.flags & bm25_format::kFlagStem) != 0;
  index.analyzer_options.remove_stopwords = (h.flags & bm25_format::kFlagRemoveStopwords) != 0;
  index.analyzer = Bm25Analyzer(index.analyzer_options);
  index.default_model = bm25_detail::ScoreModel(index.params, bm25_avgdl(h.total_terms, h.num_docs_with_terms));
}

}  // namespace

Bm25Index Bm25Index::open(const std::string& path, const Bm25LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->name = path;
  impl->file = MappedFile::open(path);
  load(*impl, impl->file.data(), impl->file.size(), options);
  return Bm25Index(std::move(impl));
}

Bm25Index Bm25Index::from_bytes(std::vector<uint8_t> bytes, const std::string& name, const Bm25LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->owned = std::move(bytes);
  load(*impl, impl->owned.data(), impl->owned.size(), options);
  return Bm25Index(std::move(impl));
}

uint32_t Bm25Index::num_docs() const { return static_cast<uint32_t>(impl_->header.num_docs); }
uint64_t Bm25Index::num_docs_with_terms() const { return impl_->header.num_docs_with_terms; }
uint64_t Bm25Index::num_terms() const { return impl_->header.num_terms; }
uint64_t Bm25Index::num_postings() const { return impl_->header.num_postings; }
uint64_t Bm25Index::total_terms() const { return impl_->header.total_terms; }
float Bm25Index::avgdl() const { return impl_->default_model.avgdl(); }
const Bm25Params& Bm25Index::params() const { return impl_->params; }
const AnalyzerOptions& Bm25Index::analyzer_options() const { return impl_->analyzer_options; }
uint64_t Bm25Index::size_bytes() const { return impl_->size; }

std::string_view Bm25Index::doc_id(uint32_t doc) const {
  DENSER_CHECK(doc < num_docs(), ErrorCode::kInvalidArgument, "document number ", doc, " out of range (", num_docs(),
               " documents)");
  const uint64_t begin = impl_->doc_id_offsets[doc];
  return {impl_->doc_id_bytes + begin, impl_->doc_id_offsets[doc + 1] - begin};
}

uint32_t Bm25Index::doc_length(uint32_t doc) const {
  DENSER_CHECK(doc < num_docs(), ErrorCode::kInvalidArgument, "document number ", doc, " out of range (", num_docs(),
               " documents)");
  return impl_->doc_lengths[doc];
}

uint32_t Bm25Index::doc_freq(std::string_view term) const {
  const int64_t t = impl_->find_term(term);
  return t < 0 ? 0 : impl_->terms[t].df;
}

std::vector<Bm25Posting> Bm25Index::postings(std::string_view term) const {
  std::vector<Bm25Posting> out;
  const int64_t t = impl_->find_term(term);
  if (t < 0) return out;
  uint32_t docs[kBlockSize];
  uint32_t tfs[kBlockSize];
  const uint64_t num_blocks = bm25_format::num_blocks_for(impl_->terms[t].df);
  for (uint64_t j = 0; j < num_blocks; ++j) {
    const size_t n = impl_->decode(static_cast<uint64_t>(t), j, docs, tfs);
    for (size_t i = 0; i < n; ++i) out.push_back({docs[i], tfs[i]});
  }
  return out;
}

}  // namespace denser
