#include "ngram_encoder.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/parallel.h"
#include "denser/encode/safetensors.h"
#include "transformer_encoder.h"  // resolve_device
#include "torch_threads.h"
#include "transformer_model.h"  // save_parameters, parameters_crc

namespace denser::encode_internal {
namespace {

std::string shape_text(c10::IntArrayRef shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// ids/offsets of texts [begin, end) of `rows` (EmbeddingBag's flat layout).
BucketBatch to_batch(const std::vector<std::vector<int64_t>>& rows, size_t begin, size_t end,
                     const torch::Device& device) {
  size_t total = 0;
  for (size_t i = begin; i < end; ++i) total += rows[i].size();
  auto opts = torch::TensorOptions().dtype(torch::kLong);
  torch::Tensor ids = torch::empty({static_cast<int64_t>(total)}, opts);
  torch::Tensor offsets = torch::empty({static_cast<int64_t>(end - begin)}, opts);
  int64_t* id = ids.data_ptr<int64_t>();
  int64_t* off = offsets.data_ptr<int64_t>();
  int64_t at = 0;
  for (size_t i = begin; i < end; ++i) {
    off[i - begin] = at;
    std::copy(rows[i].begin(), rows[i].end(), id + at);
    at += static_cast<int64_t>(rows[i].size());
  }
  return {ids.to(device), offsets.to(device)};
}

// ngram_buckets of every text, in parallel: hashing is most of an encoder's work.
std::vector<std::vector<int64_t>> bucket_rows(std::span<const std::string_view> texts, const NgramConfig& config,
                                              int num_threads) {
  std::vector<std::vector<int64_t>> rows(texts.size());
  parallel_for(texts.size(), num_threads, 64, [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) rows[i] = ngram_buckets(texts[i], config);
  });
  return rows;
}

}  // namespace

NgramNetImpl::NgramNetImpl(const NgramConfig& config, bool with_query_tower) {
  namespace nn = torch::nn;
  embeddings_ = register_module(
      "embeddings",
      nn::EmbeddingBag(nn::EmbeddingBagOptions(config.num_buckets, config.embedding_dim).mode(torch::kMean)));
  if (config.output_dim > 0)
    projection_ = register_module("projection",
                                  nn::Linear(nn::LinearOptions(config.embedding_dim, config.output_dim).bias(false)));
  if (with_query_tower && !config.shared_towers)
    query_tower_ = register_module("query_tower", std::make_shared<NgramNetImpl>(config, false));
}

torch::Tensor NgramNetImpl::forward(const torch::Tensor& ids, const torch::Tensor& offsets, bool query) {
  if (query && query_tower_) return query_tower_->forward(ids, offsets, false);
  torch::Tensor pooled = embeddings_(ids, offsets);  // empty bags average to zeros
  return projection_ ? projection_(pooled) : pooled;
}

void NgramNetImpl::set_sparse_gradients(bool sparse) {
  embeddings_->options.sparse(sparse);
  if (query_tower_) query_tower_->set_sparse_gradients(sparse);
}

NgramEncoder::NgramEncoder(NgramConfig config, NgramNet net, const EncodeOptions& options)
    : config_(std::move(config)), net_(std::move(net)), options_(options), device_(resolve_device(options.device)) {
  config_.validate("n-gram model config");
  DENSER_CHECK(options_.batch_size > 0, ErrorCode::kInvalidArgument, "encode: batch_size must be positive, got ",
               options_.batch_size);
  DENSER_CHECK(options_.num_threads >= 0, ErrorCode::kInvalidArgument, "encode: num_threads must not be negative, got ",
               options_.num_threads);
  net_->to(device_);
  net_->eval();
}

BucketBatch NgramEncoder::featurize(std::span<const std::string_view> texts) const {
  return to_batch(bucket_rows(texts, config_, options_.num_threads), 0, texts.size(), device_);
}

void NgramEncoder::encode(std::span<const std::string_view> texts, std::span<float> out, bool query) {
  size_t n = texts.size(), d = static_cast<size_t>(dim());
  DENSER_CHECK(out.size() == n * d, ErrorCode::kInvalidArgument, "encode: output holds ", out.size(),
               " floats, expected ", n, " x ", d);
  if (n == 0) return;
  set_torch_threads(options_.num_threads);
  std::vector<std::vector<int64_t>> rows = bucket_rows(texts, config_, options_.num_threads);
  bool was_training = net_->is_training();
  net_->eval();
  {
    torch::InferenceMode inference;
    size_t batch_size = static_cast<size_t>(options_.batch_size);
    for (size_t start = 0; start < n; start += batch_size) {
      size_t end = std::min(n, start + batch_size);
      BucketBatch batch = to_batch(rows, start, end, device_);
      torch::Tensor vectors =
          net_->forward(batch.ids, batch.offsets, query).to(torch::kCPU, torch::kFloat32).contiguous();
      std::copy_n(vectors.data_ptr<float>(), (end - start) * d, out.data() + start * d);
    }
  }
  if (was_training) net_->train();
}

void NgramEncoder::encode_queries(std::span<const std::string_view> texts, std::span<float> out) {
  encode(texts, out, true);
}

void NgramEncoder::encode_documents(std::span<const std::string_view> texts, std::span<float> out) {
  encode(texts, out, false);
}

std::string NgramEncoder::fingerprint() const {
  std::string config_json = config_.to_json();
  const uint32_t crc = parameters_crc(*net_);
  char text[32];
  std::snprintf(text, sizeof text, "ngram-%08x%08x", crc32c(config_json.data(), config_json.size()), crc);
  return text;
}

std::unique_ptr<Encoder> NgramEncoder::clone() const {
  NgramNet net(config_);
  net->to(device_);
  copy_module_state(*net_, *net);
  return std::make_unique<NgramEncoder>(config_, std::move(net), options_);
}

void NgramEncoder::save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, dir, ": cannot create the model directory: ", ec.message());
  write_file_atomic(dir + "/config.json", config_.to_json());
  save_parameters(*net_, dir + "/model.safetensors");
}

