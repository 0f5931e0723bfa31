#pragma once
// vsctl's command language, executed by the daemon: a chain of commands (the words between
// "--" separators) runs against a copy of the configuration as ONE transaction. The first
// failing command aborts the chain and the copy is thrown away, so nothing changes.
//
// Reads that need the running switch (show, list, fdb/show, statistics) and actions on it
// (fdb/flush) are deferred: finish() runs them after the transaction is committed, so they see
// what the chain did. The commands themselves are rows of command_table.hpp; this is the generic
// engine that parses, checks and dispatches them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/command_table.hpp"
#include "ctl/config.hpp"
#include "ctl/error.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

// One command: its options (--may-exist, --if-exists), its name, its arguments.
struct Command {
  std::vector<std::string> options;
  std::string name;
  Words args;
  const CommandSpec* spec = nullptr;  // its row in command_table()
};

// Splits one segment ("--may-exist add-br br0") into a Command; checks the name, the options
// and the number of arguments.
Result<Command> parse_command(const Words& segment);
// Splits a whole argument list at "--" separators (empty segments are skipped).
std::vector<Words> split_chain(const Words& words);

// Names of every command, in table order (for --help and completion).
std::vector<std::string> command_names();
// True for commands that only read: vsctl may send them without expecting a change.
bool is_read_only(const std::string& name);

class Engine {
 public:
  // `runtime` may be null: runtime views are then empty and fdb actions are no-ops.
  Engine(Config& config, Runtime* runtime) : config_(config), runtime_(runtime) {}

  // Runs every command of the chain against the configuration. Stops at the first error.
  Status run(const std::vector<Words>& chain);
  // After the commit: runs deferred reads and actions, fills outputs().
  void finish();
  // One JSON value per command (null when it prints nothing).
  const std::vector<nlohmann::json>& outputs() const { return outputs_; }

 private:
  Config& config_;
  Runtime* runtime_;
  std::vector<nlohmann::json> outputs_;
  // (output slot, read): what runs after the commit.
  std::vector<std::pair<size_t, CommandContext::AfterCommit>> deferred_;
};

// Whole-record views used by show/list (exposed for tests).
nlohmann::json show_json(const Config& config, const Runtime* runtime);

}  // namespace lvs::ctl
