#include "transformer_encoder.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/encode/safetensors.h"
#include "denser/encode/transformer.h"
#include "torch_threads.h"

namespace denser::encode_internal {
namespace {

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

void check_options(const EncodeOptions& options) {
  DENSER_CHECK(options.batch_size > 0, ErrorCode::kInvalidArgument, "encode: batch_size must be positive, got ",
               options.batch_size);
  DENSER_CHECK(options.num_threads >= 0, ErrorCode::kInvalidArgument, "encode: num_threads must not be negative, got ",
               options.num_threads);
  DENSER_CHECK(options.query_max_length >= 2 && options.document_max_length >= 2, ErrorCode::kInvalidArgument,
               "encode: max lengths must be at least 2 (room for the special tokens)");
}

}  // namespace

Precision parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown precision \"", name, "\" (expected fp32 or bf16)");
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    DENSER_CHECK(torch::cuda::is_available(), ErrorCode::kUnsupported,
                 "device \"cuda\" requested but libtorch sees no CUDA GPU (CPU-only build or no driver); use \"cpu\"");
    return torch::kCUDA;
  }
  DENSER_THROW(ErrorCode::kInvalidArgument, "unknown device \"", name, "\" (expected \"cpu\" or \"cuda\")");
}

TransformerEncoder::TransformerEncoder(ModelConfig config, std::shared_ptr<const EncoderTokenizer> tokenizer,
                                       TransformerNet net, const EncodeOptions& options)
    : config_(std::move(config)),
      tokenizer_(std::move(tokenizer)),
      net_(std::move(net)),
      options_(options),
      device_(resolve_device(options.device)) {
  // 0 = the model's own limit: max_seq_length of a sentence-transformers model, else
  // 64 tokens per query and 512 per document.
  if (options_.query_max_length == 0)
    options_.query_max_length = config_.max_seq_length > 0 ? static_cast<int>(config_.max_seq_length) : 64;
  if (options_.document_max_length == 0)
    options_.document_max_length = config_.max_seq_length > 0 ? static_cast<int>(config_.max_seq_length) : 512;
  check_options(options_);
  DENSER_CHECK(tokenizer_->pad_id() >= 0, ErrorCode::kCorrupt, "the ", tokenizer_->kind(),
               " tokenizer has no padding token");
  DENSER_CHECK(tokenizer_->vocab_size() <= static_cast<size_t>(config_.vocab_size), ErrorCode::kCorrupt,
               "tokenizer has ", tokenizer_->vocab_size(), " tokens but the model's vocab_size is ",
               config_.vocab_size);
  // RoBERTa derives position ids from where the pad id occurs, so the two must agree.
  DENSER_CHECK(!config_.is_roberta() || tokenizer_->pad_id() == config_.pad_token_id, ErrorCode::kCorrupt,
               "RoBERTa model: the tokenizer's pad id ", tokenizer_->pad_id(), " differs from pad_token_id ",
               config_.pad_token_id, " in config.json");
  net_->to(device_);
  net_->eval();
  net_->set_precision(parse_precision(options_.precision));
}

TokenBatch TransformerEncoder::pad(const std::vector<Encoding>& rows, std::span<const size_t> order) const {
  size_t batch = order.size(), seq = 0;
  for (size_t i : order) seq = std::max(seq, rows[i].size());
  auto opts = torch::TensorOptions().dtype(torch::kLong);
  torch::Tensor ids = torch::full({static_cast<int64_t>(batch), static_cast<int64_t>(seq)}, tokenizer_->pad_id(), opts);
  torch::Tensor types = torch::zeros_like(ids), mask = torch::zeros_like(ids);
  auto ids_a = ids.accessor<int64_t, 2>(), types_a = types.accessor<int64_t, 2>(), mask_a = mask.accessor<int64_t, 2>();
  for (size_t b = 0; b < batch; ++b) {
    const Encoding& e = rows[order[b]];
    for (size_t t = 0; t < e.size(); ++t) {
      ids_a[b][t] = e.ids[t];
      types_a[b][t] = e.type_ids[t];
      mask_a[b][t] = e.attention_mask[t];
    }
  }
  return {ids.to(device_), types.to(device_), mask.to(device_)};
}

TokenBatch TransformerEncoder::tokenize(std::span<const std::string_view> texts, size_t max_length) const {
  std::vector<Encoding> rows;
  rows.reserve(texts.size());
  for (std::string_view text : texts) rows.push_back(tokenizer_->encode_single(text, max_length));
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  return pad(rows, order);
}

