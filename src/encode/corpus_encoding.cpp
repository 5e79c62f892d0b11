// Streaming corpus encoding (see corpus_encoding.h).
#include "denser/encode/corpus_encoding.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <span>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/progress.h"

namespace denser {
namespace {

// One bucket of read-ahead documents: ids and texts in corpus order, and the rows the
// encoder produced for them, also in corpus order.
struct Bucket {
  std::vector<std::string> ids;
  std::vector<std::string> texts;
  std::vector<float> rows;

  void clear() {
    ids.clear();
    texts.clear();
  }
};

// Encodes the bucket's texts in batches of similar length (longest first, so that a
// too-long batch fails early) and stores each row at its corpus position.
void encode_bucket(Encoder& encoder, Bucket& bucket, size_t batch_size) {
  const size_t n = bucket.texts.size();
  const size_t dim = static_cast<size_t>(encoder.dim());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable, so equal lengths keep corpus order and the batches are deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bucket.texts[a].size() > bucket.texts[b].size(); });
  bucket.rows.resize(n * dim);
  std::vector<std::string_view> batch;
  std::vector<float> out;
  for (size_t begin = 0; begin < n; begin += batch_size) {
    const size_t end = std::min(n, begin + batch_size);
    batch.clear();
    for (size_t i = begin; i < end; ++i) batch.emplace_back(bucket.texts[order[i]]);
    out.resize(batch.size() * dim);
    encoder.encode_documents(batch, out);
    for (size_t i = begin; i < end; ++i)
      std::copy_n(out.begin() + static_cast<std::ptrdiff_t>((i - begin) * dim), dim,
                  bucket.rows.begin() + static_cast<std::ptrdiff_t>(order[i] * dim));
  }
}

}  // namespace

std::string document_text(const Document& doc, bool with_titles) {
  if (!with_titles || doc.title.empty()) return doc.text;
  return doc.title + " " + doc.text;
}

CorpusEncodeStats encode_corpus(Encoder& encoder, DocumentReader& reader, EmbeddingsWriter& writer,
                                const CorpusEncodeOptions& options) {
  DENSER_CHECK(options.batch_size > 0, ErrorCode::kInvalidArgument, "encode_corpus: batch_size must be positive");
  DENSER_CHECK(options.bucket_batches > 0, ErrorCode::kInvalidArgument,
               "encode_corpus: bucket_batches must be positive");
  DENSER_CHECK(encoder.dim() > 0, ErrorCode::kInternal, "encode_corpus: the encoder reports dimension ", encoder.dim());
  const auto start = std::chrono::steady_clock::now();
  const size_t bucket_docs = options.batch_size * options.bucket_batches;
  auto progress = make_progress("encoding", reader.total_bytes(), "B");
  uint64_t bytes_reported = 0;
  CorpusEncodeStats stats;
  Bucket bucket;
  Document doc;
  bool more = true;
  while (more) {
    bucket.clear();
    while (bucket.ids.size() < bucket_docs && (more = reader.next(doc))) {
      bucket.texts.push_back(document_text(doc, options.with_titles));
      bucket.ids.push_back(std::move(doc.id));
    }
    if (bucket.ids.empty()) break;
    encode_bucket(encoder, bucket, options.batch_size);
    writer.append(bucket.ids, std::span<const float>(bucket.rows).first(bucket.ids.size() * encoder.dim()));
    stats.documents += bucket.ids.size();
    const uint64_t bytes = reader.bytes_read();
    if (bytes > bytes_reported) progress->advance(bytes - bytes_reported);
    bytes_reported = std::max(bytes_reported, bytes);
  }
  progress->finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.docs_per_second = stats.seconds > 0 ? static_cast<double>(stats.documents) / stats.seconds : 0.0;
  return stats;
}

}  // namespace denser
