#include "train/trainable_model.h"

#include <algorithm>
#include <numeric>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/parallel.h"
#include "denser/encode/model_config.h"
#include "denser/encode/ngram.h"
#include "denser/encode/transformer.h"
#include "denser/text/wordpiece.h"
#include "denser/text/wordpiece_trainer.h"
#include "encode/ngram_encoder.h"
#include "encode/transformer_encoder.h"

namespace denser::train_internal {
namespace {

using encode_internal::NgramEncoder;
using encode_internal::TransformerEncoder;

torch::Tensor long_tensor(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kLong));
}

// The part both families share: an encoder of type EncoderT whose inputs (rows of type
// Row, one per training query and per document) are computed once and cached.
template <typename EncoderT, typename Row>
class CachedFeatureModel : public TrainableModel {
 public:
  torch::Tensor encode_queries(const std::vector<uint32_t>& idx) override { return forward(query_rows_, idx, true); }
  torch::Tensor encode_documents(const std::vector<uint32_t>& idx) override { return forward(doc_rows_, idx, false); }
  Encoder& encoder() override { return *encoder_; }
  std::vector<torch::Tensor> parameters() override { return encoder_->net()->parameters(); }
  void set_training(bool training) override { encoder_->net()->train(training); }

 protected:
  CachedFeatureModel(std::unique_ptr<Encoder> encoder, const char* family)
      : owner_(std::move(encoder)), encoder_(dynamic_cast<EncoderT*>(owner_.get())) {
    DENSER_CHECK(encoder_ != nullptr, "train: the model is not ", family, " encoder");
  }
  /// rows[idx[i]] for every i, as one batch through the network -> (idx.size(), dim).
  virtual torch::Tensor forward(const std::vector<Row>& rows, const std::vector<uint32_t>& idx, bool query) = 0;

  std::unique_ptr<Encoder> owner_;
  EncoderT* encoder_;
  std::vector<Row> doc_rows_, query_rows_;
};

class NgramModel final : public CachedFeatureModel<NgramEncoder, std::vector<int64_t>> {
 public:
  NgramModel(std::unique_ptr<Encoder> encoder, const TrainingData& data, int num_threads)
      : CachedFeatureModel(std::move(encoder), "an n-gram") {
    encoder_->net()->set_sparse_gradients(true);
    doc_rows_ = buckets(data.doc_texts, num_threads);
    query_rows_ = buckets(data.query_texts, num_threads);
  }

 private:
  std::vector<std::vector<int64_t>> buckets(const std::vector<std::string>& texts, int num_threads) const {
    std::vector<std::vector<int64_t>> rows(texts.size());
    parallel_for(texts.size(), num_threads, 256, [&](size_t begin, size_t end, int) {
      for (size_t i = begin; i < end; ++i) rows[i] = ngram_buckets(texts[i], encoder_->config());
    });
    return rows;
  }
  torch::Tensor forward(const std::vector<std::vector<int64_t>>& rows, const std::vector<uint32_t>& idx,
                        bool query) override {
    std::vector<int64_t> ids, offsets;
    for (uint32_t i : idx) {
      offsets.push_back(static_cast<int64_t>(ids.size()));
      ids.insert(ids.end(), rows[i].begin(), rows[i].end());
    }
    return encoder_->net()->forward(long_tensor(ids), long_tensor(offsets), query);
  }
};

class TransformerModel final : public CachedFeatureModel<TransformerEncoder, Encoding> {
 public:
  TransformerModel(std::unique_ptr<Encoder> encoder, const TrainingData& data, const TrainOptions& options,
                   int num_threads)
      : CachedFeatureModel(std::move(encoder), "a transformer") {
    const ModelConfig& config = encoder_->config();
    // Texts longer than the position table are cut, as encoding does.
    const int64_t positions = config.max_position_embeddings - (config.is_roberta() ? config.pad_token_id + 1 : 0);
    doc_rows_ = tokenize(data.doc_texts, std::min<int64_t>(options.doc_max_length, positions), num_threads);
    query_rows_ = tokenize(data.query_texts, std::min<int64_t>(options.query_max_length, positions), num_threads);
  }

 private:
  std::vector<Encoding> tokenize(const std::vector<std::string>& texts, int64_t max_length, int num_threads) const {
    std::vector<Encoding> rows(texts.size());
    parallel_for(texts.size(), num_threads, 128, [&](size_t begin, size_t end, int) {
      for (size_t i = begin; i < end; ++i)
        rows[i] = encoder_->tokenizer().encode_single(texts[i], static_cast<size_t>(max_length));
    });
    return rows;
  }
  // Length buckets: the rows are sorted by length and run in groups of kBucketRows, each
  // padded to its own longest row only, then put back in the caller's order. A batch of
  // short and long documents no longer pays the longest one's length for every row.
  static constexpr size_t kBucketRows = 8;

