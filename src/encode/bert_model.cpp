// The BERT / RoBERTa forward pass, following the published architecture (Devlin et al.
// 2019; Liu et al. 2019) and Hugging Face's module layout, so parameter names match.
#include <atomic>
#include <cmath>
#include <optional>
#include <vector>
#include <limits>

#include "denser/common/error.h"
#include "small_rows_gemm.h"
#include "transformer_model.h"

namespace denser::encode_internal {
namespace {

namespace nn = torch::nn;

nn::LayerNorm make_norm(int64_t dim, double eps) { return nn::LayerNorm(nn::LayerNormOptions({dim}).eps(eps)); }

// An empty container module, so that nested Hugging Face names ("attention.self.query")
// come out of named_parameters() without a class per level.
std::shared_ptr<nn::Module> add_container(nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<nn::Module>());
}

// 1/sqrt(head_dim), folded into the fused query projection. The libtorch route and the
// fused route share the cached float32 panels (InferenceWeights slots 4-7), so both must
// ask for the same scale or the cache would be rebuilt on every switch.
double query_scale(const ModelConfig& config) {
  return 1.0 / std::sqrt(static_cast<double>(config.hidden_size / config.num_attention_heads));
}

std::atomic<bool> g_use_onednn{true};
std::atomic<bool> g_use_fused{true};
std::atomic<uint64_t> g_fused_forwards{0};

// Whether a forward pass may take the oneDNN route: inference on the CPU only (the route
// has no autograd), and only when libtorch was built with oneDNN.
bool onednn_route(const torch::Tensor& x, bool training) {
  return g_use_onednn.load(std::memory_order_relaxed) && !training && !torch::GradMode::is_enabled() &&
         x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && at::hasMKLDNN();
}

// y = x w^T + b for inference on the CPU. x: (rows, in); w: (out, in); b: (out).
// fp32 (w, b float32): on one thread libtorch's BLAS GEMM (OpenBLAS, held to one thread
// by set_blas_threads), which beats oneDNN's fp32 inner product there (MiniLM on the
// Debian collection at max length 128: 46.8 against 43.0 docs/s); at two threads oneDNN
// scales and OpenBLAS does not (76.9 against 54.0). See docs/benchmarks.md.
// bf16 (w, b bfloat16, made once by InferenceWeights): x is rounded to bfloat16 and
// multiplied through libtorch's bf16 GEMM (oneDNN's AVX512-BF16 / AMX kernels where the
// CPU has them), accumulating in float32; the result comes back as float32, so
// LayerNorm and the residual sums stay in float32, unless keep_bf16, for a consumer that
// takes bfloat16 anyway (attention's products, GELU before the output layer): identical
// numbers, two fewer passes.
torch::Tensor dense_product(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                            bool keep_bf16 = false) {
  if (w.scalar_type() == torch::kBFloat16) {
    torch::Tensor y = torch::addmm(b, x.to(torch::kBFloat16), w.t());
    return keep_bf16 ? y : y.to(torch::kFloat32);
  }
  if (at::get_num_threads() == 1) return torch::addmm(b, x, w.t());
  return at::mkldnn_linear(x.contiguous().to_mkldnn(), w.to_mkldnn(), b).to_dense();
}

// y = x W^T + b through small_rows_gemm; w.weight: panels (out / 32, in, 32) from
// InferenceWeights::of(..., WeightLayout::kPanels).
torch::Tensor small_rows_product(const torch::Tensor& x, const InferenceWeights& w) {
  const torch::Tensor xc = x.contiguous();
  const int64_t rows = xc.size(0), k = xc.size(1), n = w.weight.size(0) * kSmallGemmPanel;
  torch::Tensor y = torch::empty({rows, n}, xc.options());
  small_rows_gemm(xc.data_ptr<float>(), rows, k, w.weight.data_ptr<float>(), n, w.bias.data_ptr<float>(),
                  y.data_ptr<float>());
  return y;
}

// Scaled dot-product attention for inference. q, k, v: (batch, heads, seq, head_dim)
// views, q already scaled by 1/sqrt(head_dim) (folded into the fused projection's
// weights); additive_mask: (batch, 1, 1, seq). Both products are batched matrix products
// on contiguous operands (k pre-transposed to (batch, heads, head_dim, seq)), which run an
// order of magnitude faster than strided ones or one small product per head. bf16: the
// products take bfloat16 operands. Returns (batch, heads, seq, head_dim), float32 or
// (bf16) bfloat16 for the output layer, which takes bfloat16 anyway.
torch::Tensor attention_inference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& additive_mask, Precision precision) {
  const auto dtype = precision == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
  torch::Tensor qc = q.to(dtype).contiguous();
  torch::Tensor kt = k.transpose(-1, -2).to(dtype).contiguous();
  // bf16: libtorch's softmax reads bfloat16, computes in float32 and rounds its output to
  // bfloat16, which is what the second product takes: the same numbers as a float32
  // softmax between two conversions, without the two passes over (seq x seq) scores.
  torch::Tensor scores = torch::matmul(qc, kt).add_(additive_mask.to(dtype));
  torch::Tensor probs = torch::softmax(scores, -1);
  return torch::matmul(probs, v.to(dtype).contiguous());
}

}  // namespace

