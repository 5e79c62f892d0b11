#pragma once
// Shared by the benchmark programs under bench/ (header-only): what their JSON says about
// the machine (the CPU, the load, how much CPU time other processes took meanwhile, the
// date), the size of an index directory, and ranked lists compared across runs.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/data/types.h"

namespace denser::bench {

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t begin = line.find_first_not_of(" \t", colon + 1);
    return begin == std::string::npos ? "" : line.substr(begin);
  }
  return "unknown";
}

/// The 1, 5 and 15 minute load averages: the reader of the numbers should know how busy
/// the machine was.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

/// CPU seconds the whole machine spent busy (/proc/stat's first line: user, nice, system,
/// irq, softirq), stolen by the hypervisor (steal), and this process's own (getrusage).
/// busy minus own over the run is what other processes took: on a shared machine that
/// says how much the timings can be trusted.
struct CpuTimes {
  double machine_busy = 0.0;
  double steal = 0.0;
  double self = 0.0;

  static CpuTimes now() {
    CpuTimes t;
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long v[8] = {};
    in >> cpu;
    for (auto& x : v) in >> x;
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    if (cpu == "cpu" && hz > 0) {
      t.machine_busy = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
      t.steal = static_cast<double>(v[7]) / hz;
    }
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    auto secs = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    t.self = secs(usage.ru_utime) + secs(usage.ru_stime);
    return t;
  }

  /// CPU seconds other processes used between `start` and this reading.
  double others_since(const CpuTimes& start) const {
    const double others = (machine_busy - start.machine_busy) - (self - start.self);
    return others > 0.0 ? others : 0.0;
  }
};

inline std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct DirSize {
  uint64_t bytes = 0;       // sum of file sizes
  uint64_t disk_bytes = 0;  // allocated blocks, as du reports
};

/// A file's size, or the sizes of every regular file under a directory.
inline DirSize dir_size(const std::string& path) {
  namespace fs = std::filesystem;
  DirSize size;
  auto add = [&](const fs::path& file) {
    struct stat st {};
    DENSER_CHECK(::stat(file.c_str(), &st) == 0, ErrorCode::kUnavailable, "cannot stat ", file.string());
    size.bytes += static_cast<uint64_t>(st.st_size);
    size.disk_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  };
  if (!fs::is_directory(path)) {
    add(path);
    return size;
  }
  for (const auto& entry : fs::recursive_directory_iterator(path))
    if (entry.is_regular_file()) add(entry.path());
  return size;
}

/// One ranked list per query, best first: what an engine's timed region produces.
using Lists = std::vector<std::vector<RunEntry>>;

/// Same documents, same float scores, same order: repeated runs (any thread count or
/// algorithm) must give exactly this.
inline bool same_lists(const Lists& a, const Lists& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t j = 0; j < a[i].size(); ++j)
      if (a[i][j].doc_id != b[i][j].doc_id || a[i][j].score != b[i][j].score) return false;
  }
  return true;
}

}  // namespace denser::bench
