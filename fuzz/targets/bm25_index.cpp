// The BM25 index file: header, dictionary, postings, document table; a loaded index must
// answer a query without reading out of bounds.
#include "denser/sparse/bm25_index.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (bool verify : {true, false}) {
    Bm25LoadOptions options;
    options.verify_checksum = verify;
    fuzz::expect_success_or_error([&] {
      Bm25Index index = Bm25Index::from_bytes(std::vector<uint8_t>(data, data + size), "fuzz.bm25", options);
      for (Bm25Algorithm algorithm : {Bm25Algorithm::kAuto, Bm25Algorithm::kPruned, Bm25Algorithm::kExhaustive}) {
        Bm25SearchOptions search;
        search.k = 5;
        search.algorithm = algorithm;
        index.search("compiler grammar parse tree", search);
        index.search("the of and", search);
      }
    });
  }
  return 0;
}
