#pragma once
// A torch-free switch for the oneDNN inference route of the transformer network (see
// transformer_model.h), so that torch-free tests and benchmarks can compare both routes.

namespace denser::encode_internal {

/// Inference on the CPU (eval mode, no grad) runs the matrix products through oneDNN
/// instead of libtorch's BLAS, which is netlib's reference BLAS in Debian's build. On by
/// default; off forces the plain libtorch path everywhere. Thread-safe (an atomic flag).
void set_use_onednn(bool enabled);

}  // namespace denser::encode_internal
