#pragma once
// vsctl's commands as ONE table (Open vSwitch's `vsctl_commands[]`): each row names a command,
// its arity, its options, whether it only reads, its usage and help line, how vsctl prints its
// output, and the handler that runs it. The engine (commands.hpp) parses, checks arity and
// options and dispatches from the table; --help and --commands (bash completion) come from it.
// A new command is one row in command_table.cpp and its handler in ctl/commands/.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/error.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

using Words = std::vector<std::string>;

// What a handler sees: the transaction's copy of the configuration, the running switch (may be
// null: views are then empty and actions no-ops), its arguments and options, and where its
// output goes.
class CommandContext {
 public:
  using AfterCommit = std::function<nlohmann::json(const Config& committed, Runtime* runtime)>;

  CommandContext(Config& config, Runtime* runtime, const Words& args, const Words& options,
                 nlohmann::json& output, std::vector<AfterCommit>& after_commit)
      : config(config),
        runtime(runtime),
        args(args),
        options_(options),
        output_(output),
        after_commit_(after_commit) {}

  Config& config;
  Runtime* runtime;
  const Words& args;

  bool has_option(std::string_view option) const;
  // This command's output (printed by vsctl as the row's output kind says).
  void print(nlohmann::json value) { output_ = std::move(value); }
  // Reads (or acts on) the running switch once the whole chain has committed, so that it sees
  // what the chain did; what `read` returns becomes the output.
  void print_after_commit(AfterCommit read) { after_commit_.push_back(std::move(read)); }

 private:
  const Words& options_;
  nlohmann::json& output_;
  std::vector<AfterCommit>& after_commit_;
};

using CommandHandler = Status (*)(CommandContext& context);

// How vsctl prints a command's output in table format (output_format.cpp).
enum class OutputKind : uint8_t {
  kNone,      // prints nothing
  kNames,     // one name a line
  kString,    // one line
  kValues,    // one OVS datum a line (get)
  kRecords,   // "column : value" blocks (list)
  kShow,      // the bridge / port / interface tree
  kFdb,       // the MAC table
  kFdbStats,  // MAC table statistics
  kPmd,       // PMD threads' statistics
  kJson,      // the JSON value on one line (ipam/)
  kTrace,     // a packet trace, stage by stage (trace_format.hpp)
  kRstp,      // rstp/show: each bridge's tree and its ports
  kOffload,   // dpif/offload-show
  kCluster,   // cluster/show: members, tunnels, remote endpoints (cluster/cluster_format.hpp)
};

inline constexpr size_t kAnyNumber = SIZE_MAX;

struct CommandSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;           // kAnyNumber: no limit
  std::string_view options;  // the options it accepts, space separated: "--may-exist"
  bool read_only;
  std::string_view section;  // the --help heading it is listed under
  std::string_view usage;    // arguments, for --help
  std::string_view help;     // what it does, for --help ('\n' continues the text)
  OutputKind output;
  CommandHandler handler;
};

// Every command, in --help order.
std::span<const CommandSpec> command_table();
// The row of `name`, or null.
const CommandSpec* find_command(std::string_view name);
// True when `option` is one of the row's options.
bool accepts_option(const CommandSpec& spec, std::string_view option);

// The errors handlers return (error.hpp codes).
inline Error syntax_error(std::string message) {
  return make_error(kErrSyntax, std::move(message));
}
inline Error invalid_error(std::string message) {
  return make_error(kErrInvalid, std::move(message));
}
inline Error not_found_error(std::string message) {
  return make_error(kErrNotFound, std::move(message));
}

}  // namespace lvs::ctl
