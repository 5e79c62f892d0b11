#pragma once
// The parts of denser._core, each in its own translation unit.
#include <nanobind/nanobind.h>

namespace denser::python {

/// Encoders, vector indexes, the Retriever and training (builds with libtorch and FAISS).
void bind_dense(nanobind::module_& m);

}  // namespace denser::python