  torch::Tensor forward(const std::vector<Encoding>& rows, const std::vector<uint32_t>& idx, bool query) override {
    if (idx.size() <= kBucketRows) return forward_padded(rows, idx, query);
    std::vector<uint32_t> order(idx.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return rows[idx[a]].size() < rows[idx[b]].size(); });
    std::vector<torch::Tensor> parts;
    for (size_t begin = 0; begin < order.size();) {
      // The last group takes a short remainder rather than run a sliver on its own.
      size_t end = std::min(order.size(), begin + kBucketRows);
      if (order.size() - end < kBucketRows / 2) end = order.size();
      std::vector<uint32_t> group;
      for (size_t i = begin; i < end; ++i) group.push_back(idx[order[i]]);
      parts.push_back(forward_padded(rows, group, query));
      begin = end;
    }
    std::vector<int64_t> inverse(order.size());
    for (size_t i = 0; i < order.size(); ++i) inverse[order[i]] = static_cast<int64_t>(i);
    torch::Tensor sorted = torch::cat(parts, 0);
    return sorted.index_select(0, long_tensor(inverse).to(sorted.device()));
  }

  torch::Tensor forward_padded(const std::vector<Encoding>& rows, const std::vector<uint32_t>& idx, bool query) {
    size_t seq = 0;
    for (uint32_t i : idx) seq = std::max(seq, rows[i].size());
    const int64_t n = static_cast<int64_t>(idx.size());
    auto opts = torch::TensorOptions().dtype(torch::kLong);
    torch::Tensor ids = torch::full({n, static_cast<int64_t>(seq)}, encoder_->tokenizer().pad_id(), opts);
    torch::Tensor types = torch::zeros_like(ids), mask = torch::zeros_like(ids);
    auto a = ids.accessor<int64_t, 2>(), t = types.accessor<int64_t, 2>(), m = mask.accessor<int64_t, 2>();
    for (int64_t b = 0; b < n; ++b) {
      const Encoding& e = rows[idx[static_cast<size_t>(b)]];
      for (size_t j = 0; j < e.size(); ++j) {
        a[b][static_cast<int64_t>(j)] = e.ids[j];
        t[b][static_cast<int64_t>(j)] = e.type_ids[j];
        m[b][static_cast<int64_t>(j)] = e.attention_mask[j];
      }
    }
    const torch::Device& device = encoder_->device();
    return encoder_->net()->forward(ids.to(device), types.to(device), mask.to(device), query);
  }
};

std::vector<std::string> corpus_vocab(const TrainingData& data, int vocab_size) {
  WordPieceTrainerOptions options;
  options.vocab_size = static_cast<size_t>(vocab_size);
  WordPieceTrainer trainer(options);
  for (const std::string& text : data.doc_texts) trainer.add_text(text);
  for (const std::string& text : data.query_texts) trainer.add_text(text);
  TrainedVocab vocab = trainer.train();
  DENSER_LOG_INFO("trained a WordPiece vocabulary of ", vocab.tokens.size(), " tokens on the corpus");
  return vocab.tokens;
}

std::unique_ptr<TrainableModel> wrap(std::unique_ptr<Encoder> encoder, const TrainOptions& options,
                                     const TrainingData& data, int num_threads) {
  if (encoder->family() == "ngram") return std::make_unique<NgramModel>(std::move(encoder), data, num_threads);
  return std::make_unique<TransformerModel>(std::move(encoder), data, options, num_threads);
}

}  // namespace

EncodeOptions encode_options(const TrainOptions& options, int num_threads) {
  EncodeOptions e;
  e.batch_size = options.encode_batch_size;
  e.num_threads = num_threads;
  e.query_max_length = options.query_max_length;
  e.document_max_length = options.doc_max_length;
  return e;
}

NgramConfig ngram_preset(const std::string& preset) {
  // Wide, large-norm random rows keep the untrained model a random projection of the bag
  // of words (exact word matches score), which training then refines; on the Debian
  // collection 256 dims with std 0.5 beat 128 dims with std 0.1 by 0.06 MRR@10 at 2000 steps.
  NgramConfig config;
  config.initializer_range = 0.5;
  if (preset == "tiny") {
    config.num_buckets = int64_t{1} << 16;
    config.embedding_dim = 64;
  } else if (preset == "small") {
    config.num_buckets = int64_t{1} << 18;
    config.embedding_dim = 256;
  } else {
    config.num_buckets = int64_t{1} << 20;
    config.embedding_dim = 384;
  }
  return config;
}

std::unique_ptr<TrainableModel> make_trainable_model(const TrainOptions& options, const TrainingData& data,
                                                     int num_threads) {
  const EncodeOptions encode = encode_options(options, num_threads);
  if (!options.init_model.empty()) {
    auto encoder = load_encoder(options.init_model, encode);
    DENSER_CHECK(encoder->family() == options.encoder, "train: --init-model ", options.init_model, " is a ",
                 encoder->family(), " model but --encoder is ", options.encoder);
    return wrap(std::move(encoder), options, data, num_threads);
  }
  if (options.encoder == "ngram") {
    NgramConfig config = ngram_preset(options.preset);
    if (options.ngram_buckets_log2 > 0) config.num_buckets = int64_t{1} << options.ngram_buckets_log2;
    if (options.ngram_dim > 0) config.embedding_dim = options.ngram_dim;
    if (options.ngram_init_std > 0) config.initializer_range = options.ngram_init_std;
    config.bigrams = options.ngram_bigrams;
    return wrap(create_ngram_encoder(config, encode, options.seed), options, data, num_threads);
  }
  std::vector<std::string> vocab =
      options.vocab.empty() ? corpus_vocab(data, options.vocab_size) : load_vocab_txt(options.vocab);
  ModelConfig config = ModelConfig::preset(options.preset, "bert", static_cast<int64_t>(vocab.size()));
  const auto pad = std::find(vocab.begin(), vocab.end(), "[PAD]");
  DENSER_CHECK(pad != vocab.end(), "train: the vocabulary has no [PAD] token");
  config.pad_token_id = pad - vocab.begin();
  return wrap(create_transformer_encoder(config, std::move(vocab), encode, options.seed), options, data, num_threads);
}

std::unique_ptr<TrainableModel> load_trainable_model(const std::string& dir, const TrainOptions& options,
                                                     const TrainingData& data, int num_threads) {
  return wrap(load_encoder(dir, encode_options(options, num_threads)), options, data, num_threads);
}

}  // namespace denser::train_internal
