// The trainer's state.json and its refresh events as JSON: no libtorch here, so that the
// checkpoint reader can be fuzzed alone.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "checkpoint.h"

namespace denser::train_internal {

using nlohmann::json;

json refresh_event_json(const RefreshEvent& e) {
  return json{{"snapshot_step", e.snapshot_step}, {"swapped_step", e.swapped_step}, {"encode_s", e.encode_seconds},
              {"index_s", e.index_seconds},       {"mine_s", e.mine_seconds},       {"eval_s", e.eval_seconds},
              {"dev_mrr10", e.dev_mrr10},         {"dev_ndcg10", e.dev_ndcg10}};
}

namespace {

// Typed reads that never convert: nlohmann's get<int64_t>() on a float such as 8.9e99 is
// an out-of-range conversion (undefined behaviour; found by fuzz_checkpoint).
int64_t int_at(const json& j, const char* key, const std::string& where) {
  const json& v = j.at(key);
  DENSER_CHECK(v.is_number_integer(), ErrorCode::kCorrupt, where, ": \"", key, "\" must be an integer, found ",
               v.dump());
  return v.get<int64_t>();
}
uint64_t unsigned_at(const json& j, const char* key, const std::string& where) {
  const json& v = j.at(key);
  DENSER_CHECK(v.is_number_unsigned(), ErrorCode::kCorrupt, where, ": \"", key,
               "\" must be a non-negative integer, found ", v.dump());
  return v.get<uint64_t>();
}
double number_at(const json& j, const char* key, const std::string& where) {
  const json& v = j.at(key);
  DENSER_CHECK(v.is_number(), ErrorCode::kCorrupt, where, ": \"", key, "\" must be a number, found ", v.dump());
  return v.get<double>();
}

RefreshEvent event_from_json(const json& j, const std::string& where) {
  RefreshEvent e;
  e.snapshot_step = int_at(j, "snapshot_step", where);
  e.swapped_step = int_at(j, "swapped_step", where);
  e.encode_seconds = number_at(j, "encode_s", where);
  e.index_seconds = number_at(j, "index_s", where);
  e.mine_seconds = number_at(j, "mine_s", where);
  e.eval_seconds = number_at(j, "eval_s", where);
  e.dev_mrr10 = number_at(j, "dev_mrr10", where);
  e.dev_ndcg10 = number_at(j, "dev_ndcg10", where);
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
  DENSER_CHECK(j.is_object() && j.contains("format") && j["format"] == "denser-train-state", ErrorCode::kCorrupt, where,
               ": not a denser training state file");
  DENSER_CHECK(j.contains("version") && j["version"] == 1, ErrorCode::kCorrupt, where,
               ": unsupported training state version ", j.contains("version") ? j["version"].dump() : "(none)",
               " (expected 1)");
  try {
    TrainerState s;
    s.step = int_at(j, "step", where);
    s.epoch = unsigned_at(j, "epoch", where);
    s.position = unsigned_at(j, "position", where);
    s.rng = j.at("rng").get<std::string>();
    s.best_step = int_at(j, "best_step", where);
    s.best_dev_mrr10 = number_at(j, "best_dev_mrr10", where);
    s.next_refresh_step = int_at(j, "next_refresh_step", where);
    for (const json& e : j.at("refreshes")) s.refreshes.push_back(event_from_json(e, where));
    DENSER_CHECK(j.at("options").is_object(), ErrorCode::kCorrupt, where, ": \"options\" is not an object");
    s.options_json = j.at("options").dump(2) + "\n";
    DENSER_CHECK(s.step >= 0 && s.next_refresh_step >= 0, ErrorCode::kCorrupt, where, ": negative step");
    return s;
  } catch (const json::exception& e) {
    DENSER_THROW(ErrorCode::kCorrupt, where, ": malformed training state: ", e.what());
  }
}

}  // namespace denser::train_internal
