// The trainer's state.json and its refresh events as JSON: no libtorch here, so that the
// checkpoint reader can be fuzzed alone.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "train/checkpoint.h"

namespace denser::train_internal {

using nlohmann::json;

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
  const json j = json::parse(text, nullptr, false);
  DENSER_CHECK(j.is_object() && j.contains("format") && j["format"] == "denser-train-state", where,
               ": not a denser training state file");
  DENSER_CHECK(j.contains("version") && j["version"] == 1, where, ": unsupported training state version ",
               j.contains("version") ? j["version"].dump() : "(none)", " (expected 1)");
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
    DENSER_CHECK(j.at("options").is_object(), where, ": \"options\" is not an object");
    s.options_json = j.at("options").dump(2) + "\n";
    DENSER_CHECK(s.step >= 0 && s.next_refresh_step >= 0, where, ": negative step");
    return s;
  } catch (const json::exception& e) {
    DENSER_THROW(where, ": malformed training state: ", e.what());
  }
}

}  // namespace denser::train_internal
