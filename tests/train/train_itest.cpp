// End-to-end training on a synthetic collection: models learn, both encoder families
// train, a stopped run resumes to the same model bit for bit (sync refresh is
// deterministic), checkpoints are whole or absent, and kill -9 of the CLI is survivable.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/encoder.h"
#include "denser/train/train.h"
#include "support/command.h"
#include "train/checkpoint.h"
#include "train/train_test_util.h"

namespace denser {
namespace {

namespace fs = std::filesystem;
using denser_test::contains;
using denser_test::run_command;
using denser_test::run_denser;

std::string temp_dir(const std::string& name) {
  const std::string dir =
      fs::temp_directory_path().string() + "/denser_train_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  return dir;
}

TrainOptions small_run(const std::string& collection) {
  TrainOptions o = TrainOptions::preset_defaults("ngram", "tiny");
  o.collection = collection;
  o.steps = 60;
  o.batch_size = 16;
  o.refresh_every = 20;
  o.checkpoint_every = 20;
  o.warmup_negative_steps = 10;
  o.negative_depth = 20;
  o.log_every = 5;
  o.learning_rate = 0.05;
  o.temperature = 0.1;
  o.threads = 2;
  o.test_split = "test";
  return o;
}

class TrainItest : public ::testing::Test {
 protected:
  void SetUp() override { collection_ = denser_test::make_synthetic_collection(temp_dir("collection")).dir; }
  void TearDown() override { fs::remove_all(collection_); }
  std::string collection_;
};

TEST_F(TrainItest, AnceTrainingLearnsAndLogsRefreshes) {
  const std::string out = temp_dir("ance");
  TrainOptions o = small_run(collection_);
  o.refresh = "sync";
  TrainOptions untrained = o;
  untrained.steps = 1;
  untrained.learning_rate = 1e-9;
  const TrainSummary before = train_dual_encoder(untrained, out + "_untrained");
  const TrainSummary after = train_dual_encoder(o, out);
  EXPECT_GT(after.test_mrr10, before.test_mrr10 + 0.2) << "before " << before.test_mrr10;
  EXPECT_GE(after.refreshes.size(), 2u);
  for (const RefreshEvent& e : after.refreshes) EXPECT_EQ(e.swapped_step, e.snapshot_step);  // sync: no staleness
  // The final model directory loads and reproduces the reported test score's vectors.
  auto model = load_encoder(out);
  EXPECT_EQ(model->family(), "ngram");
  const std::string log = read_file(out + "/training/log.jsonl");
  EXPECT_TRUE(contains(log, "\"event\":\"refresh\"")) << log.substr(0, 400);
  EXPECT_TRUE(contains(log, "ance@10"));
  EXPECT_TRUE(contains(log, "\"event\":\"done\""));
  fs::remove_all(out);
  fs::remove_all(out + "_untrained");
}

TEST_F(TrainItest, AsyncRefreshNeverBlocksTheTrainer) {
  const std::string out = temp_dir("async");
  TrainOptions o = small_run(collection_);
  o.refresh = "async";
  // Every refresh made to last at least 0.3 s, every step 20 ms: a training step that
  // waited for a refresh would spend those 0.3 s in the hand-over, which is timed per step.
  static constexpr double kRefreshDelay = 0.3;
  TrainHooks hooks;
  hooks.on_async_refresh = [](int64_t) { std::this_thread::sleep_for(std::chrono::duration<double>(kRefreshDelay)); };
  hooks.on_step = [](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return true;
  };
  const TrainSummary s = train_dual_encoder(o, out, false, hooks);
  EXPECT_EQ(s.steps_that_waited, 0);
  EXPECT_DOUBLE_EQ(s.refresh_wait_seconds, 0.0);
  ASSERT_GE(s.refreshes.size(), 2u);
  EXPECT_GT(s.refresh_handover_max_seconds, 0.0);
  EXPECT_LT(s.refresh_handover_max_seconds, kRefreshDelay / 2)
      << "a training step spent " << s.refresh_handover_max_seconds << " s on a refresh";
  // And training went on meanwhile: the negatives landed steps after their snapshot (all
  // but the last refresh, which the end of training may have waited for).
  for (size_t i = 0; i + 1 < s.refreshes.size(); ++i)
    EXPECT_GT(s.refreshes[i].swapped_step, s.refreshes[i].snapshot_step) << "refresh " << i;
  EXPECT_FALSE(fs::exists(out + "/training/staged"));
  fs::remove_all(out);
}

TEST_F(TrainItest, EveryNegativeSourceAndInBatchSetting) {
  for (const char* negatives : {"random", "bm25"}) {
    for (bool in_batch : {true, false}) {
      const std::string out = temp_dir(std::string("neg_") + negatives);
      TrainOptions o = small_run(collection_);
      o.negatives = negatives;
      o.in_batch_negatives = in_batch;
      o.num_negatives = 2;
      const TrainSummary s = train_dual_encoder(o, out);
      EXPECT_EQ(s.steps, 60);
      EXPECT_GT(s.test_mrr10, 0.2) << negatives << " in-batch " << in_batch;
      fs::remove_all(out);
    }
  }
}

TEST_F(TrainItest, TransformerFamilyTrains) {
  const std::string out = temp_dir("transformer");
  TrainOptions o = TrainOptions::preset_defaults("transformer", "tiny");
  o.collection = collection_;
  o.steps = 30;
  o.batch_size = 8;
  o.refresh_every = 15;
  o.checkpoint_every = 0;
  o.vocab_size = 400;
  o.doc_max_length = 32;
  o.query_max_length = 16;
  o.learning_rate = 1e-3;
  o.threads = 2;
  o.refresh = "sync";
  o.refresh_precision = "bf16";  // the refresher encodes in bf16; training stays fp32
  o.accumulation = 2;
  o.log_every = 5;
  const TrainSummary s = train_dual_encoder(o, out);
  EXPECT_EQ(s.steps, 30);
  ASSERT_FALSE(s.refreshes.empty());
  for (const auto& e : s.refreshes) EXPECT_TRUE(e.dev_ndcg10 >= 0.0 && e.dev_ndcg10 <= 1.0) << e.dev_ndcg10;
  // The loss falls from the start (ln of the candidates) and the model directory loads.
  const std::string log = read_file(out + "/training/log.jsonl");
  EXPECT_LT(s.final_loss, std::log(16.0 * 2)) << log;
  EXPECT_EQ(load_encoder(out)->family(), "transformer");
  EXPECT_TRUE(fs::exists(out + "/vocab.txt"));
  fs::remove_all(out);
}

TEST_F(TrainItest, StoppedRunResumesToTheSameModel) {
  TrainOptions o = small_run(collection_);
  o.refresh = "sync";
  const std::string whole = temp_dir("whole"), stopped = temp_dir("stopped");
  const TrainSummary a = train_dual_encoder(o, whole);
  TrainHooks hooks;
  hooks.on_step = [](int64_t step) { return step < 33; };  // dies between checkpoints 20 and 40
  const TrainSummary partial = train_dual_encoder(o, stopped, false, hooks);
  EXPECT_EQ(partial.steps, 33);
  EXPECT_FALSE(fs::exists(stopped + "/model.safetensors"));
  // Starting afresh over an existing run is refused; --resume continues it.
  EXPECT_THROW(train_dual_encoder(o, stopped), Error);
  const TrainSummary b = train_dual_encoder(o, stopped, true);
  EXPECT_EQ(b.resumed_from, 20);
  EXPECT_EQ(b.steps, 60);
  EXPECT_EQ(load_encoder(whole + "/training/checkpoints/step-00000060/model")->fingerprint(),
            load_encoder(stopped + "/training/checkpoints/step-00000060/model")->fingerprint());
  EXPECT_DOUBLE_EQ(a.test_mrr10, b.test_mrr10);
  // The log holds each step once.
  const std::string log = read_file(stopped + "/training/log.jsonl");
  size_t count = 0;
  for (size_t at = 0; (at = log.find("\"step\":25}", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 1u) << log;
  fs::remove_all(whole);
  fs::remove_all(stopped);
}

// Old checkpoints are pruned to keep_checkpoints, each one renamed out of the way before it
// is deleted (a kill -9 mid-deletion once left a step directory without its state.json).
TEST_F(TrainItest, PruningKeepsTheNewestWholeCheckpointsAndLeavesNothingBehind) {
  TrainOptions o = small_run(collection_);
  o.refresh = "sync";
  o.keep_checkpoints = 2;
  const std::string out = temp_dir("prune");
  train_dual_encoder(o, out);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out + "/training/checkpoints"))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step-00000040", "step-00000060"}));
  for (const std::string& name : names)
    EXPECT_TRUE(fs::exists(out + "/training/checkpoints/" + name + "/state.json")) << name;
  fs::remove_all(out);
}

TEST_F(TrainItest, ResumeRefusesOtherOptionsAndCorruptCheckpoints) {
  TrainOptions o = small_run(collection_);
  o.refresh = "sync";
  const std::string out = temp_dir("refuse");
  TrainHooks hooks;
  hooks.on_step = [](int64_t step) { return step < 25; };
  train_dual_encoder(o, out, false, hooks);
  TrainOptions other = o;
  other.temperature = 0.5;
  try {
    train_dual_encoder(other, out, true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "temperature")) << e.what();
  }
  // A half-written checkpoint (as a crash inside write_checkpoint leaves) is ignored.
  fs::create_directories(out + "/training/checkpoints/step-00000040.tmp/model");
  const auto latest = train_internal::latest_checkpoint(out + "/training/checkpoints");
  ASSERT_TRUE(latest.has_value());
  EXPECT_TRUE(contains(*latest, "step-00000020"));
  EXPECT_FALSE(fs::exists(out + "/training/checkpoints/step-00000040.tmp"));
  // A flipped byte in the negatives is reported with the file name.
  const std::string negatives = *latest + "/negatives.bin";
  ASSERT_TRUE(fs::exists(negatives));
  std::string bytes = read_file(negatives);
  bytes[bytes.size() / 2] ^= 1;
  write_file_atomic(negatives, bytes);
  try {
    train_dual_encoder(o, out, true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "negatives.bin")) << e.what();
  }
  fs::remove_all(out);
}

