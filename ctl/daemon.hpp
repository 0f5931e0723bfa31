#pragma once
// vswitchd's life: lock the database, load it (or the embedded default), start DPDK and the
// datapath, serve the control socket, age the FDBs once a second, stop cleanly on SIGTERM/SIGINT.
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct DaemonOptions {
  std::string db_path;
  std::string socket_path;
  std::vector<int> pmd_cores;  // empty: one unpinned PMD thread
  bool detach = false;
  std::string pidfile;
  std::string log_file;
  std::string log_level = "info";
  std::string eal_args;
  std::string socket_group;        // the control socket's group (name or number); empty: root's
  bool keep_capabilities = false;  // true: skip dropping capabilities (debugging)
  bool docker_plugin = false;      // serve Docker's NetworkDriver + IpamDriver (docker_plugin.hpp)
  std::string docker_plugin_socket;  // empty: /run/docker/plugins/lite-vswitch.sock
  std::string metrics_address;       // ADDR:PORT serving /metrics (metrics_server.hpp); empty: off
};

// "1,3-5" -> {1,3,4,5}; the error names the bad word.
Result<std::vector<int>> parse_core_list(const std::string& text);

// Runs until a stop signal. Returns the process exit status.
int run_daemon(const DaemonOptions& options);

}  // namespace lvs::ctl