void set_use_onednn(bool enabled) { g_use_onednn.store(enabled); }
void set_use_fused(bool enabled) { g_use_fused.store(enabled); }
uint64_t fused_forwards() { return g_fused_forwards.load(); }

const InferenceWeights& InferenceWeights::of(std::initializer_list<const nn::Linear*> layers, torch::ScalarType dtype,
                                             double first_scale, WeightLayout layout) {
  // Called for every product of every forward pass: the check allocates nothing.
  bool stale = !weight.defined() || dtype != dtype_ || first_scale != first_scale_ || layout != layout_ ||
               sources_.size() != 2 * layers.size();
  for (size_t i = 0; !stale && i < layers.size(); ++i) {
    const nn::Linear& layer = *layers.begin()[i];
    stale = versions_[2 * i] != layer->weight._version() || versions_[2 * i + 1] != layer->bias._version() ||
            sources_[2 * i] != layer->weight.data_ptr() || sources_[2 * i + 1] != layer->bias.data_ptr();
  }
  if (stale) {
    versions_.clear();
    sources_.clear();
    std::vector<torch::Tensor> ws, bs;
    for (const nn::Linear* layer : layers) {
      const double scale = ws.empty() ? first_scale : 1.0;
      ws.push_back((*layer)->weight.detach() * scale);
      bs.push_back((*layer)->bias.detach() * scale);
      versions_.insert(versions_.end(), {(*layer)->weight._version(), (*layer)->bias._version()});
      sources_.insert(sources_.end(), {(*layer)->weight.data_ptr(), (*layer)->bias.data_ptr()});
    }
    weight = torch::cat(ws, 0).to(dtype);
    const int64_t out = weight.size(0), in = weight.size(1);
    if (layout == WeightLayout::kPanels) {  // (out, in) -> (out / 32, in, 32)
      weight = weight.view({out / kSmallGemmPanel, kSmallGemmPanel, in}).transpose(1, 2);
    } else if (layout == WeightLayout::kPairPanels) {  // (out, in) -> (out / 32, in / 2, 32, 2)
      weight = weight.view({out / kSmallGemmPanel, kSmallGemmPanel, in / 2, 2}).permute({0, 2, 1, 3});
    }
    weight = weight.contiguous();
    bias = torch::cat(bs, 0).to(layout == WeightLayout::kRows ? dtype : torch::kFloat32);
    dtype_ = dtype;
    first_scale_ = first_scale;
    layout_ = layout;
  }
  return *this;
}

FusedLinear InferenceWeights::fused() const {
  FusedLinear linear;
  if (layout_ == WeightLayout::kPairPanels) {
    linear.pair_panels = reinterpret_cast<const uint16_t*>(weight.data_ptr<at::BFloat16>());
    linear.in = weight.size(1) * 2;
  } else {
    DENSER_CHECK(layout_ == WeightLayout::kPanels, ErrorCode::kInternal, "fused route: weights not in panels");
    linear.panels = weight.data_ptr<float>();
    linear.in = weight.size(1);
  }
  linear.bias = bias.data_ptr<float>();
  linear.out = weight.size(0) * kSmallGemmPanel;
  return linear;
}

namespace {
FusedNorm fused_norm(const nn::LayerNorm& norm, double eps) {
  return {norm->weight.data_ptr<float>(), norm->bias.data_ptr<float>(), static_cast<float>(eps)};
}
}  // namespace

