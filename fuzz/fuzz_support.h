#pragma once
// What every fuzz target shares: the input written to files in a private directory (the
// readers take paths), and the contract each target checks. A reader given any bytes
// either succeeds or throws denser::Error (one message naming the file and the place);
// anything else escaping (std::bad_alloc from a lying length, std::out_of_range, a JSON
// library exception) reaches libFuzzer as an uncaught exception, a crash. So do
// sanitizer reports, endless loops (-timeout) and runaway allocations (-rss_limit_mb).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/data/readers.h"

namespace denser::fuzz {

// Lenient readers warn about every record they skip: millions of lines of log, and most of
// the fuzzer's time, for nothing the target checks.
inline const bool kQuietLogs = (set_log_level(LogLevel::kError), true);

/// This process's scratch directory, removed at exit. (Never freed: the exit handler that
/// removes it runs after static objects are destroyed.)
inline const std::string& scratch_dir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TMPDIR");
    auto* d =
        new std::string(std::string(base && *base ? base : "/tmp") + "/denser-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

/// Writes bytes to scratch_dir()/name (creating subdirectories) and returns the path.
inline std::string write_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = std::filesystem::path(scratch_dir()) / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

/// A fresh, empty subdirectory of the scratch directory.
inline std::string fresh_dir(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path(scratch_dir()) / name;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  std::filesystem::create_directories(path);
  return path.string();
}

/// The input cut into parts at each line "--next-file--": how the targets whose parser
/// reads several files (a model directory, a tokenizer) take one input. Missing parts
/// are empty.
inline std::vector<std::string_view> split_files(std::string_view input, size_t count) {
  static constexpr std::string_view kMarker = "\n--next-file--\n";
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    size_t at = input.find(kMarker);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kMarker.size());
  }
  parts.push_back(input);
  parts.resize(count);
  return parts;
}

/// Runs fn, accepting denser::Error (the documented failure) and nothing else.
template <typename Fn>
void expect_success_or_error(Fn&& fn) {
  try {
    fn();
  } catch (const denser::Error& e) {
    if (std::string_view(e.what()).empty()) std::abort();  // an error must say something
  }
}

/// Reads every document of `path` with a reader opener (open_beir_corpus, ...), strict and
/// lenient, then runs each of `more` (the same format's other readers) in both modes.
template <typename Open, typename... More>
void read_all(Open&& open, const std::string& path, More&&... more) {
  for (bool lenient : {false, true}) {
    const ReadOptions options{lenient};
    expect_success_or_error([&] {
      auto reader = open(path, options);
      Document doc;
      while (reader->next(doc)) {}
    });
    (expect_success_or_error([&] { more(path, options, nullptr); }), ...);
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace denser::fuzz
