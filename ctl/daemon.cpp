#include "ctl/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mempool.h>

#include "ctl/cluster/cluster_driver.hpp"
#include "ctl/config_json.hpp"
#include "ctl/control_server.hpp"
#include "ctl/capabilities.hpp"
#include "ctl/database.hpp"
#include "ctl/capture_request.hpp"
#include "ctl/datapath_driver.hpp"
#include "ctl/log.hpp"
#include "ctl/metrics_collect.hpp"
#include "ctl/metrics_server.hpp"
#include "ctl/docker_plugin.hpp"
#include "ctl/forward_rules.hpp"
#include "ctl/iptables.hpp"
#include "ctl/nat_rules.hpp"
#include "ctl/nftables.hpp"
#include "ctl/pidfile.hpp"
#include "ctl/port_factory.hpp"
#include "ctl/service.hpp"
#include "ctl/systemd_notify.hpp"
#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "switch/datapath.hpp"
#include "tunnels/kernel_vxlan_device.hpp"

namespace lvs::ctl {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Detached: the parent waits for the child's verdict on this pipe and exits with it.
int g_ready_fd = -1;
bool g_log_to_file = false;

void report_ready(const std::string& error) {
  if (g_ready_fd < 0) return;
  const std::string msg = error.empty() ? "ok" : error;
  (void)!::write(g_ready_fd, msg.data(), msg.size());
  ::close(g_ready_fd);
  g_ready_fd = -1;
}

int fail(const std::string& message) {
  log_error(message);
  // The log may be a file: the person who started us still sees why.
  if (g_ready_fd < 0 && g_log_to_file) std::fprintf(stderr, "vswitchd: %s\n", message.c_str());
  report_ready(message);
  return 1;
}

// Returns -1 in the child (go on), or the exit status for the parent.
int detach_process() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 1;
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("vswitchd: fork");
    return 1;
  }
  if (pid > 0) {
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
    if (msg == "ok") return 0;
    std::fprintf(stderr, "vswitchd: %s\n", msg.empty() ? "daemon exited during start-up" : msg.c_str());
    return 1;
  }
  ::close(fds[0]);
  g_ready_fd = fds[1];
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
  return -1;
}

// The run directory is the control socket's: dpdkvhostuser sockets live beside it (Open vSwitch
// keeps both in its rundir). Absolute, as vhost-user socket paths must be.
std::string run_dir_of(const std::string& socket_path) {
  const size_t slash = socket_path.rfind('/');
  if (slash == 0) return "/";
  std::string dir = slash == std::string::npos ? "" : socket_path.substr(0, slash);
  if (!dir.empty() && dir[0] == '/') return dir;
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return dir;
  return dir.empty() ? cwd : std::string(cwd) + "/" + dir;
}

}  // namespace

Result<std::vector<int>> parse_core_list(const std::string& text) {
  std::vector<int> cores;
  size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    const size_t dash = item.find('-');
    auto lo = parse_int(item.substr(0, dash), 0, 1023);
    auto hi = dash == std::string::npos ? lo : parse_int(item.substr(dash + 1), 0, 1023);
    if (!lo || !hi || *hi < *lo) return make_error(kErrInvalid, "--pmd-cores: \"" + item + "\" is not a core or range");
    for (long long c = *lo; c <= *hi; ++c) cores.push_back(static_cast<int>(c));
    pos = end + 1;
  }
  return cores;
}

