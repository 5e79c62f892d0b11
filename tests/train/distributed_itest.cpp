// Data-parallel training over two processes on loopback (c10d Gloo, torchrun-style
// environment) against one process with the same global batch: the same loss curve.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/command.h"
#include "train/train_test_util.h"

namespace denser {
namespace {

namespace fs = std::filesystem;
using denser_test::run_command;

std::string temp_dir(const std::string& name) {
  const std::string dir =
      fs::temp_directory_path().string() + "/denser_dist_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  return dir;
}

std::vector<double> step_losses(const std::string& log) {
  std::vector<double> out;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "step") out.push_back(j["loss"].get<double>());
  }
  return out;
}

class DistributedItest : public ::testing::Test {
 protected:
  void SetUp() override { collection_ = denser_test::make_synthetic_collection(temp_dir("collection")).dir; }
  void TearDown() override {
    fs::remove_all(collection_);
    for (const auto& d : outs_) fs::remove_all(d);
  }
  std::string out(const std::string& name) {
    outs_.push_back(temp_dir(name));
    return outs_.back();
  }

  // The loss curve of one process, then of two ranks with the same flags and global batch.
  void expect_same_curve(const std::string& flags) {
    const std::string common = " --quiet train --collection " + collection_ + " " + flags +
                               " --preset tiny --steps 40 --batch-size 8 --log-every 1 --threads 1";
    const std::string one = out("one"), two = out("two");
    auto single = run_command(std::string(DENSER_BINARY) + common + " --out " + one + " 2>&1");
    ASSERT_EQ(single.exit_code, 0) << single.output;
    // Rank 0 binds a port the kernel chooses and publishes it in the rendezvous file: no
    // guessed port can collide with another test under ctest -j.
    const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=0 DENSER_RENDEZVOUS_FILE=" + two +
                            ".port DENSER_DIST_TIMEOUT=60 WORLD_SIZE=2 ";
    fs::remove(two + ".port");
    const std::string rank = std::string(DENSER_BINARY) + common + " --distributed --out " + two;
    // Both ranks at once; rank 1 in the background, its output and status kept.
    auto both =
        run_command("(" + env + "RANK=1 timeout 120 " + rank + " > " + two + ".rank1 2>&1; echo $? > " + two +
                    ".rank1.status) & " + env + "RANK=0 timeout 120 " + rank + " 2>&1; status=$?; wait; exit $status");
    ASSERT_EQ(both.exit_code, 0) << both.output;
    std::ifstream status(two + ".rank1.status");
    int rank1 = -1;
    status >> rank1;
    std::ifstream rank1_out(two + ".rank1");
    std::string rank1_text((std::istreambuf_iterator<char>(rank1_out)), std::istreambuf_iterator<char>());
    EXPECT_EQ(rank1, 0) << rank1_text;
    EXPECT_NE(rank1_text.find("rank 1 of 2: trained 40 steps"), std::string::npos) << rank1_text;
    fs::remove(two + ".rank1");
    fs::remove(two + ".rank1.status");
    fs::remove(two + ".port");

    const std::vector<double> a = step_losses(one + "/training/log.jsonl"),
                              b = step_losses(two + "/training/log.jsonl");
    ASSERT_EQ(a.size(), 40u);
    ASSERT_EQ(b.size(), 40u);
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-4 * std::max(1.0, std::abs(a[i]))) << "step " << i + 1;
    EXPECT_TRUE(fs::exists(two + "/model.safetensors"));  // rank 0 wrote the model
  }

  std::string collection_;
  std::vector<std::string> outs_;
};

TEST_F(DistributedItest, TwoRanksFollowTheSingleProcessLossCurveWithRandomNegatives) {
  expect_same_curve("--negatives random --checkpoint-every 0");
}

TEST_F(DistributedItest, TwoRanksShareRankZerosAnceNegatives) {
  expect_same_curve(
      "--negatives ance --refresh sync --refresh-every 10 --warmup-negative-steps 10 --checkpoint-every 20");
}

TEST_F(DistributedItest, MissingEnvironmentIsAClearError) {
  const std::string o = out("noenv");
  auto r = run_command("env -u WORLD_SIZE -u RANK " + std::string(DENSER_BINARY) + " --quiet train --collection " +
                       collection_ + " --negatives random --steps 2 --distributed --out " + o + " 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("WORLD_SIZE"), std::string::npos) << r.output;
  auto odd = run_command("MASTER_PORT=0 DENSER_RENDEZVOUS_FILE=" + o + ".port WORLD_SIZE=3 RANK=0 " +
                         std::string(DENSER_BINARY) + " --quiet train --collection " + collection_ +
                         " --negatives random --steps 2 --batch-size 8 " + "--distributed --out " + o + " 2>&1");
  EXPECT_NE(odd.exit_code, 0);
  EXPECT_NE(odd.output.find("multiple of WORLD_SIZE 3"), std::string::npos) << odd.output;
}

}  // namespace
}  // namespace denser
