// Finishing the accumulated postings (pruning bounds) and serializing the index file.
#include <algorithm>
#include <array>
#include <cstring>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/parallel.h"
#include "bm25_build_state.h"
#include "postings_codec.h"

namespace denser::bm25_detail {

using bm25_format::BlockMeta;
using bm25_format::kBlockSize;
using bm25_format::kPostingsPadding;
using bm25_format::SectionEntry;
using bm25_format::SectionId;
using bm25_format::TermEntry;

void TermPostings::add(uint32_t doc, uint32_t tf) {
  pending.push_back(doc);
  pending.push_back(tf);
  ++entry.df;
  if (pending.size() == 2 * kBlockSize) flush();
}

void TermPostings::flush() {
  if (pending.empty()) return;
  const size_t n = pending.size() / 2;
  uint32_t docs[kBlockSize];
  uint32_t tfs[kBlockSize];
  for (size_t i = 0; i < n; ++i) {
    docs[i] = pending[2 * i];
    tfs[i] = pending[2 * i + 1];
  }
  const uint32_t base = blocks.empty() ? 0 : blocks.back().last_doc + 1;
  DENSER_CHECK(bytes.size() <= UINT32_MAX, ErrorCode::kTooLarge, "a term's postings exceed 4 GiB");
  BlockMeta block{};
  block.last_doc = docs[n - 1];
  block.offset = static_cast<uint32_t>(bytes.size());
  postings_codec::encode_block(docs, tfs, n, base, bytes);
  blocks.push_back(block);
  pending.clear();
}

namespace {

// The running maximum of a set of postings under one ScoreModel. The best posting is the
// one maximizing tf * norm_inverse (in float), which maximizes the score because the score
// is monotone in that product.
struct BoundTracker {
  float best_x = -1.0f;
  uint32_t best_tf = 0, best_len = 0, max_tf = 0, min_len = UINT32_MAX;

  void add(uint32_t tf, uint32_t len, const ScoreModel& model) {
    const float x = static_cast<float>(tf) * model.norm_inverse_for_length(len);
    if (x > best_x) {
      best_x = x;
      best_tf = tf;
      best_len = len;
    }
    max_tf = std::max(max_tf, tf);
    min_len = std::min(min_len, len);
  }
  template <typename T>
  void store(T& out) const {
    out.best_tf = best_tf;
    out.best_len = best_len;
    out.max_tf = max_tf;
    out.min_len = min_len;
  }
};

void set_bounds(TermPostings& term, const ScoreModel& model, const std::vector<uint32_t>& lengths) {
  const size_t size = term.bytes.size();
  term.bytes.resize(size + kPostingsPadding, 0);  // the decoder reads 8 bytes at a time
  uint32_t docs[kBlockSize];
  uint32_t tfs[kBlockSize];
  BoundTracker term_bound;
  uint64_t remaining = term.entry.df;
  uint32_t base = 0;
  for (size_t i = 0; i < term.blocks.size(); ++i) {
    BlockMeta& block = term.blocks[i];
    const size_t n = std::min<uint64_t>(remaining, kBlockSize);
    const size_t end = i + 1 < term.blocks.size() ? term.blocks[i + 1].offset : size;
    const bool ok = postings_codec::decode_block(term.bytes.data() + block.offset, end - block.offset, n, base,
                                                 block.last_doc, docs, tfs);
    DENSER_CHECK(ok, ErrorCode::kInternal, "internal error: a postings block just written does not decode");
    BoundTracker block_bound;
    for (size_t j = 0; j < n; ++j) {
      block_bound.add(tfs[j], lengths[docs[j]], model);
      term_bound.add(tfs[j], lengths[docs[j]], model);
    }
    block_bound.store(block);
    remaining -= n;
    base = block.last_doc + 1;
  }
  term_bound.store(term.entry);
  term.bytes.resize(size);
}

}  // namespace

void finish(IndexData& data) {
  const ScoreModel model(data.options.params, bm25_avgdl(data.total_terms, data.num_docs_with_terms));
  parallel_for(data.partitions.size(), data.options.num_threads, 1, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) {
      for (TermPostings& term : data.partitions[p].postings) {
        term.flush();
        set_bounds(term, model, data.doc_lengths);
      }
    }
  });
}

