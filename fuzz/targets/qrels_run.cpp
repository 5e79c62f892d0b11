// Relevance judgments (TREC qrels, any layout read_qrels detects) and TREC runs.
#include "denser/data/readers.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("judgments.txt", fuzz::as_text(data, size));
  for (bool lenient : {false, true}) {
    ReadOptions options{lenient};
    fuzz::expect_success_or_error([&] { read_trec_qrels(path, options); });
    fuzz::expect_success_or_error([&] { read_qrels(path, options); });
    fuzz::expect_success_or_error([&] { read_trec_run(path, options); });
  }
  return 0;
}
