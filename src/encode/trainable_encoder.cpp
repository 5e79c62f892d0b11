// The two families' training faces (denser/encode/trainable.h): each keeps the inputs of
// its prepared texts (n-gram buckets, or WordPiece/BPE encodings) and runs them through
// the network with gradients.
#include "denser/encode/trainable.h"

#include <algorithm>
#include <array>
#include <numeric>

#include "denser/common/error.h"
#include "denser/common/parallel.h"
#include "denser/encode/model_config.h"
#include "denser/encode/ngram.h"
#include "ngram_encoder.h"
#include "torch_threads.h"
#include "transformer_encoder.h"

namespace denser {
namespace {

using encode_internal::NgramEncoder;
using encode_internal::TransformerEncoder;

torch::Tensor long_tensor(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kLong));
}

// What both families share: an encoder of type EncoderT whose inputs (one Row per
// prepared text, per side) are computed once.
template <typename EncoderT, typename Row>
class CachedInputs : public TrainableEncoder {
 public:
  CachedInputs(std::unique_ptr<Encoder> owner, EncoderT* encoder) : owner_(std::move(owner)), encoder_(encoder) {}
  torch::Tensor forward(TextSide side, const std::vector<uint32_t>& idx) override {
    const std::vector<Row>& rows = rows_[index(side)];
    for (uint32_t i : idx)
      DENSER_CHECK(i < rows.size(), ErrorCode::kInvalidArgument, "trainable encoder: text ", i, " of ", rows.size(),
                   " prepared");
    return forward_rows(rows, idx, side == TextSide::kQuery);
  }
  Encoder& encoder() override { return *encoder_; }
  std::vector<torch::Tensor> parameters() override { return encoder_->net()->parameters(); }
  void set_training(bool training) override { encoder_->net()->train(training); }

 protected:
  static size_t index(TextSide side) { return side == TextSide::kQuery ? 0 : 1; }
  /// rows[idx[i]] for every i, as one batch -> (idx.size(), dim).
  virtual torch::Tensor forward_rows(const std::vector<Row>& rows, const std::vector<uint32_t>& idx, bool query) = 0;

  std::unique_ptr<Encoder> owner_;
  EncoderT* encoder_;  // owner_, as its concrete type
  std::array<std::vector<Row>, 2> rows_;
};

class TrainableNgram final : public CachedInputs<NgramEncoder, std::vector<int64_t>> {
 public:
  TrainableNgram(std::unique_ptr<Encoder> owner, NgramEncoder* encoder) : CachedInputs(std::move(owner), encoder) {
    encoder_->net()->set_sparse_gradients(true);
  }
  void prepare(TextSide side, const std::vector<std::string>& texts, int64_t, int num_threads) override {
    std::vector<std::vector<int64_t>>& rows = rows_[index(side)];
    rows.assign(texts.size(), {});
    parallel_for(texts.size(), num_threads, 256, [&](size_t begin, size_t end, int) {
      for (size_t i = begin; i < end; ++i) rows[i] = ngram_buckets(texts[i], encoder_->config());
    });
  }

 private:
  torch::Tensor forward_rows(const std::vector<std::vector<int64_t>>& rows, const std::vector<uint32_t>& idx,
                             bool query) override {
    std::vector<int64_t> ids, offsets;
    for (uint32_t i : idx) {
      offsets.push_back(static_cast<int64_t>(ids.size()));
      ids.insert(ids.end(), rows[i].begin(), rows[i].end());
    }
    return encoder_->net()->forward(long_tensor(ids), long_tensor(offsets), query);
  }
};

class TrainableTransformer final : public CachedInputs<TransformerEncoder, Encoding> {
 public:
  using CachedInputs::CachedInputs;
  void prepare(TextSide side, const std::vector<std::string>& texts, int64_t max_length, int num_threads) override {
    const ModelConfig& config = encoder_->config();
    // Texts longer than the position table are cut, as encoding does.
    const int64_t positions = config.max_position_embeddings - (config.is_roberta() ? config.pad_token_id + 1 : 0);
    const size_t length = static_cast<size_t>(std::min(max_length, positions));
    std::vector<Encoding>& rows = rows_[index(side)];
    rows.assign(texts.size(), {});
    parallel_for(texts.size(), num_threads, 128, [&](size_t begin, size_t end, int) {
      for (size_t i = begin; i < end; ++i) rows[i] = encoder_->tokenizer().encode_single(texts[i], length);
    });
  }

 private:
  // Length buckets: the rows are sorted by length and run in groups of kBucketRows, each
  // padded to its own longest row only, then put back in the caller's order. A batch of
  // short and long documents no longer pays the longest one's length for every row.
  static constexpr size_t kBucketRows = 8;

  torch::Tensor forward_rows(const std::vector<Encoding>& rows, const std::vector<uint32_t>& idx, bool query) override {
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

}  // namespace

std::unique_ptr<TrainableEncoder> make_trainable(std::unique_ptr<Encoder> encoder) {
  DENSER_CHECK(encoder != nullptr, ErrorCode::kInvalidArgument, "make_trainable: no encoder");
  // The encoders this module makes are the only ones it can open for training: the cast
  // stays inside the module that defines both classes.
  if (auto* ngram = dynamic_cast<NgramEncoder*>(encoder.get()))
    return std::make_unique<TrainableNgram>(std::move(encoder), ngram);
  if (auto* transformer = dynamic_cast<TransformerEncoder*>(encoder.get()))
    return std::make_unique<TrainableTransformer>(std::move(encoder), transformer);
  DENSER_THROW(ErrorCode::kInvalidArgument, "make_trainable: a ", encoder->family(),
               " encoder of this kind cannot be trained");
}

void set_torch_threads(int num_threads) { encode_internal::set_torch_threads(num_threads); }

}  // namespace denser