namespace {

void initialize(NgramNet& net, double std, uint64_t seed) {
  torch::NoGradGuard no_grad;
  // A private generator: the draw depends on the seed only, not on libtorch's global state.
  at::Generator gen = at::detail::createCPUGenerator(seed);
  for (auto& item : net->named_parameters()) item.value().normal_(0.0, std, gen);
}

// Copies every parameter of `net` from `file`; one error lists every problem.
void load_weights(NgramNet& net, const SafeTensorsFile& file) {
  torch::NoGradGuard no_grad;
  std::string problems;
  auto params = net->named_parameters();
  for (const auto& item : params) {
    const TensorView* view = file.find(item.key());
    torch::Tensor p = item.value();
    if (view == nullptr) {
      problems += "\n  missing tensor " + item.key() + " " + shape_text(p.sizes());
    } else if (view->shape != p.sizes().vec()) {
      problems +=
          "\n  tensor " + item.key() + " has shape " + shape_text(view->shape) + ", expected " + shape_text(p.sizes());
    } else if (view->dtype != DType::kF32 && view->dtype != DType::kF16 && view->dtype != DType::kBF16) {
      problems += "\n  tensor " + item.key() + " has dtype " + dtype_name(view->dtype) + ", expected F32/F16/BF16";
    } else {
      std::vector<float> values = view->to_float();
      p.copy_(torch::from_blob(values.data(), p.sizes(), torch::kFloat32));
    }
  }
  for (const auto& [name, view] : file.tensors())
    if (params.find(name) == nullptr) problems += "\n  unexpected tensor " + name + " " + shape_text(view.shape);
  DENSER_CHECK(problems.empty(), ErrorCode::kCorrupt, file.path(),
               ": does not match config.json (n-gram model):", problems);
}

}  // namespace
}  // namespace denser::encode_internal

namespace denser {

std::unique_ptr<Encoder> create_ngram_encoder(const NgramConfig& config, const EncodeOptions& options, uint64_t seed) {
  using namespace encode_internal;
  config.validate("n-gram model config");
  NgramNet net(config);
  initialize(net, config.initializer_range, seed);
  return std::make_unique<NgramEncoder>(config, std::move(net), options);
}

std::unique_ptr<Encoder> load_ngram_encoder(const std::string& dir, const EncodeOptions& options) {
  using namespace encode_internal;
  std::string config_path = dir + "/config.json";
  DENSER_CHECK(file_exists(config_path), ErrorCode::kNotFound, dir, ": not a model directory (no config.json)");
  NgramConfig config = NgramConfig::from_json(read_file(config_path), config_path);
  NgramNet net(config);
  load_weights(net, SafeTensorsFile::open(dir + "/model.safetensors"));
  return std::make_unique<NgramEncoder>(std::move(config), std::move(net), options);
}

}  // namespace denser
