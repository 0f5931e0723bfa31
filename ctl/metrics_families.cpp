#include "ctl/metrics_families.hpp"

#include "ctl/metrics_exposition.hpp"
#include "switch/drop_reason.hpp"

namespace lvs::ctl {
namespace {

using C = MetricType;

uint64_t stat(const InterfaceState& s, const std::string& key) {
  auto it = s.statistics.find(key);
  return it == s.statistics.end() ? 0 : it->second;
}

void interface_families(Exposition& x, const MetricsSnapshot& s) {
  auto& info = x.family("lvs_interface_info", C::kGauge,
                        "Each interface of a bridge (1), with its type and MAC.");
  auto& attached = x.family("lvs_interface_attached", C::kGauge,
                            "1 while the interface is open in the datapath, 0 when it could not "
                            "be opened (vsctl list interface shows why).");
  auto& error = x.family("lvs_interface_error", C::kGauge,
                         "1 while the interface reports an error (vsctl list interface: error).");
  auto& link = x.family("lvs_interface_link_up", C::kGauge, "1 while the link is up.");
  auto& mtu = x.family("lvs_interface_mtu_bytes", C::kGauge, "The interface's MTU.");
  auto& rxp = x.family("lvs_interface_rx_packets_total", C::kCounter,
                       "Frames the switch received on the interface.");
  auto& rxb = x.family("lvs_interface_rx_bytes_total", C::kCounter,
                       "Bytes the switch received on the interface.");
  auto& txp = x.family("lvs_interface_tx_packets_total", C::kCounter,
                       "Frames the switch sent on the interface.");
  auto& txb = x.family("lvs_interface_tx_bytes_total", C::kCounter,
                       "Bytes the switch sent on the interface.");
  auto& drops = x.family("lvs_interface_drops_total", C::kCounter,
                         "Frames dropped, by reason (switch/drop_reason.hpp; vsctl: "
                         "statistics:drop_<reason>), counted on the input port or, for "
                         "output reasons, the output port.");
  for (const auto& p : s.ports) {
    const MetricLabels l{{"bridge", p.bridge}, {"interface", p.name}};
    info.add({{"bridge", p.bridge},
              {"interface", p.name},
              {"type", p.type},
              {"mac", p.state.status.mac}},
             uint64_t{1});
    attached.add(l, uint64_t{p.state.attached});
    error.add(l, uint64_t{!p.state.error.empty()});
    if (!p.state.attached) continue;  // no counters: the port is not in the datapath
    link.add(l, uint64_t{p.state.status.link_up});
    mtu.add(l, uint64_t{p.state.status.mtu});
    rxp.add(l, stat(p.state, "rx_packets"));
    rxb.add(l, stat(p.state, "rx_bytes"));
    txp.add(l, stat(p.state, "tx_packets"));
    txb.add(l, stat(p.state, "tx_bytes"));
    for (auto reason : sw::kDropReasonNames)
      drops.add({{"bridge", p.bridge}, {"interface", p.name}, {"reason", std::string(reason)}},
                stat(p.state, "drop_" + std::string(reason)));
  }
}

void tunnel_families(Exposition& x, const MetricsSnapshot& s) {
  auto& encp = x.family("lvs_tunnel_encap_packets_total", C::kCounter,
                        "Frames encapsulated into the tunnel (the tunnel port's tx).");
  auto& encb = x.family("lvs_tunnel_encap_bytes_total", C::kCounter,
                        "Bytes of inner frames encapsulated into the tunnel.");
  auto& decp = x.family("lvs_tunnel_decap_packets_total", C::kCounter,
                        "Frames decapsulated from the tunnel (the tunnel port's rx).");
  auto& decb = x.family("lvs_tunnel_decap_bytes_total", C::kCounter,
                        "Bytes of inner frames decapsulated from the tunnel.");
  auto& miss = x.family("lvs_tunnel_neighbour_misses_total", C::kCounter,
                        "Frames dropped because the underlay next hop's MAC was not resolved "
                        "(options:underlay=port; drop reason no_neighbour).");
  for (const auto& p : s.ports) {
    if (!p.tunnel || !p.state.attached) continue;
    const MetricLabels l{
        {"bridge", p.bridge}, {"tunnel", p.name}, {"type", p.type}, {"remote_ip", p.remote_ip}};
    encp.add(l, stat(p.state, "tx_packets"));
    encb.add(l, stat(p.state, "tx_bytes"));
    decp.add(l, stat(p.state, "rx_packets"));
    decb.add(l, stat(p.state, "rx_bytes"));
    miss.add(l, stat(p.state, "drop_no_neighbour"));
  }
}

void bridge_families(Exposition& x, const MetricsSnapshot& s) {
  auto& ports = x.family("lvs_bridge_ports", C::kGauge, "Ports of the bridge, its own included.");
  auto& entries = x.family("lvs_fdb_entries", C::kGauge, "MAC table entries (static included).");
  auto& max = x.family("lvs_fdb_max_entries", C::kGauge,
                       "The MAC table's capacity (other_config:mac-table-size).");
  auto& learned = x.family("lvs_fdb_learned_total", C::kCounter, "MACs learned.");
  auto& moved = x.family("lvs_fdb_moved_total", C::kCounter,
                         "MACs re-learned on another port (station moves).");
  auto& aged = x.family("lvs_fdb_aged_total", C::kCounter, "Entries removed by aging.");
  auto& evicted =
      x.family("lvs_fdb_evicted_total", C::kCounter, "Entries evicted because the table was full.");
  auto& deferred = x.family("lvs_fdb_learn_deferred_total", C::kCounter,
                            "Learning deferred to a later frame because another PMD was writing "
                            "the table.");
  auto& nat = x.family("lvs_bridge_nat_enabled", C::kGauge,
                       "1 when the bridge masquerades its subnets (other_config:nat=true).");
  auto& published = x.family("lvs_nat_published_ports", C::kGauge,
                             "Published ports (DNAT rules) of the bridge's containers "
                             "(external_ids:publish).");
  for (const auto& b : s.bridges) {
    const MetricLabels l{{"bridge", b.name}};
    ports.add(l, b.ports);
    entries.add(l, b.fdb.entries);
    max.add(l, b.fdb.max_entries);
    learned.add(l, b.fdb.learned);
    moved.add(l, b.fdb.moved);
    aged.add(l, b.fdb.aged);
    evicted.add(l, b.fdb.evicted);
    deferred.add(l, b.fdb.learn_deferred);
    nat.add(l, uint64_t{b.nat});
    published.add(l, b.published_ports);
  }
}

void pmd_families(Exposition& x, const MetricsSnapshot& s) {
  auto& packets = x.family("lvs_pmd_packets_total", C::kCounter, "Frames the PMD thread received.");
  auto& iterations =
      x.family("lvs_pmd_iterations_total", C::kCounter, "Polling iterations of the PMD thread.");
  auto& busy = x.family("lvs_pmd_busy_cycles_total", C::kCounter,
                        "TSC cycles in iterations that moved frames (lvs_tsc_hertz per second).");
  auto& idle = x.family("lvs_pmd_idle_cycles_total", C::kCounter,
                        "TSC cycles polling without finding a frame.");
  auto& sleep = x.family("lvs_pmd_sleep_cycles_total", C::kCounter,
                         "TSC cycles asleep (other_config:pmd-sleep=adaptive).");
  auto& wakeups =
      x.family("lvs_pmd_wakeups_total", C::kCounter, "Times the PMD thread woke from sleep.");
  auto& cpp = x.family("lvs_pmd_cycles_per_packet", C::kGauge,
                       "Busy cycles per received frame since the start (0 before the first).");
  auto& queues =
      x.family("lvs_pmd_rx_queues", C::kGauge, "Rx queues (and rx stages) the PMD thread polls.");
  auto& queue = x.family("lvs_pmd_rx_queue_info", C::kGauge,
                         "Each rx queue (bridge/port:queue) or rx stage of a PMD thread (1).");
  for (const auto& p : s.pmds) {
    const MetricLabels l{{"pmd", std::to_string(p.index)},
                         {"core", p.core < 0 ? std::string("none") : std::to_string(p.core)}};
    packets.add(l, p.packets);
    iterations.add(l, p.iterations);
    busy.add(l, p.busy_cycles);
    idle.add(l, p.idle_cycles);
    sleep.add(l, p.sleep_cycles);
    wakeups.add(l, p.wakeups);
    cpp.add(l,
            p.packets ? static_cast<double>(p.busy_cycles) / static_cast<double>(p.packets) : 0.0);
    queues.add(l, uint64_t{p.rx_queues.size()});
    for (const auto& q : p.rx_queues)
      queue.add({{"pmd", std::to_string(p.index)}, {"queue", q}}, uint64_t{1});
  }
}

void daemon_families(Exposition& x, const MetricsDaemon& d) {
  x.family("lvs_build_info", C::kGauge, "The running vswitchd's version (1).")
      .add({{"version", d.version}}, uint64_t{1});
  x.family("lvs_start_time_seconds", C::kGauge, "When vswitchd started, in Unix time.")
      .add({}, d.start_time_seconds);
  x.family("lvs_uptime_seconds", C::kGauge, "Seconds since vswitchd started.")
      .add({}, d.uptime_seconds);
  x.family("lvs_config_generation", C::kGauge,
           "Transactions that changed the configuration since vswitchd started.")
      .add({}, d.config_generation);
  const auto& h = d.commit_latency;
  std::vector<uint64_t> buckets;
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) buckets.push_back(h.bucket(i));
  x.family("lvs_database_commit_duration_seconds", C::kHistogram,
           "Time to write the database file for a transaction (temp file, fsync, rename).")
      .add_histogram({}, LatencyHistogram::kBounds, buckets, h.sum_seconds(), h.count());
  if (d.tsc_hz)
    x.family("lvs_tsc_hertz", C::kGauge, "TSC cycles per second (the PMD cycle counters' rate).")
        .add({}, d.tsc_hz);
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& s) {
  Exposition x;
  interface_families(x, s);
  tunnel_families(x, s);
  bridge_families(x, s);
  pmd_families(x, s);
  daemon_families(x, s.daemon);
  return x.render();
}

}  // namespace lvs::ctl
