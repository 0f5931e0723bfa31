#pragma once
// The handler of every vsctl command, by subject (one file each in ctl/commands/); the rows that
// name them are in ctl/command_table.cpp.
#include "ctl/command_table.hpp"

namespace lvs::ctl {

// bridge_commands.cpp
Status add_bridge(CommandContext& context);
Status delete_bridge(CommandContext& context);
Status list_bridges(CommandContext& context);
Status bridge_exists(CommandContext& context);

// port_commands.cpp
Status add_port(CommandContext& context);
Status delete_port(CommandContext& context);
Status list_ports(CommandContext& context);
Status port_to_bridge(CommandContext& context);

// column_commands.cpp (set, get, remove, clear, list of Bridge, Port, Interface, Open_vSwitch)
Status set_columns(CommandContext& context);
Status get_columns(CommandContext& context);
Status remove_from_column(CommandContext& context);
Status clear_columns(CommandContext& context);
Status list_records(CommandContext& context);

// fdb_commands.cpp
Status show_fdb(CommandContext& context);
Status show_fdb_stats(CommandContext& context);
Status flush_fdb(CommandContext& context);
Status add_static_mac(CommandContext& context);
Status delete_mac(CommandContext& context);

// show_commands.cpp
Status show_configuration(CommandContext& context);
Status show_pmd_stats(CommandContext& context);

// ipam_commands.cpp (the switch's own address pools, ctl/ipam.hpp)
Status ipam_allocate(CommandContext& context);
Status ipam_release_lease(CommandContext& context);
Status ipam_show_pools(CommandContext& context);
Status ipam_add_pool_command(CommandContext& context);
Status ipam_del_pool_command(CommandContext& context);

// vlog_commands.cpp (the daemon's log level, ctl/log.hpp)
Status vlog_set(CommandContext& context);
Status vlog_list(CommandContext& context);
// trace_commands.cpp (vsctl trace: switch/trace.hpp)
Status trace_packet(CommandContext& context);
// rstp_commands.cpp (the spanning tree: rstp/show, rstp/clear-bpdu-guard)
Status rstp_show(CommandContext& context);
Status rstp_clear_bpdu_guard(CommandContext& context);
nlohmann::json rstp_json(const std::string& bridge, const RstpBridgeRow& row);
// mirror_commands.cpp (the bridge's mirrors, mirror_config.hpp; capture runs in vsctl)
Status add_mirror(CommandContext& context);
Status delete_mirror(CommandContext& context);
Status capture_in_transaction(CommandContext& context);
// cluster_commands.cpp (cluster/show: ctl/cluster/cluster_driver.hpp)
Status cluster_show(CommandContext& context);

// offload_commands.cpp (dpif/offload-show: ctl/offload/)
Status show_offload(CommandContext& context);
std::string format_offload(const nlohmann::json& out);

// The bridge named `name`, or a not_found error naming it.
Result<BridgeConfig*> need_bridge(Config& config, const std::string& name);

}  // namespace lvs::ctl
