// The one place every vsctl command is registered: a row each (command_table.hpp), in --help
// order. Handlers live in ctl/commands/, by subject.
#include "ctl/command_table.hpp"

#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {
namespace {

constexpr bool kReadOnly = true, kReadWrite = false;

constexpr std::string_view kBridgeSection = "Bridge commands";
constexpr std::string_view kPortSection = "Port commands";
constexpr std::string_view kDatabaseSection =
    "Database commands (TABLE: Bridge, Port, Interface, Open_vSwitch; RECORD: its name, \".\" "
    "for\n  Open_vSwitch)";
constexpr std::string_view kShowSection = "Show commands";
constexpr std::string_view kFdbSection = "FDB and datapath commands";
constexpr std::string_view kIpamSection = "Address pools (the switch's own IPAM)";
constexpr std::string_view kLogSection = "Logging";
constexpr std::string_view kRstpSection = "Spanning tree (Bridge rstp_enable=true)";
constexpr std::string_view kMirrorSection = "Port mirroring and capture";
constexpr std::string_view kClusterSection = "Cluster (Open_vSwitch other_config:cluster-store)";

using enum OutputKind;

// clang-format off
constexpr CommandSpec kCommands[] = {
  // name, min args, max args, options, read-only, --help section, usage, help, output, handler
  {"add-br", 1, 1, "--may-exist", kReadWrite, kBridgeSection, "BRIDGE",
   "create a new bridge (--may-exist: no error if it exists)", kNone, add_bridge},
  {"del-br", 1, 1, "--if-exists", kReadWrite, kBridgeSection, "BRIDGE",
   "delete BRIDGE and all of its ports (--if-exists)", kNone, delete_bridge},
  {"list-br", 0, 0, "", kReadOnly, kBridgeSection, "", "print the names of all bridges", kNames,
   list_bridges},
  {"br-exists", 1, 1, "", kReadOnly, kBridgeSection, "BRIDGE", "exit 2 if BRIDGE does not exist", kNone,
   bridge_exists},

  {"add-port", 2, kAnyNumber, "--may-exist", kReadWrite, kPortSection, "BRIDGE PORT [COLUMN[:KEY]=VALUE]...",
   "add PORT to BRIDGE (--may-exist). Without type= the port\n"
   "attaches the existing kernel interface PORT (type system).\n"
   "Columns of Port and Interface may be given here.", kNone, add_port},
  {"del-port", 1, 2, "--if-exists", kReadWrite, kPortSection, "[BRIDGE] PORT",
   "delete PORT (from BRIDGE) (--if-exists)", kNone, delete_port},
  {"list-ports", 1, 1, "", kReadOnly, kPortSection, "BRIDGE", "print the names of all ports on BRIDGE",
   kNames, list_ports},
  {"port-to-br", 1, 1, "", kReadOnly, kPortSection, "PORT",
   "print the name of the bridge that contains PORT", kString, port_to_bridge},

  {"list", 1, kAnyNumber, "--if-exists", kReadOnly, kDatabaseSection, "TABLE [RECORD]...",
   "list records (Interface rows include statistics)", kRecords, list_records},
  {"get", 3, kAnyNumber, "--if-exists", kReadOnly, kDatabaseSection, "TABLE RECORD COLUMN[:KEY]...",
   "print values (--if-exists)", kValues, get_columns},
  {"set", 3, kAnyNumber, "--if-exists", kReadWrite, kDatabaseSection, "TABLE RECORD COLUMN[:KEY]=VALUE...",
   "set values (--if-exists)", kNone, set_columns},
  {"remove", 4, kAnyNumber, "--if-exists", kReadWrite, kDatabaseSection, "TABLE RECORD COLUMN KEY|VALUE...",
   "remove keys or values from a column", kNone, remove_from_column},
  {"clear", 3, kAnyNumber, "--if-exists", kReadWrite, kDatabaseSection, "TABLE RECORD COLUMN...",
   "empty or unset columns", kNone, clear_columns},

  {"show", 0, 0, "", kReadOnly, kShowSection, "",
   "print an overview of the configuration and port errors", kShow, show_configuration},

  {"fdb/show", 1, 1, "", kReadOnly, kFdbSection, "BRIDGE",
   "MAC table: port, VLAN, MAC, age (static entries: \"static\")", kFdb, show_fdb},
  {"fdb/flush", 0, 1, "", kReadWrite, kFdbSection, "[BRIDGE]",
   "forget learnt MACs (all bridges without BRIDGE)", kNone, flush_fdb},
  {"fdb/add", 4, 4, "", kReadWrite, kFdbSection, "BRIDGE PORT VLAN MAC",
   "add a static entry (kept across restarts)", kNone, add_static_mac},
  {"fdb/del", 3, 3, "", kReadWrite, kFdbSection, "BRIDGE VLAN MAC", "delete a static or learnt entry",
   kNone, delete_mac},
  {"fdb/stats-show", 1, 1, "", kReadOnly, kFdbSection, "BRIDGE", "MAC table statistics", kFdbStats,
   show_fdb_stats},
  {"dpif/pmd-stats-show", 0, 0, "", kReadOnly, kFdbSection, "",
   "PMD threads: rx queues, packets, cycles per packet, busy,\n"
   "idle and sleep shares of their cycles, wake-ups", kPmd, show_pmd_stats},
  {"trace", 2, kAnyNumber, "", kReadOnly, kFdbSection,
   "BRIDGE in_port=PORT dl_src=MAC dl_dst=MAC [dl_vlan=V] [dl_pcp=N] [dl_type=T]",
   "what the switch would do with that frame, stage by stage: parse,\n"
   "ingress VLAN and why, storm control, FDB lookup, flood set, tag\n"
   "action per output port or the drop reason; nothing is sent, learnt\n"
   "or counted. A whole frame instead: trace BRIDGE in_port=PORT HEX", kTrace, trace_packet},

  {"ipam/alloc", 2, 4, "", kReadWrite, kIpamSection, "POOL OWNER [ADDRESS|auto [MAC]]",
   "lease an address of POOL to OWNER (the same owner keeps its lease);\n"
   "prints {pool, address, gateway, mac}", kJson, ipam_allocate},
  {"ipam/release", 2, 2, "--if-exists", kReadWrite, kIpamSection, "POOL OWNER",
   "return OWNER's lease (--if-exists)", kNone, ipam_release_lease},
  {"ipam/show", 0, 1, "", kReadOnly, kIpamSection, "[POOL]", "pools and their leases", kJson,
   ipam_show_pools},
  {"ipam/add-pool", 2, 3, "--may-exist", kReadWrite, kIpamSection, "POOL SUBNET [GATEWAY]",
   "create an address pool (--may-exist)", kNone, ipam_add_pool_command},
  {"ipam/del-pool", 1, 1, "--if-exists", kReadWrite, kIpamSection, "POOL",
   "delete POOL (refused while it holds leases) (--if-exists)", kNone, ipam_del_pool_command},

  {"vlog/set", 1, 1, "", kReadWrite, kLogSection, "[vswitchd:]LEVEL",
   "set the daemon's log level now: error, warn, info or debug\n"
   "(until it restarts; --log-level sets it at start)", kNone, vlog_set},
  {"vlog/list", 0, 0, "", kReadOnly, kLogSection, "", "print the daemon's log level", kString,
   vlog_list},
  {"rstp/show", 0, 1, "", kReadOnly, kRstpSection, "[BRIDGE]",
   "bridge id, root, root path cost and port; each port's role,\n"
   "state, path cost, edge and BPDU counters", kRstp, rstp_show},
  {"rstp/clear-bpdu-guard", 1, 1, "", kReadOnly, kRstpSection, "PORT",
   "re-enable PORT after BPDU guard disabled it", kNone, rstp_clear_bpdu_guard},
  {"add-mirror", 2, kAnyNumber, "", kReadWrite, kMirrorSection,
   "BR NAME [--src P,..] [--dst P,..] [--vlan V,..] --output PORT|--output-pcap FILE [--pcap-max-size MB]",
   "copy what ports receive (--src) and send (--dst), of some VLANs (--vlan),\n"
   "to a port reserved for it or a pcap file rotated past MB (default 100);\n"
   "neither --src nor --dst: every port, both ways", kNone, add_mirror},
  {"del-mirror", 2, 2, "--if-exists", kReadWrite, kMirrorSection, "BR NAME",
   "delete a mirror (--if-exists)", kNone, delete_mirror},
  {"capture", 1, kAnyNumber, "", kReadOnly, kMirrorSection,
   "PORT [--direction rx|tx|both] [-c N] -w FILE|-",
   "write pcap of what PORT receives and sends until interrupted or N frames\n"
   "(no mirror is configured; -w - streams to stdout)", kNone, capture_in_transaction},
  {"dpif/offload-show", 0, 1, "", kReadOnly, kFdbSection, "[BRIDGE]",
   "learnt unicast the kernel carries (other_config:kernel-offload): in port,\n"
   "VLAN, destination, packets, bytes, last use, tag action and out port", kOffload, show_offload},
  {"cluster/show", 0, 0, "", kReadOnly, kClusterSection, "",
   "members and their VNIs, lease ages, tunnels and remote endpoints,\n"
   "as this switch sees them through etcd", kCluster, cluster_show},
};
// clang-format on

}  // namespace

std::span<const CommandSpec> command_table() { return kCommands; }

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : kCommands)
    if (spec.name == name) return &spec;
  return nullptr;
}

bool accepts_option(const CommandSpec& spec, std::string_view option) {
  return has_word(spec.options, option);
}

bool CommandContext::has_option(std::string_view option) const {
  for (const auto& o : options_)
    if (o == option) return true;
  return false;
}

}  // namespace lvs::ctl
