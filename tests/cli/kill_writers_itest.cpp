// kill -9 of each long writer at random moments (docs/reliability.md, "Nothing is lost"):
// `bm25 index`, `encode`, `index dense` and `train`. After every kill the output path holds
// the previous complete file, byte for byte, never a partial one; leftover temporaries of
// dead processes are removed by the next write; a rerun (or --resume) completes with the
// same bytes as an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <utime.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "denser/common/io.h"
#include "support/command.h"

namespace denser {
namespace {

namespace fs = std::filesystem;
using denser_test::contains;
using denser_test::run_command;
using denser_test::run_denser;
using Clock = std::chrono::steady_clock;

const std::string kScifact = std::string(DENSER_SHARED_DIR) + "/datasets/scifact";
constexpr int kKillsPerWriter = 6;

// The leftover temporaries of `out` (its "OUT.tmp.PID" files).
std::vector<std::string> temporaries(const std::string& out) {
  std::vector<std::string> found;
  const std::string prefix = fs::path(out).filename().string() + ".tmp.";
  for (const auto& entry : fs::directory_iterator(fs::path(out).parent_path()))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path().string());
  return found;
}

// Starts `denser args` in the background, kills it with SIGKILL after delay_ms (or lets
// it finish first), and waits until the process is gone.
void run_and_kill(const std::string& args, int delay_ms) {
  const auto started =
      run_command("(" + std::string(DENSER_BINARY) + " --quiet " + args + " >/dev/null 2>&1 & echo $!)");
  const pid_t pid = static_cast<pid_t>(std::stol(started.output));
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 500 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

class KillWriters : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kScifact + "/corpus.jsonl")) GTEST_SKIP() << "needs ../shared/datasets/scifact";
    dir_ = (fs::temp_directory_path() / ("denser-kill-writers-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    rng_.seed(static_cast<uint64_t>(Clock::now().time_since_epoch().count()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One writer: an uninterrupted run gives the reference bytes and duration; then
  // kKillsPerWriter kills at random moments over that duration, each leaving `out` equal
  // to the reference; then, the leftovers made older than a minute, a rerun that removes
  // them and writes the same bytes.
  void check_writer(const std::string& name, const std::string& args, const std::string& out) {
    const auto start = Clock::now();
    auto first = run_denser("--quiet " + args);
    ASSERT_EQ(first.exit_code, 0) << name << ": " << first.output;
    const int duration_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    const std::string reference = read_file(out);
    ASSERT_FALSE(reference.empty()) << name;
    for (int i = 0; i < kKillsPerWriter; ++i) {
      const int delay_ms = static_cast<int>(rng_() % static_cast<uint64_t>(duration_ms + 1));
      run_and_kill(args, delay_ms);
      ASSERT_TRUE(fs::exists(out)) << name << " killed after " << delay_ms << " ms: the previous file is gone";
      EXPECT_TRUE(read_file(out) == reference)
          << name << " killed after " << delay_ms << " ms: " << out << " is not the previous complete file";
      ++kills_;
    }
    // Temporaries of dead processes are removed once older than a minute (younger ones
    // may belong to a writer in another PID namespace): age them, then write again.
    for (const std::string& tmp : temporaries(out)) {
      utimbuf old_times{std::time(nullptr) - 120, std::time(nullptr) - 120};
      ::utime(tmp.c_str(), &old_times);
    }
    auto again = run_denser("--quiet " + args);
    ASSERT_EQ(again.exit_code, 0) << name << ": " << again.output;
    EXPECT_TRUE(read_file(out) == reference) << name << ": a rerun wrote different bytes";
    EXPECT_TRUE(temporaries(out).empty()) << name << ": " << temporaries(out).size() << " temporaries left";
  }

  std::string dir_;
  std::mt19937_64 rng_;
  int kills_ = 0;
};

TEST_F(KillWriters, EachWriterLeavesThePreviousFileOrTheNewOne) {
  const std::string vocab = std::string(DENSER_SHARED_DIR) + "/vocab/bert-base-uncased/vocab.txt";
  const std::string model = dir_ + "/model";
  ASSERT_EQ(run_denser("--quiet model init --preset tiny --vocab " + vocab + " --seed 3 --out " + model).exit_code, 0);

  check_writer("bm25 index", "bm25 index --collection " + kScifact + " --index " + dir_ + "/scifact.bm25 --threads 2",
               dir_ + "/scifact.bm25");
  check_writer("encode",
               "encode --model " + model + " --collection " + kScifact + " --out " + dir_ +
                   "/scifact.emb --max-length 48 --threads 2",
               dir_ + "/scifact.emb");
  check_writer(
      "index dense",
      "index dense --embeddings " + dir_ + "/scifact.emb --factory HNSW16 --threads 1 --out " + dir_ + "/scifact.hnsw",
      dir_ + "/scifact.hnsw");
  EXPECT_GE(kills_, 3 * kKillsPerWriter);
}

// `denser train` killed several times in one run, each time resumed: it finishes, and its
// checkpoints are whole after every kill (the single-kill case is in train_itest).
TEST_F(KillWriters, TrainKilledRepeatedlyResumesToTheEnd) {
  const std::string out = dir_ + "/train";
  const std::string args = "train --collection " + kScifact + " --out " + out +
                           " --preset tiny --steps 120 --batch-size 16 --refresh-every 40 --checkpoint-every 10"
                           " --warmup-negative-steps 20 --negative-depth 20 --threads 2 --test-split test";
  int kills = 0;
  for (int i = 0; i < kKillsPerWriter; ++i) {
    run_and_kill(args + (i == 0 ? "" : " --resume"), 800 + static_cast<int>(rng_() % 2500));
    ++kills;
    const std::string root = out + "/training/checkpoints";
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".tmp") != std::string::npos || name.find(".old") != std::string::npos) continue;
      EXPECT_TRUE(fs::exists(entry.path() / "state.json")) << "after kill " << i << ": " << name;
      EXPECT_TRUE(fs::exists(entry.path() / "model" / "model.safetensors")) << "after kill " << i << ": " << name;
    }
  }
  const auto resumed = run_denser("--quiet " + args + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(contains(read_file(out + "/training/log.jsonl"), "\"event\":\"done\""));
  EXPECT_TRUE(fs::exists(out + "/model.safetensors"));
  EXPECT_EQ(kills, kKillsPerWriter);
}

}  // namespace
}  // namespace denser
