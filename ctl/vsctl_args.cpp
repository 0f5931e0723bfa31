#include "ctl/vsctl_args.hpp"

#include "ctl/control_client.hpp"

namespace lvs::ctl {
namespace {

Error syntax(std::string m) { return make_error(kErrSyntax, std::move(m)); }

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
  if (out.commands.empty() && !out.help && !out.version)
    return syntax("missing command name (use --help for help)");
  return out;
}

std::string vsctl_help() {
  return R"(vsctl: Lite vSwitch configuration utility
usage: vsctl [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...

Commands joined by "--" run as ONE transaction: all of them apply or none does.

Bridge commands:
  add-br BRIDGE                  create a new bridge (--may-exist: no error if it exists)
  del-br BRIDGE                  delete BRIDGE and all of its ports (--if-exists)
  list-br                        print the names of all bridges
  br-exists BRIDGE               exit 2 if BRIDGE does not exist

Port commands:
  add-port BRIDGE PORT [COLUMN[:KEY]=VALUE]...
                                 add PORT to BRIDGE (--may-exist). Without type= the port
                                 attaches the existing kernel interface PORT (type system).
                                 Columns of Port and Interface may be given here.
  del-port [BRIDGE] PORT         delete PORT (from BRIDGE) (--if-exists)
  list-ports BRIDGE              print the names of all ports on BRIDGE
  port-to-br PORT                print the name of the bridge that contains PORT

Database commands (TABLE: Bridge, Port, Interface, Open_vSwitch; RECORD: its name, "." for
  Open_vSwitch):
  list TABLE [RECORD]...         list records (Interface rows include statistics)
  get TABLE RECORD COLUMN[:KEY]...          print values (--if-exists)
  set TABLE RECORD COLUMN[:KEY]=VALUE...    set values (--if-exists)
  remove TABLE RECORD COLUMN KEY|VALUE...   remove keys or values from a column
  clear TABLE RECORD COLUMN...              empty or unset columns

  Bridge columns: other_config:mac-aging-time=15..3600 (default 300),
                  other_config:mac-table-size=16..4194304 (default 8192),
                  other_config:forward-bpdu=true|false (default false), external_ids:KEY
  Port columns:   tag=0..4095, trunks=10,20 (empty: all VLANs),
                  vlan_mode=access|trunk|native-tagged|native-untagged
                  (default: access with a tag, trunk without), admin_state=up|down,
                  external_ids:KEY, storm control in frames/s (unset: unlimited, 0: none):
                  other_config:storm-broadcast-pps=N, other_config:storm-multicast-pps=N,
                  other_config:storm-unknown-unicast-pps=N (drops: statistics drop_storm_*)
  Interface columns: type=system|internal|dpdk|vxlan|gre|..., options:KEY (dpdk-devargs,
                  remote_ip, local_ip, key, ...), external_ids:KEY, admin_state,
                  mtu_request=68..65535; read-only: error, link_state, mtu, mac_in_use,
                  statistics (rx/tx packets and bytes, drops by reason)
  Open_vSwitch (one record, "."): other_config:pmd-sleep=off|adaptive (default adaptive:
                  an idle PMD thread sleeps until traffic comes; off: it polls all the time),
                  other_config:pmd-quiet-us=10..1000000 (default 300: idle time before a PMD
                  sleeps); read-only: bridges

Show commands:
  show                           print an overview of the configuration and port errors

FDB and datapath commands:
  fdb/show BRIDGE                MAC table: port, VLAN, MAC, age (static entries: "static")
  fdb/flush [BRIDGE]             forget learnt MACs (all bridges without BRIDGE)
  fdb/add BRIDGE PORT VLAN MAC   add a static entry (kept across restarts)
  fdb/del BRIDGE VLAN MAC        delete a static or learnt entry
  fdb/stats-show BRIDGE          MAC table statistics
  dpif/pmd-stats-show            PMD threads: rx queues, packets, cycles per packet, busy,
                                 idle and sleep shares of their cycles, wake-ups

IPAM commands (the switch hands out addresses; leases are kept in the database):
  ipam/alloc POOL OWNER [ADDRESS|auto [MAC]]
                                 lease an address of POOL to OWNER (the same OWNER gets its
                                 lease again); prints {"pool","address":"A/P","gateway","mac"}
                                 (MAC: docker0's 02:42 + the address unless given)
  ipam/release POOL OWNER        return OWNER's lease (--if-exists)
  ipam/show [POOL]               pools and their leases
  ipam/add-pool POOL SUBNET [GATEWAY]
                                 a pool of its own (--may-exist); a bridge whose internal port
                                 has options:ip has an implicit pool named after the bridge
  ipam/del-pool POOL             delete a pool that holds no lease (--if-exists)

Options:
  --socket=PATH                  control socket (default /run/lite-vswitch/vswitchd.sock)
  -f, --format=table|json        output format of listings (default table)
  -t, --timeout=SECS             give up after SECS seconds (default 0: wait forever)
  --may-exist, --if-exists       per-command options, given before the command name
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
  vsctl set Open_vSwitch . other_config:pmd-sleep=off
  vsctl --format json fdb/show br1
)";
}

}  // namespace lvs::ctl
