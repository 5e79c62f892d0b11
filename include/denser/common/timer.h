#pragma once
// Wall-clock timing for results' counters, progress lines and benchmarks.
#include <chrono>

namespace denser {

/// Seconds elapsed since `start` on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace denser
