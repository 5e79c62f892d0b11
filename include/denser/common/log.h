#pragma once
// The library never prints: it logs through a sink the application installs.
// The default sink writes "[level] message" to stderr for warnings and errors only.
#include <functional>
#include <string>
#include <string_view>

#include "denser/common/error.h"

namespace denser {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Replaces the sink (thread-safe); an empty function restores the default.
void set_log_sink(LogSink sink);
/// Messages below this level are dropped before formatting reaches the sink.
void set_log_level(LogLevel level);
LogLevel log_level();
void log_message(LogLevel level, std::string_view message);

}  // namespace denser

#define DENSER_LOG(level, ...)                                              \
  do {                                                                      \
    if (static_cast<int>(level) >= static_cast<int>(::denser::log_level())) \
      ::denser::log_message(level, ::denser::str(__VA_ARGS__));             \
  } while (0)
#define DENSER_LOG_DEBUG(...) DENSER_LOG(::denser::LogLevel::kDebug, __VA_ARGS__)
#define DENSER_LOG_INFO(...) DENSER_LOG(::denser::LogLevel::kInfo, __VA_ARGS__)
#define DENSER_LOG_WARN(...) DENSER_LOG(::denser::LogLevel::kWarning, __VA_ARGS__)
