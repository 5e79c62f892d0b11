#pragma once
// AdamW (Loshchilov & Hutter) with decoupled weight decay, which also takes sparse
// gradients (the n-gram tables): for those only the rows a batch touched are updated, as
// PyTorch's SparseAdam / TensorFlow's LazyAdam do. Its state is saved in checkpoints.
// Private header (libtorch).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace denser::train_internal {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

class AdamW {
 public:
  AdamW(std::vector<torch::Tensor> params, AdamWOptions options);
  /// Sets every gradient to undefined (the next backward allocates afresh; sparse
  /// gradients accumulate as sparse).
  void zero_grad();
  /// Scales the gradients so that their global L2 norm is at most max_norm (0: no-op);
  /// returns the norm before clipping.
  double clip_grad_norm(double max_norm);
  /// One update with learning rate lr.
  void step(double lr);
  int64_t num_steps() const { return steps_; }
  /// Moments and step count, atomically written (torch serialization) / read back.
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

/// Linear warm-up to peak over warmup steps, then linear decay to 0 at total steps.
double learning_rate_at(int64_t step, int64_t total, int64_t warmup, double peak);

}  // namespace denser::train_internal
