// A training checkpoint's state.json and negatives.bin (the ANCE candidate lists), as
// `denser train --resume` reads them. Input parts: state.json, then negatives.bin.
#include "fuzz_support.h"
#include "train/checkpoint.h"

using namespace denser;
using namespace denser::train_internal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string_view> parts = fuzz::split_files(fuzz::as_text(data, size), 2);
  fuzz::expect_success_or_error([&] { TrainerState::from_json(parts[0], "state.json"); });
  fuzz::expect_success_or_error([&] {
    CandidatePool pool = CandidatePool::deserialize(parts[1], "negatives.bin");
    (void)pool;
  });
  return 0;
}
