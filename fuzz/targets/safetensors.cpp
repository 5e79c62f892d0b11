// safetensors: the length-prefixed JSON header and the tensors it points into.
#include "denser/encode/safetensors.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("model.safetensors", fuzz::as_text(data, size));
  fuzz::expect_success_or_error([&] {
    SafeTensorsFile file = SafeTensorsFile::open(path);
    for (const auto& entry : file.tensors()) {
      const TensorView& view = entry.second;
      if (view.num_bytes > (64u << 20)) continue;  // the reader allows big tensors; skip converting them
      fuzz::expect_success_or_error([&] { view.to_float(); });
    }
  });
  return 0;
}
