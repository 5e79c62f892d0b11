// encode_corpus: every document once, in corpus order, with the vector it gets when
// encoded alone; read-ahead bounded by one bucket; progress covering the input bytes.
#include "denser/encode/corpus_encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/progress.h"
#include "denser/encode/transformer.h"
#include "denser/index/embeddings.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

using test::ScratchDir;

// Serves documents from memory and counts how many it has handed out.
class VectorReader : public DocumentReader {
 public:
  explicit VectorReader(std::vector<Document> docs) : docs_(std::move(docs)) {
    for (const Document& d : docs_) total_ += d.id.size() + d.title.size() + d.text.size() + 1;
  }
  bool next(Document& doc) override {
    if (pos_ == docs_.size()) return false;
    const Document& d = docs_[pos_++];
    doc = d;
    bytes_ += d.id.size() + d.title.size() + d.text.size() + 1;
    return true;
  }
  std::string where() const override { return "memory:" + std::to_string(pos_); }
  uint64_t bytes_read() const override { return bytes_; }
  uint64_t total_bytes() const override { return total_; }
  const ReadStats& stats() const override { return stats_; }
  size_t handed_out() const { return pos_; }

 private:
  std::vector<Document> docs_;
  size_t pos_ = 0;
  uint64_t bytes_ = 0;
  uint64_t total_ = 0;
  ReadStats stats_;
};

// A stand-in encoder whose vector is a function of the text alone (length and the first
// and last bytes), which records the read-ahead at each call: documents handed out by
// the reader but not yet encoded.
class CountingEncoder : public Encoder {
 public:
  explicit CountingEncoder(const VectorReader& reader) : reader_(reader) {}
  int dim() const override { return 3; }
  static std::vector<float> expected(std::string_view t) {
    return {static_cast<float>(t.size()), t.empty() ? -1.0f : static_cast<float>(t.front()),
            t.empty() ? -1.0f : static_cast<float>(t.back())};
  }
  void encode_queries(std::span<const std::string_view>, std::span<float>) override { FAIL(); }
  void encode_documents(std::span<const std::string_view> texts, std::span<float> out) override {
    max_batch = std::max(max_batch, texts.size());
    max_outstanding = std::max(max_outstanding, reader_.handed_out() - encoded);
    encoded += texts.size();
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::vector<float> v = expected(texts[i]);
      std::copy(v.begin(), v.end(), out.begin() + static_cast<std::ptrdiff_t>(i * 3));
    }
  }
  std::string fingerprint() const override { return "counting"; }
  void save(const std::string&) const override {}
  std::string family() const override { return "test"; }
  std::unique_ptr<Encoder> clone() const override { return std::make_unique<CountingEncoder>(reader_); }

  size_t encoded = 0;
  size_t max_batch = 0;
  size_t max_outstanding = 0;

 private:
  const VectorReader& reader_;
};

std::vector<Document> make_docs(size_t n) {
  const std::vector<std::string> texts = test::sample_texts();
  std::vector<Document> docs;
  for (size_t i = 0; i < n; ++i) {
    Document d;
    d.id = str("d", i * 7919 % 100003);  // not sorted, so order is checked
    d.title = i % 3 == 0 ? str("the gene ", i) : std::string();
    d.text = i % 11 == 5 ? "" : texts[i % texts.size()];
    docs.push_back(d);
  }
  return docs;
}

TEST(DocumentText, JoinsTitleAndText) {
  EXPECT_EQ(document_text(Document{"1", "Title", "body text"}, true), "Title body text");
  EXPECT_EQ(document_text(Document{"1", "Title", "body text"}, false), "body text");
  EXPECT_EQ(document_text(Document{"1", "", "body text"}, true), "body text");
  EXPECT_EQ(document_text(Document{"1", "", ""}, true), "");
}

