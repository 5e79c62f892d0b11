// The embeddings file (header, float32/float16 matrix, ids, checksum).
#include <vector>

#include "denser/index/embeddings.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("vectors.emb", fuzz::as_text(data, size));
  for (bool verify : {true, false}) {
    fuzz::expect_success_or_error([&] {
      Embeddings e = Embeddings::open(path, verify);
      const uint64_t rows = std::min<uint64_t>(e.num_rows(), 4);
      std::vector<float> out(rows * e.dim());
      e.rows(0, rows, out.data());
      for (uint64_t r = 0; r < rows; ++r) (void)e.id(r);
    });
  }
  return 0;
}