// kill -9 of `denser train` at a random moment, then --resume: the run finishes, and every
// checkpoint directory left at any time is complete.
TEST_F(TrainItest, KillNineThenResumeFinishes) {
  const std::string out = temp_dir("kill");
  const std::string args = "train --collection " + collection_ + " --out " + out +
                           " --preset tiny --steps 400 --batch-size 16 --refresh-every 40 --checkpoint-every 25"
                           " --warmup-negative-steps 20 --negative-depth 20 --threads 2";
  std::mt19937_64 rng(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const int delay_ms = 300 + static_cast<int>(rng() % 1500);
  const auto started =
      run_command("(" + std::string(DENSER_BINARY) + " --quiet " + args + " >/dev/null 2>&1 & echo $!)");
  const pid_t pid = static_cast<pid_t>(std::stol(started.output));
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string root = out + "/training/checkpoints";
  if (fs::exists(root))
    for (const auto& entry : fs::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".tmp") != std::string::npos || name.find(".old") != std::string::npos) continue;
      EXPECT_TRUE(fs::exists(entry.path() / "state.json")) << name;
      EXPECT_NO_THROW(train_internal::read_trainer_state(entry.path().string())) << name;
      EXPECT_NO_THROW(load_encoder(entry.path().string() + "/model")) << name;
    }
  const auto resumed = run_denser("--quiet " + args + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << "killed after " << delay_ms << " ms\n" << resumed.output;
  EXPECT_EQ(load_encoder(out)->family(), "ngram");
  EXPECT_TRUE(contains(read_file(out + "/training/log.jsonl"), "\"event\":\"done\""));
  fs::remove_all(out);
}

}  // namespace
}  // namespace denser
