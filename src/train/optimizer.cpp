#include "optimizer.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "denser/common/error.h"
#include "denser/common/io.h"

namespace denser::train_internal {

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options) : params_(std::move(params)), options_(options) {
  for (const auto& p : params_) {
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

double AdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  double total = 0.0;
  for (auto& p : params_) {
    torch::Tensor& g = p.mutable_grad();
    if (!g.defined()) continue;
    if (g.is_sparse()) g = g.coalesce();
    const torch::Tensor values = g.is_sparse() ? g._values() : g;
    total += values.pow(2).sum().item<double>();
  }
  const double norm = std::sqrt(total);
  if (max_norm > 0 && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    for (auto& p : params_) {
      torch::Tensor& g = p.mutable_grad();
      if (!g.defined()) continue;
      if (g.is_sparse()) {
        g._values().mul_(scale);
      } else {
        g.mul_(scale);
      }
    }
  }
  return norm;
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  const double step_size = lr / bias1;
  const double decay = 1.0 - lr * options_.weight_decay;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.is_sparse()) {
      g = g.coalesce();
      const torch::Tensor rows = g._indices()[0];
      const torch::Tensor values = g._values();
      torch::Tensor m = m_[i].index_select(0, rows).mul_(b1).add_(values, 1.0 - b1);
      torch::Tensor v = v_[i].index_select(0, rows).mul_(b2).addcmul_(values, values, 1.0 - b2);
      torch::Tensor w = p.index_select(0, rows).mul_(decay);
      w.addcdiv_(m, (v / bias2).sqrt_().add_(options_.eps), -step_size);
      m_[i].index_copy_(0, rows, m);
      v_[i].index_copy_(0, rows, v);
      p.index_copy_(0, rows, w);
    } else {
      m_[i].mul_(b1).add_(g, 1.0 - b1);
      v_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
      p.mul_(decay);
      p.addcdiv_(m_[i], (v_[i] / bias2).sqrt_().add_(options_.eps), -step_size);
    }
  }
}

void AdamW::save(const std::string& path) const {
  std::vector<torch::Tensor> state = m_;
  state.insert(state.end(), v_.begin(), v_.end());
  state.push_back(torch::tensor({steps_}, torch::TensorOptions().dtype(torch::kLong)));
  std::ostringstream bytes;
  torch::save(state, bytes);
  write_file_atomic(path, bytes.str());
}

void AdamW::load(const std::string& path) {
  std::vector<torch::Tensor> state;
  try {
    std::istringstream bytes(read_file(path));
    torch::load(state, bytes);
  } catch (const c10::Error& e) {
    DENSER_THROW(ErrorCode::kCorrupt, path, ": cannot read the optimizer state (", e.what_without_backtrace(), ")");
  }
  DENSER_CHECK(state.size() == 2 * params_.size() + 1, ErrorCode::kCorrupt, path, ": optimizer state has ",
               state.size(), " tensors, expected ", 2 * params_.size() + 1, " for this model");
  for (size_t i = 0; i < params_.size(); ++i) {
    DENSER_CHECK(state[i].sizes() == params_[i].sizes() && state[params_.size() + i].sizes() == params_[i].sizes(),
                 ErrorCode::kCorrupt, path, ": optimizer state tensor ", i,
                 " does not match the model's parameter shape");
    m_[i].copy_(state[i]);
    v_[i].copy_(state[params_.size() + i]);
  }
  steps_ = state.back().item<int64_t>();
}

double learning_rate_at(int64_t step, int64_t total, int64_t warmup, double peak) {
  if (warmup > 0 && step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const int64_t rest = total - warmup;
  if (rest <= 0) return peak;
  return peak * std::max(0.0, static_cast<double>(total - step) / static_cast<double>(rest));
}

}  // namespace denser::train_internal
