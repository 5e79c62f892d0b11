// MS MARCO TSV: the collection (id, text) and the queries.
#include "denser/data/readers.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("collection.tsv", fuzz::as_text(data, size));
  fuzz::read_all(open_msmarco_collection, path, read_msmarco_queries);
  return 0;
}
