#pragma once
// vsctl's command line: global options first, then commands separated by "--", each with its
// own options (--may-exist, --if-exists), as ovs-vsctl reads them.
#include <string>
#include <vector>

#include "ctl/commands.hpp"
#include "ctl/output_format.hpp"

namespace lvs::ctl {

struct VsctlArgs {
  std::string socket;
  Format format = Format::kTable;
  int timeout_s = 0;  // 0: wait forever
  bool help = false;
  bool version = false;
  bool list_commands = false;  // --commands: the command table's names, one a line
  std::vector<Words> chain;      // as sent to the daemon
  std::vector<Command> commands; // parsed, for output formatting
};

// `args` excludes argv[0]. Errors name the bad word.
Result<VsctlArgs> parse_vsctl_args(const std::vector<std::string>& args);

std::string vsctl_help();

}  // namespace lvs::ctl
