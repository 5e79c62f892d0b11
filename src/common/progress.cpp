#include "denser/common/progress.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace denser {
namespace {

class NullProgress final : public Progress {
 public:
  void advance(uint64_t) override {}
  void finish() override {}
};

class TerminalProgress final : public Progress {
 public:
  TerminalProgress(std::string label, uint64_t total, std::string unit)
      : label_(std::move(label)), unit_(std::move(unit)), total_(total), start_(Clock::now()) {}
  ~TerminalProgress() override { finish(); }

  void advance(uint64_t n) override {
    done_.fetch_add(n, std::memory_order_relaxed);
    auto now = Clock::now();
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
    int64_t last = last_draw_ms_.load(std::memory_order_relaxed);
    if (now_ms - last >= 100 && last_draw_ms_.compare_exchange_strong(last, now_ms)) draw(false);
  }

  void finish() override {
    bool expected = false;
    if (finished_.compare_exchange_strong(expected, true)) draw(true);
  }

 private:
  using Clock = std::chrono::steady_clock;

  void draw(bool final_line) {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t done = done_.load();
    double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    double rate = secs > 0 ? done / secs : 0.0;
    if (total_ > 0) {
      double frac = std::min(1.0, static_cast<double>(done) / total_);
      int filled = static_cast<int>(frac * 30);
      char bar[31];
      for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '-';
      bar[30] = 0;
      double eta = rate > 0 && done < total_ ? (total_ - done) / rate : 0.0;
      std::fprintf(stderr, "\r%-14s [%s] %5.1f%% %llu/%llu %s  %.0f %s/s  eta %.0fs   ", label_.c_str(), bar,
                   frac * 100, static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                   unit_.c_str(), rate, unit_.c_str(), eta);
    } else {
      std::fprintf(stderr, "\r%-14s %llu %s  %.0f %s/s  %.1fs   ", label_.c_str(),
                   static_cast<unsigned long long>(done), unit_.c_str(), rate, unit_.c_str(), secs);
    }
    if (final_line) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

  std::string label_;
  std::string unit_;
  uint64_t total_;
  Clock::time_point start_;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> last_draw_ms_{-1000};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
};

std::mutex& factory_mutex() {
  static std::mutex m;
  return m;
}
ProgressFactory& factory() {
  static ProgressFactory f;
  return f;
}

}  // namespace

void set_progress_factory(ProgressFactory f) {
  std::lock_guard<std::mutex> lock(factory_mutex());
  factory() = std::move(f);
}

std::unique_ptr<Progress> make_progress(const std::string& label, uint64_t total, const std::string& unit) {
  ProgressFactory f;
  {
    std::lock_guard<std::mutex> lock(factory_mutex());
    f = factory();
  }
  if (f) return f(label, total, unit);
  return std::make_unique<NullProgress>();
}

std::unique_ptr<Progress> make_terminal_progress(const std::string& label, uint64_t total, const std::string& unit) {
  if (!::isatty(STDERR_FILENO)) return std::make_unique<NullProgress>();
  return std::make_unique<TerminalProgress>(label, total, unit);
}

}  // namespace denser
