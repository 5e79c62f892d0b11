// SMART-format collections (Cranfield and its relatives): documents, queries, relevance.
#include "denser/data/readers.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("cran.all", fuzz::as_text(data, size));
  fuzz::read_all(open_smart_documents, path, read_smart_queries, read_smart_qrels);
  return 0;
}