FusedEmbeddings BertEmbeddingsImpl::fused_weights() const {
  FusedEmbeddings e;
  e.word = word_embeddings_->weight.data_ptr<float>();
  e.position = position_embeddings_->weight.data_ptr<float>();
  e.token_type = token_type_embeddings_->weight.data_ptr<float>();
  e.norm = fused_norm(layer_norm_, config_.layer_norm_eps);
  e.hidden = config_.hidden_size;
  return e;
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const ModelConfig& config) : config_(config) {
  word_embeddings_ = register_module("word_embeddings", nn::Embedding(config.vocab_size, config.hidden_size));
  position_embeddings_ =
      register_module("position_embeddings", nn::Embedding(config.max_position_embeddings, config.hidden_size));
  token_type_embeddings_ =
      register_module("token_type_embeddings", nn::Embedding(config.type_vocab_size, config.hidden_size));
  layer_norm_ = register_module("LayerNorm", make_norm(config.hidden_size, config.layer_norm_eps));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids, const torch::Tensor& type_ids) {
  int64_t seq_len = ids.size(1);
  torch::Tensor positions;
  if (config_.is_roberta()) {
    // RoBERTa numbers real tokens from pad + 1 and gives padding the pad position itself
    // (Hugging Face's create_position_ids_from_input_ids).
    torch::Tensor real = ids.ne(config_.pad_token_id).to(torch::kLong);
    positions = torch::cumsum(real, 1) * real + config_.pad_token_id;
  } else {
    positions = torch::arange(seq_len, ids.options().dtype(torch::kLong)).unsqueeze(0);
  }
  DENSER_CHECK(positions.max().item<int64_t>() < config_.max_position_embeddings, ErrorCode::kTooLarge, "sequence of ",
               seq_len, " tokens is longer than max_position_embeddings ", config_.max_position_embeddings, " allows");
  torch::Tensor x = word_embeddings_(ids) + position_embeddings_(positions) + token_type_embeddings_(type_ids);
  return torch::dropout(layer_norm_(x), config_.hidden_dropout_prob, is_training());
}

BertLayerImpl::BertLayerImpl(const ModelConfig& config) : config_(config) {
  int64_t h = config.hidden_size;
  auto attention = add_container(*this, "attention");
  auto self_attention = add_container(*attention, "self");
  query_ = self_attention->register_module("query", nn::Linear(h, h));
  key_ = self_attention->register_module("key", nn::Linear(h, h));
  value_ = self_attention->register_module("value", nn::Linear(h, h));
  auto attention_output = add_container(*attention, "output");
  attention_dense_ = attention_output->register_module("dense", nn::Linear(h, h));
  attention_norm_ = attention_output->register_module("LayerNorm", make_norm(h, config.layer_norm_eps));
  auto intermediate = add_container(*this, "intermediate");
  intermediate_dense_ = intermediate->register_module("dense", nn::Linear(h, config.intermediate_size));
  auto output = add_container(*this, "output");
  output_dense_ = output->register_module("dense", nn::Linear(config.intermediate_size, h));
  output_norm_ = output->register_module("LayerNorm", make_norm(h, config.layer_norm_eps));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& additive_mask) {
  int64_t batch = x.size(0), seq = x.size(1);
  int64_t heads = config_.num_attention_heads, head_dim = config_.hidden_size / heads;
  auto split_heads = [&](const torch::Tensor& t) {
    return t.view({batch, seq, heads, head_dim}).permute({0, 2, 1, 3});
  };
  torch::Tensor q = split_heads(query_(x)), k = split_heads(key_(x)), v = split_heads(value_(x));
  torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
  torch::Tensor probs = torch::softmax(scores + additive_mask, -1);
  probs = torch::dropout(probs, config_.attention_probs_dropout_prob, is_training());
  torch::Tensor context = torch::matmul(probs, v);  // (batch, heads, seq, head_dim)
  context = context.permute({0, 2, 1, 3}).reshape({batch, seq, config_.hidden_size});
  double p = config_.hidden_dropout_prob;
  torch::Tensor attended = attention_norm_(torch::dropout(attention_dense_(context), p, is_training()) + x);
  torch::Tensor inner = torch::gelu(intermediate_dense_(attended));  // exact erf GELU
  return output_norm_(torch::dropout(output_dense_(inner), p, is_training()) + attended);
}

