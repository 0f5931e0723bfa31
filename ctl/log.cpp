#include "ctl/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace lvs::ctl {
namespace {

std::mutex g_mutex;
FILE* g_file = nullptr;
std::atomic<LogLevel> g_level = LogLevel::kInfo;

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "err";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "dbg";
  }
  return "?";
}

}  // namespace

const char* log_level_word(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "?";
}

LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }
void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

std::optional<LogLevel> parse_log_level(const std::string& w) {
  if (w == "error" || w == "err") return LogLevel::kError;
  if (w == "warn" || w == "warning") return LogLevel::kWarn;
  if (w == "info") return LogLevel::kInfo;
  if (w == "debug" || w == "dbg") return LogLevel::kDebug;
  return std::nullopt;
}

bool log_open(const std::string& path, LogLevel level) {
  std::lock_guard lock(g_mutex);
  set_log_level(level);
  if (path.empty()) return true;
  FILE* f = std::fopen(path.c_str(), "ae");
  if (!f) return false;
  if (g_file) std::fclose(g_file);
  g_file = f;
  return true;
}

void log(LogLevel level, const std::string& message) {
  if (level > log_level()) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(g_mutex);
  FILE* out = g_file ? g_file : stderr;
  std::fprintf(out, "%s.%03dZ|vswitchd|%s|%s\n", stamp, static_cast<int>(ms), level_name(level), message.c_str());
  std::fflush(out);
}

}  // namespace lvs::ctl
