#pragma once
// The daemon's log: one line per event, "2024-05-01T10:00:00.123Z|vswitchd|info|message", to
// stderr or a file. The level can change while the daemon runs (vsctl vlog/set): it is one atomic
// that every log() call reads.
#include <optional>
#include <string>

namespace lvs::ctl {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

std::optional<LogLevel> parse_log_level(const std::string& word);
// The words vsctl and the log print: "error", "warn", "info", "debug".
const char* log_level_word(LogLevel level);
// The level now, and a new one from now on (vlog/set).
LogLevel log_level();
void set_log_level(LogLevel level);
// Empty path: stderr. Returns false when the file cannot be opened.
bool log_open(const std::string& path, LogLevel level);
void log(LogLevel level, const std::string& message);
inline void log_error(const std::string& m) { log(LogLevel::kError, m); }
inline void log_warn(const std::string& m) { log(LogLevel::kWarn, m); }
inline void log_info(const std::string& m) { log(LogLevel::kInfo, m); }
inline void log_debug(const std::string& m) { log(LogLevel::kDebug, m); }

}  // namespace lvs::ctl