torch::Tensor BertLayerImpl::product(size_t slot, std::initializer_list<const nn::Linear*> layers, double first_scale,
                                     const torch::Tensor& x, bool keep_bf16) {
  if (precision_ == Precision::kBf16) {
    const InferenceWeights& w = inference_weights_[slot].of(layers, torch::kBFloat16, first_scale);
    return dense_product(x, w.weight, w.bias, keep_bf16);
  }
  // A few rows (one query's tokens): a BLAS GEMM would copy the whole weight matrix into
  // packed panels on every call; small_rows_gemm reads weights packed once.
  int64_t out = 0;
  for (const nn::Linear* layer : layers) out += (*layer)->weight.size(0);
  if (x.size(0) <= kFusedSmallTokens && out % kSmallGemmPanel == 0 && small_rows_gemm_available())
    return small_rows_product(
        x, inference_weights_[slot + 4].of(layers, torch::kFloat32, first_scale, WeightLayout::kPanels));
  if (layers.size() == 1 && first_scale == 1.0)
    return dense_product(x, (**layers.begin())->weight, (**layers.begin())->bias);
  const InferenceWeights& w = inference_weights_[slot].of(layers, torch::kFloat32, first_scale);
  return dense_product(x, w.weight, w.bias);
}

torch::Tensor BertLayerImpl::forward_packed(const torch::Tensor& x, const torch::Tensor& rows, int64_t batch,
                                            int64_t seq, const torch::Tensor& additive_mask) {
  const int64_t h = config_.hidden_size, heads = config_.num_attention_heads, head_dim = h / heads;
  // One product for the query, key and value projections, with the attention scale
  // 1/sqrt(head_dim) folded into the query's rows.
  torch::Tensor qkv = product(0, {&query_, &key_, &value_}, query_scale(config_), x,
                              /*keep_bf16=*/true);  // (n, 3h)
  // Attention alone needs the padded layout; padding rows are zeros, and the mask keeps
  // every real token from attending to them.
  if (rows.defined()) qkv = torch::zeros({batch * seq, 3 * h}, qkv.options()).index_copy_(0, rows, qkv);
  torch::Tensor heads5 = qkv.view({batch, seq, 3, heads, head_dim});
  auto part = [&](int64_t i) { return heads5.select(2, i).permute({0, 2, 1, 3}); };  // (batch, heads, seq, head_dim)
  torch::Tensor context = attention_inference(part(0), part(1), part(2), additive_mask, precision_);
  context = context.permute({0, 2, 1, 3}).reshape({batch * seq, h});
  if (rows.defined()) context = context.index_select(0, rows);
  torch::Tensor attended = attention_norm_(product(1, {&attention_dense_}, 1.0, context, false) + x);
  torch::Tensor inner = torch::gelu(product(2, {&intermediate_dense_}, 1.0, attended, true));  // exact erf GELU
  return output_norm_(product(3, {&output_dense_}, 1.0, inner, false) + attended);
}

FusedLayer BertLayerImpl::fused_weights() {
  const bool bf16 = precision_ == Precision::kBf16;
  const auto dtype = bf16 ? torch::kBFloat16 : torch::kFloat32;
  const auto layout = bf16 ? WeightLayout::kPairPanels : WeightLayout::kPanels;
  const size_t base = bf16 ? 8 : 4;  // the slots product() shares for float32 panels
  const double scale = query_scale(config_);
  FusedLayer layer;
  layer.qkv = inference_weights_[base].of({&query_, &key_, &value_}, dtype, scale, layout).fused();
  layer.attention_out = inference_weights_[base + 1].of({&attention_dense_}, dtype, 1.0, layout).fused();
  layer.intermediate = inference_weights_[base + 2].of({&intermediate_dense_}, dtype, 1.0, layout).fused();
  layer.output = inference_weights_[base + 3].of({&output_dense_}, dtype, 1.0, layout).fused();
  layer.attention_norm = fused_norm(attention_norm_, config_.layer_norm_eps);
  layer.output_norm = fused_norm(output_norm_, config_.layer_norm_eps);
  layer.heads = config_.num_attention_heads;
  return layer;
}

