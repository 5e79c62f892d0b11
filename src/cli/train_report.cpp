#include "train_report.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace denser::cli {

void print_train_event(std::string_view json_line) {
  const nlohmann::json j = nlohmann::json::parse(json_line, nullptr, false);
  if (!j.is_object()) return;
  const std::string event = j.value("event", "");
  if (event == "refresh") {
    std::printf(
        "refresh  step %6lld  weights of step %lld (staleness %lld)  encode %.1fs index %.1fs mine %.1fs  "
        "dev MRR@10 %.4f nDCG@10 %.4f  -> %s\n",
        static_cast<long long>(j.value("step", 0LL)), static_cast<long long>(j.value("snapshot_step", 0LL)),
        static_cast<long long>(j.value("staleness", 0LL)), j.value("encode_s", 0.0), j.value("index_s", 0.0),
        j.value("mine_s", 0.0), j.value("dev_mrr10", 0.0), j.value("dev_ndcg10", 0.0),
        j.value("negatives", "").c_str());
  } else if (event == "resume") {
    std::printf("resumed from %s (step %lld)\n", j.value("checkpoint", "").c_str(),
                static_cast<long long>(j.value("step", 0LL)));
  } else if (event == "start") {
    std::printf("training on %lld documents, %lld training queries, %lld dev queries\n",
                static_cast<long long>(j.value("documents", 0LL)),
                static_cast<long long>(j.value("train_queries", 0LL)),
                static_cast<long long>(j.value("dev_queries", 0LL)));
  }
  std::fflush(stdout);
}

void print_train_summary(const TrainOptions& options, const TrainSummary& s) {
  if (s.rank != 0) {
    std::printf("rank %d of %d: trained %lld steps; rank 0 writes the model and the log\n", s.rank, s.world_size,
                static_cast<long long>(s.steps));
    return;
  }
  std::printf("trained %lld steps in %.1f s (%s refresh: %zu refreshes; %lld steps waited for one, %.1f s in all",
              static_cast<long long>(s.steps), s.seconds, options.refresh.c_str(), s.refreshes.size(),
              static_cast<long long>(s.steps_that_waited), s.refresh_wait_seconds);
  if (options.refresh == "async")
    std::printf("; handing snapshots over took %.2f s, at most %.3f s in one step", s.refresh_handover_seconds,
                s.refresh_handover_max_seconds);
  std::printf(")\n");
  std::printf("model %s: the checkpoint of step %lld, dev MRR@10 %.4f nDCG@10 %.4f\n", s.model_dir.c_str(),
              static_cast<long long>(s.best_step), s.dev_mrr10, s.dev_ndcg10);
  if (!options.test_split.empty())
    std::printf("test (%s): MRR@10 %.4f nDCG@10 %.4f\n", options.test_split.c_str(), s.test_mrr10, s.test_ndcg10);
  std::printf("log: %s/training/log.jsonl\n", s.model_dir.c_str());
}

}  // namespace denser::cli
