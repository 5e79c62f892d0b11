#include "denser/sparse/bm25_builder.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/common/parallel.h"
#include "denser/common/progress.h"
#include "bm25_build_state.h"
#include "denser/common/timer.h"

namespace denser {

using bm25_detail::ByteSink;
using bm25_detail::IndexData;
using bm25_detail::Partition;

namespace {

// One document after analysis: its distinct terms with their frequencies and partitions.
struct AnalyzedDoc {
  std::vector<std::string> terms;  // sorted, distinct
  std::vector<uint32_t> tfs;
  std::vector<uint32_t> partitions;
  uint64_t length = 0;
};

void analyze_document(const Document& doc, const Bm25Analyzer& analyzer, size_t num_partitions,
                      std::vector<std::string>& tokens, AnalyzedDoc& out) {
  // Indexed text is title + " " + text; the space separates tokens, so analyzing the two
  // fields one after the other gives the same terms without building the string.
  tokens.clear();
  analyzer.analyze(doc.title, tokens);
  analyzer.analyze(doc.text, tokens);
  out.length = tokens.size();
  std::sort(tokens.begin(), tokens.end());
  out.terms.clear();
  out.tfs.clear();
  out.partitions.clear();
  for (size_t i = 0; i < tokens.size();) {
    size_t j = i + 1;
    while (j < tokens.size() && tokens[j] == tokens[i]) ++j;
    out.partitions.push_back(static_cast<uint32_t>(std::hash<std::string>{}(tokens[i]) % num_partitions));
    out.tfs.push_back(static_cast<uint32_t>(j - i));
    out.terms.push_back(std::move(tokens[i]));
    i = j;
  }
}

class VectorSink : public ByteSink {
 public:
  explicit VectorSink(std::vector<uint8_t>& out) : out_(out) {}
  void write(const void* data, size_t n) override {
    const auto* bytes = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), bytes, bytes + n);
  }

 private:
  std::vector<uint8_t>& out_;
};

class FileSink : public ByteSink {
 public:
  explicit FileSink(AtomicFileWriter& out) : out_(out) {}
  void write(const void* data, size_t n) override { out_.write(data, n); }

 private:
  AtomicFileWriter& out_;
};

}  // namespace

struct Bm25IndexBuilder::Impl {
  IndexData data;
  Bm25Analyzer analyzer;
  int num_threads = 1;
  bool finished = false;
  Bm25BuildStats stats;
  std::vector<AnalyzedDoc> analyzed;             // one batch
  std::vector<std::vector<std::string>> tokens;  // per thread

  explicit Impl(const Bm25BuildOptions& options) : analyzer(options.analyzer) {
    validate_bm25_params(options.params);
    data.options = options;
    num_threads = options.num_threads > 0 ? options.num_threads : default_num_threads();
    data.options.num_threads = num_threads;
    data.options.batch_docs = std::max<size_t>(options.batch_docs, 1);
    data.partitions.resize(static_cast<size_t>(num_threads));
    tokens.resize(static_cast<size_t>(num_threads));
  }

  void add_batch(const Document* docs, size_t n);
  void record_documents(const Document* docs, size_t n);
  void merge(size_t partition, uint32_t first_doc, size_t n);
  void finish();
};

void Bm25IndexBuilder::Impl::add_batch(const Document* docs, size_t n) {
  DENSER_CHECK(!finished, ErrorCode::kInternal, "documents added to a BM25 index builder after write() or build()");
  if (n == 0) return;
  const auto start = std::chrono::steady_clock::now();
  analyzed.resize(std::max(analyzed.size(), n));
  const size_t num_partitions = data.partitions.size();
  parallel_for(n, num_threads, 16, [&](size_t begin, size_t end, int thread) {
    for (size_t i = begin; i < end; ++i)
      analyze_document(docs[i], analyzer, num_partitions, tokens[static_cast<size_t>(thread)], analyzed[i]);
  });
  const auto first_doc = static_cast<uint32_t>(data.doc_lengths.size());
  record_documents(docs, n);
  parallel_for(num_partitions, num_threads, 1, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) merge(p, first_doc, n);
  });
  stats.seconds += seconds_since(start);
}