BertBackboneImpl::BertBackboneImpl(const ModelConfig& config) : config_(config) {
  embeddings_ = register_module("embeddings", BertEmbeddings(config));
  auto encoder = add_container(*this, "encoder");
  layers_ = encoder->register_module("layer", nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers_->push_back(BertLayer(config));
}

namespace {

// The lengths of a right-padded batch (each row: real tokens, then padding only), or
// nothing when the batch is not one, or holds more than `limit` real tokens.
std::optional<std::vector<int64_t>> fused_lengths(const torch::Tensor& mask, int64_t limit) {
  const int64_t batch = mask.size(0), seq = mask.size(1);
  if (batch > limit) return std::nullopt;
  const int64_t* m = mask.data_ptr<int64_t>();
  std::vector<int64_t> lengths;
  int64_t total = 0;
  for (int64_t b = 0; b < batch; ++b, m += seq) {
    int64_t len = 0;
    while (len < seq && m[len] != 0) ++len;
    for (int64_t j = len; j < seq; ++j)
      if (m[j] != 0) return std::nullopt;
    total += len;
    if (len == 0 || total > limit) return std::nullopt;
    lengths.push_back(len);
  }
  return lengths;
}

}  // namespace

torch::Tensor BertBackboneImpl::forward_fused(const torch::Tensor& ids, const torch::Tensor& type_ids,
                                              const torch::Tensor& attention_mask) {
  const int64_t h = config_.hidden_size, inner = config_.intermediate_size;
  const bool bf16 = precision_ == Precision::kBf16;
  if (!g_use_onednn.load(std::memory_order_relaxed) || !g_use_fused.load(std::memory_order_relaxed) || is_training() ||
      torch::GradMode::is_enabled() || !ids.device().is_cpu() || !small_rows_gemm_available() ||
      (bf16 && !small_rows_gemm_bf16_available()) || h % kSmallGemmPanel != 0 || inner % kSmallGemmPanel != 0 ||
      h % config_.num_attention_heads != 0 || ids.dim() != 2 || !embeddings_->is_float32())
    return {};
  const torch::Tensor mask = attention_mask.to(torch::kLong).contiguous();
  // float32 on one thread: every batch the route takes; otherwise only small ones (see
  // fused_layers.h).
  const auto lengths = fused_lengths(mask, !bf16 && at::get_num_threads() == 1 ? kFusedMaxTokens : kFusedSmallTokens);
  if (!lengths) return {};
  const torch::Tensor ids64 = ids.to(torch::kLong).contiguous(), types64 = type_ids.to(torch::kLong).contiguous();
  const int64_t batch = ids.size(0), seq = ids.size(1);
  std::vector<int64_t> flat_ids, positions, types;
  for (int64_t b = 0; b < batch; ++b) {
    int64_t real = 0;  // RoBERTa numbers real tokens from pad + 1
    for (int64_t j = 0; j < (*lengths)[b]; ++j) {
      const int64_t id = ids64.data_ptr<int64_t>()[b * seq + j], type = types64.data_ptr<int64_t>()[b * seq + j];
      DENSER_CHECK(id >= 0 && id < config_.vocab_size && type >= 0 && type < config_.type_vocab_size,
                   ErrorCode::kInvalidArgument, "token id ", id, " or type ", type, " outside the model's vocabulary (",
                   config_.vocab_size, " ids, ", config_.type_vocab_size, " types)");
      int64_t position = j;
      if (config_.is_roberta())
        position = id != config_.pad_token_id ? config_.pad_token_id + ++real : config_.pad_token_id;
      DENSER_CHECK(position < config_.max_position_embeddings, ErrorCode::kTooLarge, "sequence of ", seq,
                   " tokens is longer than max_position_embeddings ", config_.max_position_embeddings, " allows");
      flat_ids.push_back(id);
      positions.push_back(position);
      types.push_back(type);
    }
  }
  const auto total = static_cast<int64_t>(flat_ids.size());
  torch::Tensor x = torch::empty({total, h}, torch::kFloat32);
  fused_embed(embeddings_->fused_weights(), flat_ids, positions, types, x.data_ptr<float>());
  for (const auto& layer : *layers_)
    fused_layer(layer->as<BertLayer>()->fused_weights(), *lengths, x.data_ptr<float>());
  g_fused_forwards.fetch_add(1, std::memory_order_relaxed);
  if (batch == 1 && total == seq) return x.view({1, seq, h});
  // Padding positions come back as zeros: pooling masks them out.
  torch::Tensor out = torch::zeros({batch, seq, h}, torch::kFloat32);
  for (int64_t b = 0, start = 0; b < batch; start += (*lengths)[b], ++b)
    out[b].narrow(0, 0, (*lengths)[b]).copy_(x.narrow(0, start, (*lengths)[b]));
  return out;
}

torch::Tensor BertBackboneImpl::forward(const torch::Tensor& ids, const torch::Tensor& type_ids,
                                        const torch::Tensor& attention_mask) {
  if (torch::Tensor few = forward_fused(ids, type_ids, attention_mask); few.defined()) return few;
  torch::Tensor x = embeddings_(ids, type_ids);
  // Padding keys get the lowest float so that softmax gives them exactly zero weight.
  torch::Tensor additive =
      (1.0 - attention_mask.to(x.dtype()).unsqueeze(1).unsqueeze(2)) * std::numeric_limits<float>::lowest();
  if (!onednn_route(x, is_training())) {
    for (const auto& layer : *layers_) x = layer->as<BertLayer>()->forward(x, additive);
    return x;
  }
  // Inference: the layers run on the real tokens alone, packed into (n, hidden) rows.
  const int64_t batch = x.size(0), seq = x.size(1), h = x.size(2);
  torch::Tensor rows = attention_mask.reshape({-1}).nonzero().squeeze(1);  // real tokens' rows
  const bool padded = rows.size(0) < batch * seq;
  if (!padded) rows = torch::Tensor();
  torch::Tensor packed = x.reshape({-1, h});
  if (padded) packed = packed.index_select(0, rows);
  for (const auto& layer : *layers_)
    packed = layer->as<BertLayer>()->forward_packed(packed, rows, batch, seq, additive);
  // Padding positions come back as zeros: pooling masks them out.
  if (padded) packed = torch::zeros({batch * seq, h}, packed.options()).index_copy_(0, rows, packed);
  return packed.view({batch, seq, h});
}

TransformerNetImpl::TransformerNetImpl(const ModelConfig& config, bool with_query_tower) : config_(config) {
  config_.validate("model config");
  backbone_ = register_module(config.model_type, BertBackbone(config));
  if (config.ance_head) {
    head_linear_ = register_module("embeddingHead", nn::Linear(config.hidden_size, config.dim()));
    head_norm_ = register_module("norm", make_norm(config.dim(), config.layer_norm_eps));
  }
  if (!config.shared_towers && with_query_tower)
    query_tower_ = register_module("query_tower", std::make_shared<TransformerNetImpl>(config, false));
}

void BertBackboneImpl::set_precision(Precision precision) {
  precision_ = precision;
  for (const auto& layer : *layers_) layer->as<BertLayer>()->set_precision(precision);
}

void TransformerNetImpl::set_precision(Precision precision) {
  backbone_->set_precision(precision);
  if (query_tower_) query_tower_->set_precision(precision);
}

torch::Tensor TransformerNetImpl::pool(const torch::Tensor& hidden, const torch::Tensor& attention_mask) const {
  if (config_.pooling == "cls") return hidden.select(1, 0);
  torch::Tensor mask = attention_mask.to(hidden.dtype()).unsqueeze(-1);  // (batch, seq, 1)
  if (config_.pooling == "max") {
    // Padding is set to -1e9 before the maximum, as sentence-transformers does.
    return hidden.masked_fill(mask.eq(0), -1e9).amax(1);
  }
  return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0);
}

