#pragma once
// Training checkpoints (docs/formats/checkpoint.md): a directory step-NNNNNNNN holding
// the model directory, the optimizer state, the trainer state (step, data cursor, RNG,
// refresh history) and the ANCE negatives in use. It is written as step-N.tmp, every file
// fsynced, then renamed into place: a crash leaves either the whole checkpoint or none.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "denser/encode/encoder.h"
#include "denser/train/train.h"
#include "negatives.h"

namespace denser::train_internal {

/// The trainer's own state beside the weights and the optimizer.
struct TrainerState {
  int64_t step = 0;       // optimizer steps done
  uint64_t epoch = 0;     // data order: pass over the training queries
  uint64_t position = 0;  // next query of the pass
  std::string rng;        // std::mt19937_64 state (text) of negative sampling
  int64_t best_step = -1;
  double best_dev_mrr10 = -1.0;
  int64_t next_refresh_step = 0;
  std::vector<RefreshEvent> refreshes;
  std::string options_json;  // the run's options, to refuse resuming with other ones

  std::string to_json() const;
  static TrainerState from_json(std::string_view text, const std::string& where);
};

/// A refresh event's fields, as the training log and state.json store them.
nlohmann::json refresh_event_json(const RefreshEvent& e);

class AdamW;

/// Writes root/step-NNNNNNNN atomically; then removes all but the newest `keep`.
/// pool: the ANCE negatives in use (nullptr when none).
void write_checkpoint(const std::string& root, const TrainerState& state, const Encoder& model, const AdamW& optimizer,
                      const CandidatePool* pool, int keep);

/// The newest complete checkpoint under root (half-written step-*.tmp directories are
/// ignored and removed), or nothing.
std::optional<std::string> latest_checkpoint(const std::string& root);

/// Reads a checkpoint's state.json and negatives.bin (when present).
TrainerState read_trainer_state(const std::string& dir);
std::optional<CandidatePool> read_checkpoint_pool(const std::string& dir);

/// Writes `encoder`'s model directory at dir atomically (dir.tmp, then rename).
void write_model_dir_atomic(const Encoder& encoder, const std::string& dir);
/// Moves the complete directory `from` (on the same file system) over `dir`: the old one is
/// renamed aside first and removed after, so a crash leaves one complete copy. A rename,
/// no copy (how write_model_dir_atomic and checkpoints land, and a staged snapshot).
void move_dir_atomic(const std::string& from, const std::string& dir);

}  // namespace denser::train_internal
