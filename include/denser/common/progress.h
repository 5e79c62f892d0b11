#pragma once
// Progress reporting for long work (encoding, indexing, training). The library reports
// through this interface and never draws: the application installs a factory (the CLI
// draws a bar on a TTY and stays quiet otherwise). The default factory makes no-ops.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace denser {

/// One task's progress. advance() is thread-safe and cheap (an atomic add).
class Progress {
 public:
  virtual ~Progress() = default;
  /// Adds n units done.
  virtual void advance(uint64_t n) = 0;
  /// Marks the task finished (also done by the destructor of drawing implementations).
  virtual void finish() = 0;
};

/// label: what is being done ("indexing"); total: units expected, 0 when unknown;
/// unit: what is counted ("docs").
using ProgressFactory =
    std::function<std::unique_ptr<Progress>(const std::string& label, uint64_t total, const std::string& unit)>;

/// Installs the factory used by make_progress(); an empty function restores the no-op one.
void set_progress_factory(ProgressFactory factory);
std::unique_ptr<Progress> make_progress(const std::string& label, uint64_t total, const std::string& unit);

/// A progress bar on stderr, redrawn at most 10 times a second; draws nothing when
/// stderr is not a TTY.
std::unique_ptr<Progress> make_terminal_progress(const std::string& label, uint64_t total, const std::string& unit);

}  // namespace denser