int run_daemon(const DaemonOptions& o) {
  const auto started = SteadyClock::now();
  const double started_unix =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto level = parse_log_level(o.log_level);
  if (!level) {
    std::fprintf(stderr, "vswitchd: --log-level: \"%s\" is not error, warn, info or debug\n", o.log_level.c_str());
    return 2;
  }
  if (!log_open(o.log_file, *level)) {
    std::fprintf(stderr, "vswitchd: --log-file: cannot open %s: %s\n", o.log_file.c_str(), std::strerror(errno));
    return 1;
  }
  g_log_to_file = !o.log_file.empty();
  if (o.detach) {
    const int rc = detach_process();
    if (rc >= 0) return rc;
  }

  // Signals arrive on a descriptor the control loop polls; block them before any thread starts.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const int sig_fd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  auto lock = DatabaseLock::acquire(o.db_path);
  if (!lock) return fail(lock.error().message);
  // Written once the lock is held (a second daemon on the same database stops before it), and
  // fatal when refused: a pidfile that cannot be trusted must not be half-used.
  std::optional<Pidfile> pidfile;
  if (!o.pidfile.empty()) {
    auto pf = Pidfile::write(o.pidfile);
    if (!pf) return fail(pf.error().message);
    pidfile.emplace(std::move(*pf));
  }
  if (auto e = ControlServer::check_free(o.socket_path)) return fail(e->message);

  auto loaded = load_database(o.db_path);
  if (!loaded) return fail(loaded.error().message + " (the file was left as it is)");
  Config config;
  if (loaded->has_value()) {
    config = std::move(**loaded);
    log_info("loaded " + o.db_path);
  } else {
    config = default_config();
    if (auto e = save_database(o.db_path, config)) return fail(e->message);
    log_info("no database at " + o.db_path + ": created it with the default bridge br0");
  }

  // The socket is bound now, while the daemon may still hand it to --socket-group, and served
  // once everything is up. Capabilities go before DPDK starts its threads: they are per thread.
  std::optional<gid_t> socket_gid;
  if (!o.socket_group.empty()) {
    auto gid = resolve_group(o.socket_group);
    if (!gid) return fail(gid.error().message);
    socket_gid = *gid;
  }
  Service* service_ptr = nullptr;
  ControlServer server([&](const nlohmann::json& req) { return service_ptr->handle(req); });
  if (auto e = server.bind(o.socket_path, socket_gid)) return fail(e->message);
  // /metrics (metrics_server.hpp): bound now, while a port below 1024 may still be bound.
  MetricsServer metrics;
  const bool metrics_on = !o.metrics_address.empty();
  if (metrics_on) {
    auto address = parse_listen_address(o.metrics_address);
    if (!address) return fail(address.error().message);
    if (auto e = metrics.bind(*address)) return fail(e->message);
  }
  if (!o.keep_capabilities) {
    auto kept = drop_unneeded_capabilities();
    if (!kept) return fail("cannot drop capabilities: " + kept.error().message);
    log_info("capabilities kept: " + (kept->empty() ? std::string("none") : *kept));
  }

  dpdk::EalOptions eal;
  eal.program = "vswitchd";
  eal.extra_args = dpdk::split_args(o.eal_args);
  const auto& st = dpdk::init_eal(eal);
  if (!st.ok) return fail(st.error);
  log_info(std::string("DPDK ready (") + (st.hugepages ? "hugepages" : "no hugepages") + ")");
  rte_mempool* pool = dpdk::create_pool({.name = "vswitchd"});
  if (!pool) return fail("cannot create the packet buffer pool");

  int rc = 0;
  {
    sw::Datapath::Options dopt;
    dopt.pmd_threads = o.pmd_cores.empty() ? 1 : static_cast<unsigned>(o.pmd_cores.size());
    dopt.pmd_cores = o.pmd_cores;
    dopt.pool = pool;
    sw::Datapath datapath(dopt);
    PortFactory factory;
    register_builtin_port_kinds(factory);
    PortContext ctx{pool, static_cast<uint16_t>(datapath.pmd_count())};
    ctx.run_dir = run_dir_of(o.socket_path);
    // The vxlan devices a killed daemon left (tunnels/kernel_vxlan_device.hpp) go; those still
    // wanted are made again by the first VXLAN port of their dst_port.
    if (const int n = tunnels::KernelVxlanDevice::remove_stale(); n > 0)
      log_info("removed " + std::to_string(n) + " vxlan device(s) a previous vswitchd left");
    DatapathDriver driver(datapath, std::move(factory), ctx);
    if (auto e = driver.commit(config)) return fail(e->message);
    // Issue 17's cluster (ctl/cluster/cluster_driver.hpp): joined while other_config:cluster-store
    // is set; the subnet it claims is remembered beside the database.
    cluster::ClusterDriver cluster(
        datapath, driver,
        [&driver](const std::string& bridge, const std::vector<cluster::NeighbourSpec>& entries) {
          if (auto e = driver.set_neighbours(bridge, cluster::to_neighbour_entries(entries)))
            log_warn("cluster: neighbour table of " + bridge + ": " + e->message);
        },
        std::filesystem::absolute(o.db_path).parent_path().string());
    driver.set_cluster_show([&cluster] { return cluster.show(); });
    // vsctl capture takes its connection over and gets pcap on it (capture_request.hpp).
    server.set_takeover(kCaptureMethod, [&driver](const nlohmann::json& req, int fd) {
      return start_capture_request(driver, req, fd);
    });
    datapath.start();

    // NAT follows the configuration (nat_rules.hpp); the script last applied spares a netfilter
    // transaction when a change does not touch NAT.
    std::string nat_applied;
    auto apply_nat = [&](const Config& c) -> Status {
      std::string script = nat_ruleset(c);
      if (script == nat_applied) return std::nullopt;
      if (nat_needs_forwarding(c))
        if (auto e = enable_ip_forward()) return e;
      if (auto e = run_nft(script)) return e;
      nat_applied = std::move(script);
      return std::nullopt;
    };
    // Switching works without netfilter: a host without nf_tables still gets its bridges.
    if (auto e = apply_nat(config)) log_error(e->message);

    // iptables' FORWARD accept and isolation rules and route_localnet (forward_rules.hpp), once
    // the gateways exist. A host without iptables still switches: logged, not refused.
    std::string forward_applied;
    auto apply_forward = [&](const Config& c) {
      std::string script = forward_ruleset(c);
      if (script != forward_applied) {
        if (auto e = apply_forward_rules(script)) log_warn(e->message);
        else forward_applied = std::move(script);
      }
      for (const auto& g : localnet_gateways(c))
        if (auto e = enable_route_localnet(g)) log_warn(e->message);
      for (const auto& p : internal_ports(c))
        if (auto e = set_arp_ignore(p)) log_warn(e->message);
    };
    apply_forward(config);
    auto commit = [&](const Config& c) -> Status {
      // NAT first: an nft transaction is all-or-nothing, so a refusal leaves everything as it was.
      if (auto e = apply_nat(c)) return e;
      if (auto e = driver.commit(c)) {
        if (service_ptr) apply_nat(service_ptr->config());
        return e;
      }
      apply_forward(c);
      cluster.committed(c);
      return std::nullopt;
    };
    Service service(config, o.db_path, commit, &driver);
    service_ptr = &service;
    cluster.committed(config);
    if (auto e = server.listen()) {
      datapath.stop();
      driver.shutdown();
      return fail(e->message);
    }
    // Docker's plugin: its HTTP threads hand each call to this thread (docker_plugin.hpp), which
    // waits on the signals and the plugin's queue through one epoll fd.
    DockerDriver docker(service);
    DockerPlugin plugin;
    int wait_fd = sig_fd;
    if (o.docker_plugin) {
      const std::string path = o.docker_plugin_socket.empty() ? kDefaultDockerPluginSocket : o.docker_plugin_socket;
      if (auto e = plugin.start(path)) {
        plugin.stop();
        server.close();
        datapath.stop();
        driver.shutdown();
        return fail(e->message);
      }
    }
    if (metrics_on) metrics.start(o.pmd_cores);
    {  // the cluster's news (its event fd) always wake the loop
      wait_fd = ::epoll_create1(EPOLL_CLOEXEC);
      for (int fd : {sig_fd, o.docker_plugin ? plugin.event_fd() : -1, metrics.event_fd(),
                     cluster.event_fd(), driver.offload_event_fd()}) {
        if (fd < 0) continue;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(wait_fd, EPOLL_CTL_ADD, fd, &ev);
      }
    }
    // A scrape's snapshot: copies of the counters, taken here between requests.
    auto collect = [&] {
      MetricsDaemon d;
      d.version = kVersion;
      d.start_time_seconds = started_unix;
      d.uptime_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
      d.config_generation = service.transactions();
      d.commit_latency = service.commit_latency();
      d.tsc_hz = rte_get_tsc_hz();
      return collect_metrics(service.config(), driver, std::move(d));
    };
    size_t ports = 0;
    for (const auto& b : config.bridges) ports += b.ports.size();
    const std::string serving = "serving on " + o.socket_path + " (" + std::to_string(config.bridges.size()) +
                                " bridges, " + std::to_string(ports) + " ports, " +
                                std::to_string(datapath.pmd_count()) + " PMD threads)";
    log_info(serving);
    report_ready("");
    notify_ready(serving);
    const bool watchdog = watchdog_enabled();

    auto next_aging = SteadyClock::now() + std::chrono::seconds(1);
    auto next_offload = SteadyClock::now();
    for (;;) {
      const auto now = SteadyClock::now();
      if (now >= next_aging) {
        datapath.expire_all();
        if (watchdog) notify_watchdog();
        driver.big_tcp_tick();  // a default route that came or went since the last commit
        next_aging = now + std::chrono::seconds(1);
      }
      driver.reap_captures();  // captures whose reader went away or that got their N frames
      if (now >= next_offload) {
        driver.offload_tick();  // kernel offload: FDB -> maps, counters and ages back
        next_offload = now + std::chrono::milliseconds(100);
      }
      const int wait = std::min(
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::min(next_aging, next_offload) - now)
                               .count()) + 1,
          static_cast<int>(cluster.poll_interval().count()));
      const bool woken = server.poll_once(wait, wait_fd);
      driver.offload_moves();  // a station moved: its kernel entries go now, not at the tick
      cluster.poll(service);
      if (woken) {
        if (o.docker_plugin)
          plugin.run_pending([&](const std::string& m, const nlohmann::json& b) { return docker.handle(m, b); });
        if (metrics_on) metrics.serve_pending(collect);
        signalfd_siginfo si{};
        if (::read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
          log_info(std::string("stopping on ") + strsignal(static_cast<int>(si.ssi_signo)));
          notify_stopping();
          break;
        }
      }
    }
    cluster.stop();  // a clean stop revokes the lease: the other hosts drop us at once
    plugin.stop();
    metrics.stop();
    if (wait_fd != sig_fd) ::close(wait_fd);
    server.close();
    datapath.stop();
    driver.shutdown();
    // What the switch owns goes with it (the internal ports just did); a restart puts it back.
    if (!nat_applied.empty())
      if (auto e = run_nft(nat_ruleset(Config{}))) log_warn(e->message);
    if (!forward_applied.empty())
      if (auto e = apply_forward_rules("")) log_warn(e->message);
  }
  // Every port is closed now: a packet buffer still out is a leak somewhere in the datapath
  // (the soak run, scripts/soak.sh, checks this line).
  const unsigned in_use = rte_mempool_in_use_count(pool);
  if (in_use != 0)
    log_warn("packet buffers not returned: " + std::to_string(in_use) + " of " + std::to_string(pool->size));
  else
    log_info("packet buffers: all " + std::to_string(pool->size) + " back in the pool");
  rte_mempool_free(pool);
  rte_eal_cleanup();
  log_info("stopped");
  return rc;
}

}  // namespace lvs::ctl