namespace {

// Buffers small writes, keeps the CRC-32C and the position.
class Output {
 public:
  explicit Output(ByteSink& sink) : sink_(sink) { buffer_.reserve(kBufferBytes); }
  ~Output() = default;

  void put(const void* data, size_t n) {
    crc_ = crc32c(data, n, crc_);
    pos_ += n;
    if (buffer_.size() + n > kBufferBytes) flush();
    if (n >= kBufferBytes) {
      sink_.write(data, n);
    } else {
      const auto* bytes = static_cast<const uint8_t*>(data);
      buffer_.insert(buffer_.end(), bytes, bytes + n);
    }
  }
  template <typename T>
  void put_pod(const T& value) {
    put(&value, sizeof(T));
  }
  template <typename T>
  void put_array(const std::vector<T>& values) {
    put(values.data(), values.size() * sizeof(T));
  }
  void pad_to(uint64_t offset) {
    static constexpr uint8_t kZeros[bm25_format::kSectionAlignment] = {};
    while (pos_ < offset) put(kZeros, std::min<uint64_t>(sizeof(kZeros), offset - pos_));
  }
  void flush() {
    if (!buffer_.empty()) sink_.write(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  uint64_t pos() const { return pos_; }
  uint32_t crc() const { return crc_; }

 private:
  static constexpr size_t kBufferBytes = 1 << 16;
  ByteSink& sink_;
  std::vector<uint8_t> buffer_;
  uint64_t pos_ = 0;
  uint32_t crc_ = 0;
};

struct TermRef {
  const std::string* name;
  const TermPostings* postings;
};

std::vector<TermRef> sorted_terms(const IndexData& data) {
  std::vector<TermRef> terms;
  for (const Partition& partition : data.partitions)
    for (size_t i = 0; i < partition.names.size(); ++i) terms.push_back({partition.names[i], &partition.postings[i]});
  std::sort(terms.begin(), terms.end(), [](const TermRef& a, const TermRef& b) { return *a.name < *b.name; });
  return terms;
}

uint64_t align(uint64_t offset) {
  const uint64_t a = bm25_format::kSectionAlignment;
  return (offset + a - 1) / a * a;
}

struct Layout {
  std::array<SectionEntry, bm25_format::kNumSections> sections{};
  uint64_t trailer_offset = 0;
  uint64_t num_blocks = 0;
};

Layout plan_layout(const IndexData& data, const std::vector<TermRef>& terms) {
  uint64_t name_bytes = 0, posting_bytes = 0, num_blocks = 0;
  for (const TermRef& t : terms) {
    name_bytes += t.name->size();
    posting_bytes += t.postings->bytes.size();
    num_blocks += t.postings->blocks.size();
  }
  const uint64_t num_docs = data.doc_lengths.size();
  const uint64_t sizes[] = {name_bytes,
                            terms.size() * sizeof(TermEntry),
                            num_blocks * sizeof(BlockMeta),
                            posting_bytes + kPostingsPadding,
                            (num_docs + 1) * sizeof(uint64_t),
                            data.doc_id_bytes.size(),
                            num_docs * sizeof(uint32_t),
                            num_docs};
  Layout layout;
  layout.num_blocks = num_blocks;
  uint64_t offset = sizeof(bm25_format::FileHeader) + sizeof(layout.sections);
  for (uint32_t i = 0; i < bm25_format::kNumSections; ++i) {
    offset = align(offset);
    layout.sections[i] = SectionEntry{i + 1, 0, offset, sizes[i]};
    offset += sizes[i];
  }
  layout.trailer_offset = align(offset);
  return layout;
}

bm25_format::FileHeader make_header(const IndexData& data, const Layout& layout, uint64_t num_terms) {
  bm25_format::FileHeader header{};
  std::memcpy(header.magic, bm25_format::kMagic, sizeof(header.magic));
  header.version = bm25_format::kVersion;
  header.header_bytes = sizeof(header);
  header.file_bytes = layout.trailer_offset + sizeof(bm25_format::Trailer);
  header.num_docs = data.doc_lengths.size();
  header.num_docs_with_terms = data.num_docs_with_terms;
  header.num_terms = num_terms;
  header.num_postings = data.num_postings;
  header.num_blocks = layout.num_blocks;
  header.total_terms = data.total_terms;
  header.k1 = data.options.params.k1;
  header.b = data.options.params.b;
  header.flags = (data.options.params.exact_lengths ? bm25_format::kFlagExactLengths : 0) |
                 (data.options.analyzer.stem ? bm25_format::kFlagStem : 0) |
                 (data.options.analyzer.remove_stopwords ? bm25_format::kFlagRemoveStopwords : 0);
  header.block_size = kBlockSize;
  header.num_sections = bm25_format::kNumSections;
  return header;
}

void write_terms(const std::vector<TermRef>& terms, Output& out) {
  for (const TermRef& t : terms) out.put(t.name->data(), t.name->size());
}

void write_term_table(const std::vector<TermRef>& terms, Output& out) {
  uint64_t name_offset = 0, postings_offset = 0, first_block = 0;
  for (const TermRef& t : terms) {
    TermEntry entry = t.postings->entry;
    entry.name_offset = name_offset;
    entry.name_bytes = static_cast<uint32_t>(t.name->size());
    entry.postings_offset = postings_offset;
    entry.postings_bytes = t.postings->bytes.size();
    entry.first_block = first_block;
    out.put_pod(entry);
    name_offset += t.name->size();
    postings_offset += t.postings->bytes.size();
    first_block += t.postings->blocks.size();
  }
}

void write_norms(const std::vector<uint32_t>& lengths, Output& out) {
  std::vector<uint8_t> chunk;
  for (size_t begin = 0; begin < lengths.size(); begin += 1 << 16) {
    const size_t end = std::min(lengths.size(), begin + (1 << 16));
    chunk.resize(end - begin);
    for (size_t i = begin; i < end; ++i) chunk[i - begin] = length_to_norm_byte(lengths[i]);
    out.put_array(chunk);
  }
}

}  // namespace

uint64_t serialize(const IndexData& data, ByteSink& sink) {
  const std::vector<TermRef> terms = sorted_terms(data);
  const Layout layout = plan_layout(data, terms);
  Output out(sink);
  out.put_pod(make_header(data, layout, terms.size()));
  for (const SectionEntry& section : layout.sections) out.put_pod(section);
  auto start = [&](SectionId id) { out.pad_to(layout.sections[static_cast<uint32_t>(id) - 1].offset); };

  start(SectionId::kTermBytes);
  write_terms(terms, out);
  start(SectionId::kTermTable);
  write_term_table(terms, out);
  start(SectionId::kBlockTable);
  for (const TermRef& t : terms) out.put_array(t.postings->blocks);
  start(SectionId::kPostings);
  for (const TermRef& t : terms) out.put_array(t.postings->bytes);
  out.pad_to(out.pos() + kPostingsPadding);
  start(SectionId::kDocIdOffsets);
  out.put_array(data.doc_id_offsets);
  start(SectionId::kDocIdBytes);
  out.put(data.doc_id_bytes.data(), data.doc_id_bytes.size());
  start(SectionId::kDocLengths);
  out.put_array(data.doc_lengths);
  start(SectionId::kDocNorms);
  write_norms(data.doc_lengths, out);
  out.pad_to(layout.trailer_offset);
  const bm25_format::Trailer trailer{out.crc(), 0};
  out.put_pod(trailer);
  out.flush();
  return out.pos();
}

}  // namespace denser::bm25_detail
