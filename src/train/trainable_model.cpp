#include "trainable_model.h"

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

namespace denser::train_internal {
namespace {

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

// The encoder opened for training, with every training query and corpus document
// prepared (tokenized or hashed) once.
std::unique_ptr<TrainableEncoder> wrap(std::unique_ptr<Encoder> encoder, const TrainOptions& options,
                                       const TrainingData& data, int num_threads) {
  std::unique_ptr<TrainableEncoder> model = make_trainable(std::move(encoder));
  model->prepare(TextSide::kDocument, data.doc_texts, options.doc_max_length, num_threads);
  model->prepare(TextSide::kQuery, data.query_texts, options.query_max_length, num_threads);
  return model;
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

std::unique_ptr<TrainableEncoder> make_trainable_model(const TrainOptions& options, const TrainingData& data,
                                                       int num_threads) {
  const EncodeOptions encode = encode_options(options, num_threads);
  if (!options.init_model.empty()) {
    auto encoder = load_encoder(options.init_model, encode);
    DENSER_CHECK(encoder->family() == options.encoder, ErrorCode::kInvalidArgument, "train: --init-model ",
                 options.init_model, " is a ", encoder->family(), " model but --encoder is ", options.encoder);
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
  DENSER_CHECK(pad != vocab.end(), ErrorCode::kCorrupt, "train: the vocabulary has no [PAD] token");
  config.pad_token_id = pad - vocab.begin();
  return wrap(create_transformer_encoder(config, std::move(vocab), encode, options.seed), options, data, num_threads);
}

std::unique_ptr<TrainableEncoder> load_trainable_model(const std::string& dir, const TrainOptions& options,
                                                       const TrainingData& data, int num_threads) {
  return wrap(load_encoder(dir, encode_options(options, num_threads)), options, data, num_threads);
}

}  // namespace denser::train_internal
