// The BERT / RoBERTa forward pass, following the published architecture (Devlin et al.
// 2019; Liu et al. 2019) and Hugging Face's module layout, so parameter names match.
#include <atomic>
#include <cmath>
#include <vector>
#include <limits>

#include "denser/common/error.h"
#include "encode/transformer_model.h"

namespace denser::encode_internal {
namespace {

namespace nn = torch::nn;

nn::LayerNorm make_norm(int64_t dim, double eps) { return nn::LayerNorm(nn::LayerNormOptions({dim}).eps(eps)); }

// An empty container module, so that nested Hugging Face names ("attention.self.query")
// come out of named_parameters() without a class per level.
std::shared_ptr<nn::Module> add_container(nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<nn::Module>());
}

std::atomic<bool> g_use_onednn{true};

// Whether a forward pass may take the oneDNN route: inference on the CPU only (the route
// has no autograd), and only when libtorch was built with oneDNN.
bool onednn_route(const torch::Tensor& x, bool training) {
  return g_use_onednn.load(std::memory_order_relaxed) && !training && !torch::GradMode::is_enabled() &&
         x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && at::hasMKLDNN();
}

// y = x w^T + b over the last dimension of x. Debian's libtorch sends float32 matrix
// products to the reference (netlib) BLAS at ~2 GFLOP/s; oneDNN's inner product kernel
// is an order of magnitude faster on the same cores.
// y = x w^T + b over the last dimension of x, for inference on the CPU.
// fp32: oneDNN's inner product (Debian's libtorch may send float32 products to a slow
// reference BLAS when no optimized one is installed), or the BLAS on one thread. bf16: the input is rounded to bfloat16 and multiplied by the layer's
// bfloat16 weights (kept by `cache` until the weights change) through libtorch's bf16
// GEMM (oneDNN's AVX512-BF16 / AMX kernels where the CPU has them), accumulating in
// float32; the result comes back as float32, so LayerNorm, softmax and the residual sums
// stay in float32.
// keep_bf16: return the bf16 product as it is, for a consumer that takes bfloat16 anyway
// (attention's products, GELU before the output layer): identical numbers, two fewer passes.
torch::Tensor linear(nn::Linear layer, const torch::Tensor& x, bool onednn, Precision precision,
                     Bf16Weights* cache, bool keep_bf16 = false) {  // a holder: shares the module
  if (!onednn) return layer(x);
  auto out_sizes = x.sizes().vec();
  out_sizes.back() = layer->weight.size(0);
  torch::Tensor rows = x.reshape({-1, x.size(-1)});
  if (precision == Precision::kBf16) {
    const Bf16Weights& w = cache->of(layer->weight, layer->bias);
    torch::Tensor y = torch::addmm(w.bias, rows.to(torch::kBFloat16), w.weight.t());
    return (keep_bf16 ? y : y.to(torch::kFloat32)).view(out_sizes);
  }
  // One thread: libtorch's BLAS GEMM (OpenBLAS here) beats oneDNN's fp32 inner product
  // (MiniLM at max length 256: 21.4 against 14.5 docs/s); at two threads oneDNN scales and
  // the BLAS does not (23.0 against 20.1). See docs/benchmarks.md.
  if (at::get_num_threads() == 1) return torch::addmm(layer->bias, rows, layer->weight.t()).view(out_sizes);
  torch::Tensor y = at::mkldnn_linear(rows.contiguous().to_mkldnn(), layer->weight.to_mkldnn(), layer->bias);
  return y.to_dense().view(out_sizes);
}

// Scaled dot-product attention for inference. q, k, v: (batch, heads, seq, head_dim)
// views; additive_mask: (batch, 1, 1, seq). Both products are batched matrix products on
// contiguous operands (k pre-transposed to (batch, heads, head_dim, seq)), which run an
// order of magnitude faster than strided ones or one small product per head. bf16: the
// products take bfloat16 operands. Returns (batch, heads, seq, head_dim), float32 or
// (bf16) bfloat16 for the output layer, which takes bfloat16 anyway.
torch::Tensor attention_inference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& additive_mask, Precision precision) {
  const auto dtype = precision == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  // The scale goes on q (seq x head_dim) rather than on the scores (seq x seq).
  torch::Tensor qc = (q.to(torch::kFloat32) * scale).to(dtype).contiguous();
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

const Bf16Weights& Bf16Weights::of(const torch::Tensor& w, const torch::Tensor& b) {
  // A tensor's version counter moves with every in-place change (an optimizer step), and
  // its storage with every reassignment: either makes the copy stale.
  if (!weight.defined() || version_ != w._version() || source_ != w.data_ptr() ||
      bias_version_ != b._version()) {
    weight = w.detach().to(torch::kBFloat16).contiguous();
    bias = b.detach().to(torch::kBFloat16);
    version_ = w._version();
    bias_version_ = b._version();
    source_ = w.data_ptr();
  }
  return *this;
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
  DENSER_CHECK(positions.max().item<int64_t>() < config_.max_position_embeddings, "sequence of ", seq_len,
               " tokens is longer than max_position_embeddings ", config_.max_position_embeddings, " allows");
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
  bool fast = onednn_route(x, is_training());
  const Precision pr = fast ? precision_ : Precision::kFp32;
  auto split_heads = [&](const torch::Tensor& t) { return t.view({batch, seq, heads, head_dim}).permute({0, 2, 1, 3}); };
  Bf16Weights* w = bf16_weights_.data();
  torch::Tensor q = split_heads(linear(query_, x, fast, pr, &w[0], true));
  torch::Tensor k = split_heads(linear(key_, x, fast, pr, &w[1], true));
  torch::Tensor v = split_heads(linear(value_, x, fast, pr, &w[2], true));
  torch::Tensor context;
  if (fast) {
    context = attention_inference(q, k, v, additive_mask, pr);
  } else {
    torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
    torch::Tensor probs = torch::softmax(scores + additive_mask, -1);
    probs = torch::dropout(probs, config_.attention_probs_dropout_prob, is_training());
    context = torch::matmul(probs, v);  // (batch, heads, seq, head_dim)
  }
  context = context.permute({0, 2, 1, 3}).reshape({batch, seq, config_.hidden_size});
  double p = config_.hidden_dropout_prob;
  torch::Tensor attended =
      attention_norm_(torch::dropout(linear(attention_dense_, context, fast, pr, &w[3]), p, is_training()) + x);
  torch::Tensor inner = torch::gelu(linear(intermediate_dense_, attended, fast, pr, &w[4], true));  // exact erf GELU
  return output_norm_(torch::dropout(linear(output_dense_, inner, fast, pr, &w[5]), p, is_training()) + attended);
}

BertBackboneImpl::BertBackboneImpl(const ModelConfig& config) : config_(config) {
  embeddings_ = register_module("embeddings", BertEmbeddings(config));
  auto encoder = add_container(*this, "encoder");
  layers_ = encoder->register_module("layer", nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers_->push_back(BertLayer(config));
}

torch::Tensor BertBackboneImpl::forward(const torch::Tensor& ids, const torch::Tensor& type_ids,
                                        const torch::Tensor& attention_mask) {
  torch::Tensor x = embeddings_(ids, type_ids);
  // Padding keys get the lowest float so that softmax gives them exactly zero weight.
  torch::Tensor additive = (1.0 - attention_mask.to(x.dtype()).unsqueeze(1).unsqueeze(2)) *
                           std::numeric_limits<float>::lowest();
  for (const auto& layer : *layers_) x = layer->as<BertLayer>()->forward(x, additive);
  return x;
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
