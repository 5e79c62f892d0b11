// Query and document text as users type it (any bytes, invalid UTF-8 included): the BM25
// analyzer and the BERT basic tokenizer must take it all.
#include "denser/text/analyzer.h"
#include "denser/text/bert_tokenizer.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Bm25Analyzer analyzer;
  static const BasicTokenizer basic;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_success_or_error([&] { analyzer.analyze(text); });
  fuzz::expect_success_or_error([&] { basic.tokenize(text); });
  return 0;
}
