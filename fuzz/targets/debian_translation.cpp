// apt's Translation-en files (the Debian package collection's source): RFC 822 stanzas of
// Package / Description-md5 / Description-en with continuation lines.
#include "denser/data/debian_packages.h"
#include "fuzz_support.h"

using namespace denser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("Translation-en", fuzz::as_text(data, size));
  for (bool lenient : {false, true}) {
    fuzz::expect_success_or_error([&] { read_translation_file(path, ReadOptions{lenient}); });
  }
  return 0;
}