void TransformerEncoder::encode(std::span<const std::string_view> texts, std::span<float> out, size_t max_length,
                                bool query) {
  size_t n = texts.size(), d = static_cast<size_t>(dim());
  DENSER_CHECK(out.size() == n * d, ErrorCode::kInvalidArgument, "encode: output holds ", out.size(),
               " floats, expected ", n, " x ", d);
  if (n == 0) return;
  set_torch_threads(options_.num_threads);
  // Texts longer than the position table are cut, as Hugging Face's model_max_length does.
  int64_t positions = config_.max_position_embeddings - (config_.is_roberta() ? config_.pad_token_id + 1 : 0);
  max_length = std::min(max_length, static_cast<size_t>(positions));
  std::vector<Encoding> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = tokenizer_->encode_single(texts[i], max_length);
  // Texts of similar length share a batch, so little of each batch is padding.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a].size() < rows[b].size(); });

  bool was_training = net_->is_training();
  net_->eval();
  torch::InferenceMode inference;
  size_t batch_size = static_cast<size_t>(options_.batch_size);
  for (size_t start = 0; start < n; start += batch_size) {
    std::span<const size_t> slice(order.data() + start, std::min(batch_size, n - start));
    TokenBatch batch = pad(rows, slice);
    torch::Tensor vectors = net_->forward(batch.ids, batch.type_ids, batch.attention_mask, query)
                                .to(torch::kCPU, torch::kFloat32)
                                .contiguous();
    const float* src = vectors.data_ptr<float>();
    for (size_t b = 0; b < slice.size(); ++b) std::copy_n(src + b * d, d, out.data() + slice[b] * d);
  }
  if (was_training) net_->train();
}

void TransformerEncoder::encode_queries(std::span<const std::string_view> texts, std::span<float> out) {
  encode(texts, out, static_cast<size_t>(options_.query_max_length), true);
}

void TransformerEncoder::encode_documents(std::span<const std::string_view> texts, std::span<float> out) {
  encode(texts, out, static_cast<size_t>(options_.document_max_length), false);
}

void copy_module_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto source = from.named_parameters();
  for (auto& item : to.named_parameters()) {
    const torch::Tensor* p = source.find(item.key());
    DENSER_CHECK(p != nullptr && p->sizes() == item.value().sizes(), ErrorCode::kInternal,
                 "copy_module_state: no parameter ", item.key(), " of that shape in the source");
    item.value().copy_(*p);
  }
  auto source_buffers = from.named_buffers();
  for (auto& item : to.named_buffers()) {
    const torch::Tensor* b = source_buffers.find(item.key());
    DENSER_CHECK(b != nullptr, ErrorCode::kInternal, "copy_module_state: no buffer ", item.key(), " in the source");
    item.value().copy_(*b);
  }
}

std::unique_ptr<Encoder> TransformerEncoder::clone() const {
  TransformerNet net(config_);
  net->to(device_);
  copy_module_state(*net_, *net);
  return std::make_unique<TransformerEncoder>(config_, tokenizer_, std::move(net), options_);
}

void TransformerEncoder::set_precision(const std::string& precision) {
  net_->set_precision(parse_precision(precision));
  options_.precision = precision;
}

std::string TransformerEncoder::fingerprint() const {
  std::string config_json = config_.to_json();
  return "transformer-" + hex8(crc32c(config_json.data(), config_json.size())) + hex8(parameters_crc(*net_)) +
         hex8(tokenizer_->fingerprint());
}

void TransformerEncoder::save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, dir, ": cannot create the model directory: ", ec.message());
  config_.save_dir(dir);
  save_parameters(*net_, dir + "/model.safetensors");
  tokenizer_->save(dir);
}

}  // namespace denser::encode_internal

namespace denser {

std::unique_ptr<Encoder> create_transformer_encoder(const ModelConfig& config, std::vector<std::string> vocab,
                                                    const EncodeOptions& options, uint64_t seed, bool random_norms) {
  using namespace encode_internal;
  config.validate("model config");
  TransformerNet net(config);
  initialize(net, InitOptions{seed, 0.02, random_norms});
  return std::make_unique<TransformerEncoder>(config, make_wordpiece_tokenizer(std::move(vocab)), std::move(net),
                                              options);
}

std::unique_ptr<Encoder> load_transformer_encoder(const std::string& dir, const EncodeOptions& options) {
  using namespace encode_internal;
  std::string weights_dir;
  ModelConfig config = ModelConfig::load_dir(dir, &weights_dir);
  auto tokenizer = load_encoder_tokenizer(weights_dir);
  const std::string weights = weights_dir + "/model.safetensors";
  DENSER_CHECK(file_exists(weights), ErrorCode::kNotFound, weights, ": missing",
               file_exists(weights_dir + "/pytorch_model.bin")
                   ? " (only pytorch_model.bin is there: denser reads safetensors; convert it with transformers' "
                     "save_pretrained(dir, safe_serialization=True))"
                   : "");
  TransformerNet net(config);
  load_parameters(net, SafeTensorsFile::open(weights));
  return std::make_unique<TransformerEncoder>(std::move(config), std::move(tokenizer), std::move(net), options);
}

}  // namespace denser