TEST(EncodeCorpus, RowsEqualEncodingEachDocumentAlone) {
  ScratchDir dir("corpus_enc");
  const std::vector<Document> docs = make_docs(23);
  auto encoder = create_transformer_encoder(test::tiny_test_config("bert", "mean", false), test::small_vocab(),
                                            test::one_thread(), 5);
  VectorReader reader(docs);
  EmbeddingsWriter writer(dir.path("e.emb"), static_cast<uint32_t>(encoder->dim()), EmbeddingDType::kF32,
                          encoder->fingerprint());
  CorpusEncodeOptions options;
  options.batch_size = 4;
  options.bucket_batches = 2;  // buckets of 8: 3 buckets, the last one partial
  const CorpusEncodeStats stats = encode_corpus(*encoder, reader, writer, options);
  writer.finish();
  EXPECT_EQ(stats.documents, docs.size());

  const Embeddings emb = Embeddings::open(dir.path("e.emb"));
  ASSERT_EQ(emb.num_rows(), docs.size());
  EXPECT_EQ(emb.header().model_fingerprint, encoder->fingerprint());
  const size_t dim = emb.dim();
  std::vector<float> row(dim), alone(dim);
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(emb.id(i), docs[i].id);
    const std::string text = document_text(docs[i], true);
    const std::string_view view = text;
    encoder->encode_documents(std::span(&view, 1), alone);
    emb.rows(i, i + 1, row.data());
    for (size_t j = 0; j < dim; ++j) ASSERT_NEAR(row[j], alone[j], 1e-5) << "doc " << i << " component " << j;
  }
}

TEST(EncodeCorpus, ReadAheadIsBoundedByOneBucket) {
  ScratchDir dir("corpus_bound");
  const std::vector<Document> docs = make_docs(1000);
  VectorReader reader(docs);
  CountingEncoder encoder(reader);
  EmbeddingsWriter writer(dir.path("e.emb"), 3, EmbeddingDType::kF32, encoder.fingerprint());
  CorpusEncodeOptions options;
  options.batch_size = 16;
  options.bucket_batches = 4;
  options.with_titles = false;
  encode_corpus(encoder, reader, writer, options);
  writer.finish();
  EXPECT_EQ(encoder.encoded, docs.size());
  EXPECT_EQ(encoder.max_batch, 16u);
  // A full bucket is read before its first batch is encoded, and never more.
  EXPECT_EQ(encoder.max_outstanding, 64u);

  const Embeddings emb = Embeddings::open(dir.path("e.emb"));
  ASSERT_EQ(emb.num_rows(), docs.size());
  std::vector<float> row(3);
  for (size_t i = 0; i < docs.size(); ++i) {
    ASSERT_EQ(emb.id(i), docs[i].id);
    emb.rows(i, i + 1, row.data());
    EXPECT_EQ(row, CountingEncoder::expected(docs[i].text)) << "doc " << i;
  }
}

// Records what encode_corpus reports through make_progress().
struct ProgressLog {
  std::string label, unit;
  uint64_t total = 0, advanced = 0;
  bool finished = false;
};

class LoggingProgress : public Progress {
 public:
  explicit LoggingProgress(ProgressLog& log) : log_(log) {}
  void advance(uint64_t n) override { log_.advanced += n; }
  void finish() override { log_.finished = true; }

 private:
  ProgressLog& log_;
};

TEST(EncodeCorpus, ProgressCoversTheInputBytes) {
  ScratchDir dir("corpus_progress");
  ProgressLog log;
  set_progress_factory([&log](const std::string& label, uint64_t total, const std::string& unit) {
    log.label = label;
    log.total = total;
    log.unit = unit;
    return std::make_unique<LoggingProgress>(log);
  });
  VectorReader reader(make_docs(100));
  CountingEncoder encoder(reader);
  EmbeddingsWriter writer(dir.path("e.emb"), 3, EmbeddingDType::kF16, encoder.fingerprint());
  encode_corpus(encoder, reader, writer, CorpusEncodeOptions{7, 3, true});
  writer.finish();
  set_progress_factory({});
  EXPECT_EQ(log.label, "encoding");
  EXPECT_EQ(log.unit, "B");
  EXPECT_EQ(log.total, reader.total_bytes());
  EXPECT_EQ(log.advanced, reader.total_bytes());
  EXPECT_TRUE(log.finished);
}

TEST(EncodeCorpus, EmptyCorpusAndBadOptions) {
  ScratchDir dir("corpus_empty");
  VectorReader reader({});
  CountingEncoder encoder(reader);
  EmbeddingsWriter writer(dir.path("e.emb"), 3, EmbeddingDType::kF32, encoder.fingerprint());
  EXPECT_THROW(encode_corpus(encoder, reader, writer, CorpusEncodeOptions{0, 4, true}), Error);
  EXPECT_THROW(encode_corpus(encoder, reader, writer, CorpusEncodeOptions{4, 0, true}), Error);
  EXPECT_EQ(encode_corpus(encoder, reader, writer).documents, 0u);
  writer.finish();
  EXPECT_EQ(Embeddings::open(dir.path("e.emb")).num_rows(), 0u);
  EXPECT_EQ(encoder.encoded, 0u);
}

}  // namespace
}  // namespace denser
