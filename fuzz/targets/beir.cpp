// BEIR JSONL (corpus and queries) and BEIR qrels TSV.
#include "denser/data/readers.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("beir.jsonl", fuzz::as_text(data, size));
  fuzz::read_all(open_beir_corpus, path, read_beir_queries, read_beir_qrels);
  return 0;
}