torch::Tensor TransformerNetImpl::forward(const torch::Tensor& ids, const torch::Tensor& type_ids,
                                          const torch::Tensor& attention_mask, bool query) {
  if (query && query_tower_) return query_tower_->forward(ids, type_ids, attention_mask, false);
  torch::Tensor pooled = pool(backbone_(ids, type_ids, attention_mask), attention_mask);
  if (config_.ance_head) pooled = head_norm_(head_linear_(pooled));
  // x / max(||x||, 1e-12): torch.nn.functional.normalize, as sentence-transformers' Normalize.
  if (config_.normalize) pooled = pooled / pooled.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  return pooled;
}

void initialize(TransformerNet& net, const InitOptions& options) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(options.seed);
  for (auto& item : net->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    bool is_norm = name.find("LayerNorm.") != std::string::npos || name.rfind("norm.", 0) == 0 ||
                   name.find(".norm.") != std::string::npos;
    bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (is_norm) {
      double base = is_bias ? 0.0 : 1.0;
      if (options.random_norms) {
        p.normal_(base, 0.1);
      } else {
        p.fill_(base);
      }
    } else if (is_bias) {
      if (options.random_norms) {
        p.normal_(0.0, options.std);
      } else {
        p.zero_();
      }
    } else {
      p.normal_(0.0, options.std);
    }
  }
}

}  // namespace denser::encode_internal
