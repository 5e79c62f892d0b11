#pragma once
// Helpers for the data tests: a scratch directory and checks on error messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/data/readers.h"

namespace denser_test {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("denser_data_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  /// Writes contents (bytes as given) to name, creating parent directories; returns the path.
  std::string write(const std::string& name, const std::string& contents) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << contents;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

/// Success when fn throws denser::Error whose message contains every fragment.
template <typename Fn>
::testing::AssertionResult throws_error_with(Fn&& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
  } catch (const denser::Error& e) {
    const std::string message = e.what();
    for (const auto& f : fragments)
      if (message.find(f) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << message << "\" lacks \"" << f << "\"";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no denser::Error thrown";
}

inline std::vector<denser::Document> read_all(denser::DocumentReader& reader) {
  std::vector<denser::Document> docs;
  denser::Document doc;
  while (reader.next(doc)) docs.push_back(doc);
  return docs;
}

inline std::string testdata(const std::string& name) { return std::string(DENSER_TESTDATA_DIR) + "/data/" + name; }

}  // namespace denser_test
