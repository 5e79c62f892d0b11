#pragma once
// What `denser train` and `denser demo` print while training and at the end.
#include <string_view>

#include "denser/train/train.h"

namespace denser::cli {

/// Prints refresh, checkpoint and resume events of the training log as one line each.
void print_train_event(std::string_view json_line);
/// The run's outcome: steps, time, waits, the chosen checkpoint and its scores.
void print_train_summary(const TrainOptions& options, const TrainSummary& summary);

}  // namespace denser::cli