void Bm25IndexBuilder::Impl::record_documents(const Document* docs, size_t n) {
  // Document numbers are uint32_t and UINT32_MAX marks "no more documents" in search.
  DENSER_CHECK(data.doc_lengths.size() + n < UINT32_MAX, ErrorCode::kTooLarge, "a BM25 index holds at most ",
               UINT32_MAX - 1, " documents");
  for (size_t i = 0; i < n; ++i) {
    const AnalyzedDoc& doc = analyzed[i];
    DENSER_CHECK(doc.length <= UINT32_MAX, ErrorCode::kTooLarge, "document ", docs[i].id, " has more than 2^32 terms");
    data.doc_lengths.push_back(static_cast<uint32_t>(doc.length));
    data.doc_id_bytes += docs[i].id;
    data.doc_id_offsets.push_back(data.doc_id_bytes.size());
    data.total_terms += doc.length;
    data.num_postings += doc.terms.size();
    if (doc.length > 0) {
      ++data.num_docs_with_terms;
    } else {
      ++stats.num_empty_docs;
    }
  }
  stats.num_docs = data.doc_lengths.size();
  stats.total_terms = data.total_terms;
  stats.num_postings = data.num_postings;
}

void Bm25IndexBuilder::Impl::merge(size_t p, uint32_t first_doc, size_t n) {
  Partition& partition = data.partitions[p];
  for (size_t i = 0; i < n; ++i) {
    const AnalyzedDoc& doc = analyzed[i];
    for (size_t j = 0; j < doc.terms.size(); ++j) {
      if (doc.partitions[j] != p) continue;
      const auto [it, inserted] =
          partition.ids.try_emplace(doc.terms[j], static_cast<uint32_t>(partition.postings.size()));
      if (inserted) {
        partition.postings.emplace_back();
        partition.names.push_back(&it->first);
      }
      partition.postings[it->second].add(first_doc + static_cast<uint32_t>(i), doc.tfs[j]);
    }
  }
}

void Bm25IndexBuilder::Impl::finish() {
  if (finished) return;
  finished = true;
  analyzed.clear();
  analyzed.shrink_to_fit();
  bm25_detail::finish(data);
  stats.num_terms = 0;
  for (const Partition& partition : data.partitions) stats.num_terms += partition.names.size();
  DENSER_LOG_INFO("bm25 index: ", stats.num_docs, " documents, ", stats.num_terms, " terms, ", stats.num_postings,
                  " postings");
}

Bm25IndexBuilder::Bm25IndexBuilder(Bm25BuildOptions options) : impl_(std::make_unique<Impl>(options)) {}
Bm25IndexBuilder::~Bm25IndexBuilder() = default;

void Bm25IndexBuilder::add(const Document& doc) { impl_->add_batch(&doc, 1); }

void Bm25IndexBuilder::add(const std::vector<Document>& docs) {
  const size_t batch = impl_->data.options.batch_docs;
  for (size_t begin = 0; begin < docs.size(); begin += batch)
    impl_->add_batch(docs.data() + begin, std::min(batch, docs.size() - begin));
}

void Bm25IndexBuilder::add(DocumentReader& reader) {
  const size_t batch = impl_->data.options.batch_docs;
  auto progress = make_progress("indexing", reader.total_bytes(), "B");
  std::vector<Document> docs(batch);
  uint64_t reported = 0;
  for (;;) {
    size_t n = 0;
    while (n < batch && reader.next(docs[n])) ++n;
    if (n == 0) break;
    impl_->add_batch(docs.data(), n);
    progress->advance(reader.bytes_read() - reported);
    reported = reader.bytes_read();
    if (n < batch) break;
  }
  progress->finish();
}

const Bm25BuildStats& Bm25IndexBuilder::stats() const { return impl_->stats; }

void Bm25IndexBuilder::write(const std::string& path) {
  impl_->finish();
  AtomicFileWriter writer(path);
  FileSink sink(writer);
  bm25_detail::serialize(impl_->data, sink);
  writer.commit();
}

Bm25Index Bm25IndexBuilder::build() {
  impl_->finish();
  std::vector<uint8_t> bytes;
  VectorSink sink(bytes);
  bm25_detail::serialize(impl_->data, sink);
  return Bm25Index::from_bytes(std::move(bytes), "<in-memory BM25 index>");
}

}  // namespace denser
