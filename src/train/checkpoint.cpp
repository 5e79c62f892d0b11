#include "train/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/encode/encoder.h"
#include "train/optimizer.h"

namespace denser::train_internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

}  // namespace

json refresh_event_json(const RefreshEvent& e) {
  return json{{"snapshot_step", e.snapshot_step}, {"swapped_step", e.swapped_step},
              {"encode_s", e.encode_seconds},     {"index_s", e.index_seconds},
              {"mine_s", e.mine_seconds},         {"eval_s", e.eval_seconds},
              {"dev_mrr10", e.dev_mrr10},         {"dev_ndcg10", e.dev_ndcg10}};
}

namespace {

RefreshEvent event_from_json(const json& j) {
  RefreshEvent e;
  e.snapshot_step = j.at("snapshot_step").get<int64_t>();
  e.swapped_step = j.at("swapped_step").get<int64_t>();
  e.encode_seconds = j.at("encode_s").get<double>();
  e.index_seconds = j.at("index_s").get<double>();
  e.mine_seconds = j.at("mine_s").get<double>();
  e.eval_seconds = j.at("eval_s").get<double>();
  e.dev_mrr10 = j.at("dev_mrr10").get<double>();
  e.dev_ndcg10 = j.at("dev_ndcg10").get<double>();
  return e;
}

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
  DENSER_CHECK(!ec, tmp, ": cannot create directory: ", ec.message());
  fill(tmp);
  fsync_directory(tmp);
  const std::string old = dir + ".old";
  fs::remove_all(old, ec);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir, ec);
  DENSER_CHECK(!ec, dir, ": cannot rename ", tmp, " into place: ", ec.message());
  fsync_directory(fs::path(dir).parent_path().string());
  fs::remove_all(old, ec);
}

}  // namespace

std::string TrainerState::to_json() const {
  json events = json::array();
  for (const RefreshEvent& e : refreshes) events.push_back(refresh_event_json(e));
  json j{{"format", "denser-train-state"},
         {"version", 1},
         {"step", step},
         {"epoch", epoch},
         {"position", position},
         {"rng", rng},
         {"best_step", best_step},
         {"best_dev_mrr10", best_dev_mrr10},
         {"next_refresh_step", next_refresh_step},
         {"refreshes", events},
         {"options", json::parse(options_json)}};
  return j.dump(2) + "\n";
}

TrainerState TrainerState::from_json(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  DENSER_CHECK(j.is_object() && j.value("format", "") == "denser-train-state", where,
               ": not a denser training state file");
  DENSER_CHECK(j.value("version", 0) == 1, where, ": unsupported training state version ", j.value("version", 0));
  try {
    TrainerState s;
    s.step = j.at("step").get<int64_t>();
    s.epoch = j.at("epoch").get<uint64_t>();
    s.position = j.at("position").get<uint64_t>();
    s.rng = j.at("rng").get<std::string>();
    s.best_step = j.at("best_step").get<int64_t>();
    s.best_dev_mrr10 = j.at("best_dev_mrr10").get<double>();
    s.next_refresh_step = j.at("next_refresh_step").get<int64_t>();
    for (const json& e : j.at("refreshes")) s.refreshes.push_back(event_from_json(e));
    s.options_json = j.at("options").dump(2) + "\n";
    return s;
  } catch (const json::exception& e) {
    DENSER_THROW(where, ": malformed training state: ", e.what());
  }
}

void write_model_dir_atomic(const Encoder& encoder, const std::string& dir) {
  write_dir_atomic(dir, [&](const std::string& tmp) { encoder.save(tmp); });
}

void write_checkpoint(const std::string& root, const TrainerState& state, const Encoder& model,
                      const AdamW& optimizer, const CandidatePool* pool, int keep) {
  std::error_code ec;
  fs::create_directories(root, ec);
  DENSER_CHECK(!ec, root, ": cannot create the checkpoint directory: ", ec.message());
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
