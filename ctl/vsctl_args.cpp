#include "ctl/vsctl_args.hpp"

#include "ctl/command_table.hpp"
#include "ctl/control_client.hpp"

namespace lvs::ctl {
namespace {

Error syntax(std::string m) { return make_error(kErrSyntax, std::move(m)); }

// What the Database commands' columns hold (the table has the commands, not the columns).
constexpr const char* kColumnsHelp = R"(
  Bridge columns: other_config:mac-aging-time=15..3600 (default 300),
                  other_config:mac-table-size=16..4194304 (default 8192),
                  other_config:forward-bpdu=true|false (default false), external_ids:KEY
  Port columns:   tag=0..4095, trunks=10,20 (empty: all VLANs),
                  vlan_mode=access|trunk|native-tagged|native-untagged
                  (default: access with a tag, trunk without), admin_state=up|down,
                  external_ids:KEY, storm control in frames/s (unset: unlimited, 0: none):
                  other_config:storm-broadcast-pps=N, other_config:storm-multicast-pps=N,
                  other_config:storm-unknown-unicast-pps=N (drops: statistics drop_storm_*)
                  egress limit of what the switch sends out of the port:
                  other_config:egress-rate-kbps=N (kbit/s), other_config:egress-burst-kb=N
                  (kbit; default 8000 or 80% of a second's rate) (drops: drop_egress_shaped)
  Interface columns: type=system|internal|dpdk|vxlan|gre|..., options:KEY (dpdk-devargs,
                  remote_ip, local_ip, key, ...), external_ids:KEY, admin_state,
                  mtu_request=68..65535, ingress policing of what the interface receives:
                  ingress_policing_rate=N (kbit/s, 0: off), ingress_policing_burst=N (kbit,
                  0: the default) (drops: drop_ingress_policed); read-only: error, link_state, mtu, mac_in_use,
                  statistics (rx/tx packets and bytes, drops by reason)
  Open_vSwitch (one record, "."): other_config:pmd-sleep=off|adaptive (default adaptive:
                  an idle PMD thread sleeps until traffic comes; off: it polls all the time),
                  other_config:pmd-quiet-us=10..1000000 (default 300: idle time before a PMD
                  sleeps); read-only: bridges
)";

// One line (or a block) per row of the command table, grouped under its section.
std::string commands_help() {
  constexpr size_t kUsageWidth = 31;
  std::string out;
  std::string_view section;
  for (const CommandSpec& spec : command_table()) {
    if (spec.section != section) {
      if (section.find("Database") == 0) out += kColumnsHelp;
      section = spec.section;
      out += "\n" + std::string(section) + ":\n";
    }
    std::string usage = "  " + std::string(spec.name);
    if (!spec.usage.empty()) usage += " " + std::string(spec.usage);
    if (usage.size() < kUsageWidth + 2)
      usage += std::string(kUsageWidth + 2 - usage.size(), ' ');
    else
      usage += "\n" + std::string(kUsageWidth + 2, ' ');
    std::string_view help = spec.help;
    for (size_t newline; (newline = help.find('\n')) != std::string_view::npos;) {
      usage += std::string(help.substr(0, newline)) + "\n" + std::string(kUsageWidth + 2, ' ');
      help.remove_prefix(newline + 1);
    }
    out += usage + std::string(help) + "\n";
  }
  return out;
}

}  // namespace

Result<VsctlArgs> parse_vsctl_args(const std::vector<std::string>& args) {
  VsctlArgs out;
  out.socket = kDefaultSocket;
  size_t i = 0;
  // Global options end at the first word that is not one of them; other --options (like
  // --may-exist) belong to the first command.
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    auto value_of = [&](const std::string& opt, std::string& value) -> Status {
      if (w.rfind(opt + "=", 0) == 0) {
        value = w.substr(opt.size() + 1);
        return std::nullopt;
      }
      if (i + 1 >= args.size()) return syntax(opt + ": missing value");
      value = args[++i];
      return std::nullopt;
    };
    std::string v;
    if (w == "-h" || w == "--help") {
      out.help = true;
    } else if (w == "-V" || w == "--version") {
      out.version = true;
    } else if (w == "--commands") {
      out.list_commands = true;
    } else if (w == "--socket" || w.rfind("--socket=", 0) == 0) {
      if (auto e = value_of("--socket", v)) return *e;
      out.socket = v;
    } else if (w == "-f" || w == "--format" || w.rfind("--format=", 0) == 0) {
      if (w == "-f") {
        if (i + 1 >= args.size()) return syntax("-f: missing value");
        v = args[++i];
      } else if (auto e = value_of("--format", v)) {
        return *e;
      }
      if (v == "table") out.format = Format::kTable;
      else if (v == "json") out.format = Format::kJson;
      else return syntax("--format: \"" + v + "\" is not table or json");
    } else if (w == "-t" || w == "--timeout" || w.rfind("--timeout=", 0) == 0) {
      if (w == "-t") {
        if (i + 1 >= args.size()) return syntax("-t: missing value");
        v = args[++i];
      } else if (auto e = value_of("--timeout", v)) {
        return *e;
      }
      auto n = parse_int(v, 0, 86400);
      if (!n) return syntax("--timeout: \"" + v + "\" is not a number of seconds");
      out.timeout_s = static_cast<int>(*n);
    } else {
      break;
    }
  }
  out.chain = split_chain(std::vector<std::string>(args.begin() + static_cast<long>(i), args.end()));
  for (const auto& seg : out.chain) {
    auto c = parse_command(seg);
    if (!c) return c.error();
    out.commands.push_back(std::move(*c));
  }
  if (out.commands.empty() && !out.help && !out.version && !out.list_commands)
    return syntax("missing command name (use --help for help)");
  return out;
}

std::string vsctl_help() {
  std::string help = R"(vsctl: Lite vSwitch configuration utility
usage: vsctl [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...

Commands joined by "--" run as ONE transaction: all of them apply or none does.
)";
  help += commands_help();
  help += R"(
Options:
  --socket=PATH                  control socket (default /run/lite-vswitch/vswitchd.sock)
  -f, --format=table|json        output format of listings (default table)
  -t, --timeout=SECS             give up after SECS seconds (default 0: wait forever)
  --may-exist, --if-exists       per-command options, given before the command name
  --commands                     print the command names (for shell completion)
  -h, --help                     print this help
  -V, --version                  print the version

Exit status: 0 on success, 1 on error (one line naming the bad word on stderr; nothing changes),
2 when br-exists finds no such bridge.

Examples:
  vsctl add-br br1 -- set bridge br1 other_config:mac-aging-time=60
  vsctl add-port br1 p1 type=dpdk options:dpdk-devargs=net_null0 tag=100
  vsctl add-port br1 gre0 -- set interface gre0 type=gre options:remote_ip=192.0.2.2
  vsctl set port p1 trunks=100,200 vlan_mode=native-untagged
  vsctl set port p1 other_config:storm-broadcast-pps=1000
  vsctl set interface p1 ingress_policing_rate=10000 -- set port p1 other_config:egress-rate-kbps=10000
  vsctl set Open_vSwitch . other_config:pmd-sleep=off
  vsctl --format json fdb/show br1
)";
  return help;
}

}  // namespace lvs::ctl
