// vlog/set [vswitchd:]LEVEL and vlog/list: the running daemon's log level (ctl/log.hpp), as Open
// vSwitch's `ovs-appctl vlog/set` does. The level is the daemon's, not the database's: it changes
// once the whole chain has committed (a chain that fails leaves it as it was) and a restart goes
// back to
// --log-level.
#include <string>

#include "ctl/commands/handlers.hpp"
#include "ctl/log.hpp"

namespace lvs::ctl {

Status vlog_set(CommandContext& ctx) {
  std::string word = ctx.args[0];
  // SUBSYSTEM:LEVEL as Open vSwitch spells it; the log has one subsystem, vswitchd.
  if (const size_t colon = word.find(':'); colon != std::string::npos) {
    const std::string subsystem = word.substr(0, colon);
    if (subsystem != "vswitchd")
      return invalid_error("vlog/set: unknown subsystem \"" + subsystem +
                           "\" (the log has one: vswitchd)");
    word = word.substr(colon + 1);
  }
  const auto level = parse_log_level(word);
  if (!level)
    return invalid_error("vlog/set: \"" + word +
                         "\" is not a log level (error, warn, info or debug)");
  ctx.print_after_commit([level = *level](const Config&, Runtime*) -> nlohmann::json {
    const std::string line = std::string("log level ") + log_level_word(log_level()) + " -> " +
                             log_level_word(level) + " (vlog/set)";
    // An info line, written under whichever of the two levels shows it.
    if (level >= LogLevel::kInfo) {
      set_log_level(level);
      log_info(line);
    } else {
      log_info(line);
      set_log_level(level);
    }
    return nullptr;
  });
  return std::nullopt;
}

Status vlog_list(CommandContext& ctx) {
  ctx.print_after_commit([](const Config&, Runtime*) -> nlohmann::json {
    return std::string("vswitchd: ") + log_level_word(log_level());
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
