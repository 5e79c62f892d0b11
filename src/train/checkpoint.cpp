#include "checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/encode/encoder.h"
#include "optimizer.h"

namespace denser::train_internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string step_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
  return name;
}

bool is_step_dir(const std::string& name) {
  return name.size() == 13 && name.rfind("step-", 0) == 0 &&
         std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Writes a directory through fill(tmp) then renames it over `dir`: the old directory (if
// any) is moved aside first and removed after, so a crash leaves one complete copy.
template <typename Fill>
void write_dir_atomic(const std::string& dir, Fill&& fill) {
  const std::string tmp = dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, tmp, ": cannot create directory: ", ec.message());
  fill(tmp);
  fsync_directory(tmp);
  move_dir_atomic(tmp, dir);
}

}  // namespace

void move_dir_atomic(const std::string& from, const std::string& dir) {
  std::error_code ec;
  const std::string old = dir + ".old";
  fs::remove_all(old, ec);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(from, dir, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, dir, ": cannot move ", from, " into place: ", ec.message());
  fsync_directory(fs::path(dir).parent_path().string());
  fs::remove_all(old, ec);
}

void write_model_dir_atomic(const Encoder& encoder, const std::string& dir) {
  write_dir_atomic(dir, [&](const std::string& tmp) { encoder.save(tmp); });
}

void write_checkpoint(const std::string& root, const TrainerState& state, const Encoder& model, const AdamW& optimizer,
                      const CandidatePool* pool, int keep) {
  std::error_code ec;
  fs::create_directories(root, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, root, ": cannot create the checkpoint directory: ", ec.message());
  write_dir_atomic(root + "/" + step_name(state.step), [&](const std::string& tmp) {
    model.save(tmp + "/model");
    fsync_directory(tmp + "/model");
    optimizer.save(tmp + "/optimizer.pt");
    if (pool) write_file_atomic(tmp + "/negatives.bin", pool->serialize());
    write_file_atomic(tmp + "/state.json", state.to_json());  // last: a checkpoint with it is whole
  });
  std::vector<std::string> steps;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory() && is_step_dir(entry.path().filename().string()))
      steps.push_back(entry.path().filename().string());
  std::sort(steps.begin(), steps.end());
  // Renamed out of the way first (atomic), then deleted: a kill -9 during the deletion must
  // not leave a step directory that looks like a checkpoint but is missing files. A
  // leftover ".old" directory is removed by the next resume (latest_checkpoint).
  for (size_t i = 0; i + static_cast<size_t>(keep) < steps.size(); ++i) {
    const std::string dir = root + "/" + steps[i], doomed = dir + ".old";
    fs::remove_all(doomed, ec);
    fs::rename(dir, doomed, ec);
    fs::remove_all(ec ? dir : doomed, ec);
  }
}

std::optional<std::string> latest_checkpoint(const std::string& root) {
  if (!fs::is_directory(root)) return std::nullopt;
  std::vector<std::string> steps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory()) continue;
    if (is_step_dir(name) && fs::exists(entry.path() / "state.json")) {
      steps.push_back(name);
    } else if (name.rfind("step-", 0) == 0) {
      DENSER_LOG_WARN("removing incomplete checkpoint ", entry.path().string());
      fs::remove_all(entry.path(), ec);
    }
  }
  if (steps.empty()) return std::nullopt;
  std::sort(steps.begin(), steps.end());
  return root + "/" + steps.back();
}

TrainerState read_trainer_state(const std::string& dir) {
  return TrainerState::from_json(read_file(dir + "/state.json"), dir + "/state.json");
}

std::optional<CandidatePool> read_checkpoint_pool(const std::string& dir) {
  const std::string path = dir + "/negatives.bin";
  if (!file_exists(path)) return std::nullopt;
  return CandidatePool::deserialize(read_file(path), path);
}

}  // namespace denser::train_internal
