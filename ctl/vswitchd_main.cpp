// vswitchd: the Lite vSwitch daemon. Options parsing only; the daemon lives in daemon.cpp.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "ctl/control_client.hpp"
#include "ctl/daemon.hpp"
#include "ctl/metrics_server.hpp"
#include "ctl/service.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  lvs::ctl::DaemonOptions o;
  std::string pmd_cores;
  po::options_description desc(
      "Usage: vswitchd [OPTIONS]\n"
      "Lite vSwitch daemon: keeps bridges and ports in a JSON database, forwards with DPDK\n"
      "poll-mode threads and serves vsctl on a unix socket.\n\nOptions");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version and exit")
      ("db", po::value(&o.db_path)->default_value(lvs::ctl::kDefaultDb), "configuration database file")
      ("socket", po::value(&o.socket_path)->default_value(lvs::ctl::kDefaultSocket), "control socket (mode 0660)")
      ("socket-group", po::value(&o.socket_group), "group (name or gid) whose members may use the control socket")
      ("keep-capabilities", po::bool_switch(&o.keep_capabilities), "do not drop the capabilities vswitchd does not need (debugging)")
      ("pmd-cores", po::value(&pmd_cores), "CPU cores for PMD threads, e.g. 2,3 or 2-5 (default: one unpinned thread)")
      ("detach", po::bool_switch(&o.detach), "run in the background once ready")
      ("pidfile", po::value(&o.pidfile), "write the daemon's pid here (removed on exit)")
      ("log-file", po::value(&o.log_file), "log to this file (default: stderr)")
      ("log-level", po::value(&o.log_level)->default_value("info"), "error, warn, info or debug")
      ("docker-plugin", po::bool_switch(&o.docker_plugin), "serve Docker's network and IPAM plugin lite-vswitch (driver and --ipam-driver)")
      ("docker-plugin-socket", po::value(&o.docker_plugin_socket), "the plugin's socket (default /run/docker/plugins/lite-vswitch.sock; the plugin is named after the file; elsewhere a spec file goes to /etc/docker/plugins)")
      ("metrics-address", po::value(&o.metrics_address), "serve Prometheus metrics on http://ADDR:PORT/metrics, e.g. 127.0.0.1:9477 or [::1]:9477 (default: off)")
      ("eal", po::value(&o.eal_args), "extra DPDK EAL arguments, e.g. \"--vdev net_null0\"");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "vswitchd: %s (try --help)\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\nSignals: SIGTERM or SIGINT stop the daemon cleanly (socket and pidfile removed).\n"
              << "A corrupt database stops the daemon with the reason; the file is never overwritten.\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "vswitchd (Lite vSwitch) " << lvs::ctl::kVersion << "\n";
    return 0;
  }
  auto cores = lvs::ctl::parse_core_list(pmd_cores);
  if (!cores) {
    std::fprintf(stderr, "vswitchd: %s\n", cores.error().message.c_str());
    return 2;
  }
  o.pmd_cores = *cores;
  if (!o.metrics_address.empty())
    if (auto a = lvs::ctl::parse_listen_address(o.metrics_address); !a) {
      std::fprintf(stderr, "vswitchd: %s\n", a.error().message.c_str());
      return 2;
    }
  return lvs::ctl::run_daemon(o);
}
