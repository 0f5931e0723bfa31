#include "ctl/datapath_driver.hpp"

#include <algorithm>
#include <cctype>
#include <thread>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "ctl/log.hpp"
#include "ctl/trace_json.hpp"
#include "ctl/vlan_mapping.hpp"

namespace lvs::ctl {
namespace {

// `kernel_tunnels` (other_config:kernel-tunnels) is part of a kernel-underlay VXLAN port's
// signature: changing it reopens those ports on the other path.
std::string signature_of(const PortConfig& p, bool kernel_tunnels) {
  nlohmann::json j{{"type", effective_type(p)}, {"options", p.options}};
  if (effective_type(p) == "vxlan" && !p.options.count("underlay_port"))
    j["kernel_tunnels"] = kernel_tunnels;
  return j.dump();
}

// The port this one leaves by (a tunnel with options:underlay=port); empty for the others.
std::string underlay_port_of(const PortConfig& p) {
  const PortKind* kind = kind_of(p);
  return kind && kind->underlay_port ? kind->underlay_port(p) : std::string{};
}

uint8_t split_horizon_group_of(const PortConfig& p) {
  const PortKind* kind = kind_of(p);
  return kind ? kind->split_horizon_group : 0;
}

// Drops the last references to retired ports. Those whose kind allows it are destroyed on up to
// 64 threads at once: closing an AF_PACKET socket waits for an RCU grace period in the kernel,
// and waiting 2,000 of them one after the other made deleting 2,000 ports take 40 s.
void release_ports(std::vector<std::shared_ptr<sw::Port>> ports) {
  std::vector<std::shared_ptr<sw::Port>> parallel;
  for (auto& p : ports)
    if (p.use_count() == 1 && p->concurrent_destroy_ok()) parallel.push_back(std::move(p));
  ports.clear();  // the others, one after the other
  if (parallel.size() < 2) return;
  for (auto& p : parallel) p->release_buffers();  // here, so that the threads only close fds
  const size_t threads = std::min<size_t>(64, parallel.size());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&parallel, t, threads] {
      for (size_t i = t; i < parallel.size(); i += threads) parallel[i].reset();
    });
  for (auto& th : pool) th.join();
}

}  // namespace

std::map<std::string, uint64_t> port_statistics(const sw::PortCounters& c) {
  std::map<std::string, uint64_t> out{{"rx_packets", c.rx_packets}, {"rx_bytes", c.rx_bytes},
                                      {"tx_packets", c.tx_packets}, {"tx_bytes", c.tx_bytes},
                                      {"drops", c.total_drops()}};
  for (size_t i = 0; i < c.drops.size(); ++i)
    out["drop_" + std::string(sw::to_string(static_cast<sw::DropReason>(i)))] = c.drops[i];
  return out;
}

DatapathDriver::~DatapathDriver() { shutdown(); }

void DatapathDriver::shutdown() {
  rstp_.stop();
  offload_.stop();
  if (live_.empty()) return;
  dp_.apply(sw::DatapathConfig{});
  std::vector<std::shared_ptr<sw::Port>> closing;
  for (auto& [name, live] : live_) closing.push_back(std::move(live.port));
  live_.clear();
  release_ports(std::move(closing));
}

sw::DatapathConfig DatapathDriver::build(const Config& config,
                                         const std::set<std::string>& skip) const {
  // Underlay ports get their tunnels' endpoint in front of their pipeline.
  std::map<std::string, std::shared_ptr<sw::RxFilter>> filters;
  for (const auto& b : config.bridges)
    for (const auto& p : b.ports) {
      auto it = live_.find(p.name);
      if (it == live_.end() || skip.count(p.name) || it->second.underlay.empty()) continue;
      if (auto f = factory_.underlay_filter(p, *it->second.port)) filters[it->second.underlay] = f;
    }
  sw::DatapathConfig dc;
  for (const auto& b : config.bridges) {
    sw::BridgeConfig bc;
    bc.name = b.name;
    bc.fdb.aging_s = b.mac_aging_time();
    bc.fdb.max_entries = b.mac_table_size();
    bc.forward_bpdu = b.forward_bpdu();
    bc.rstp = b.rstp_enable;
    for (const auto& p : b.ports) {
      auto it = live_.find(p.name);
      if (it == live_.end() || skip.count(p.name)) continue;
      // E.g. tunnels share a group: what came from one never leaves by another.
      const uint8_t group = split_horizon_group_of(p);
      const sw::StormLimits storm{.broadcast_pps = p.storm_pps(kStormBroadcastPps),
                                  .multicast_pps = p.storm_pps(kStormMulticastPps),
                                  .unknown_unicast_pps = p.storm_pps(kStormUnknownUnicastPps)};
      auto f = filters.find(p.name);
      bc.ports.push_back(sw::PortConfig{p.name, it->second.port, to_vlan_policy(p), p.admin_up, group,
                                        storm, f == filters.end() ? nullptr : f->second,
                                        p.protected_port,
                                        {p.ingress_policing_rate, p.ingress_policing_burst},
                                        {p.egress_kbit(kEgressRateKbps), p.egress_kbit(kEgressBurstKb)}});
    }
    bc.mirrors = mirrors_.for_bridge(b, [&](const std::string& port) {
      return live_.count(port) > 0 && !skip.count(port);
    });
    dc.bridges.push_back(std::move(bc));
  }
  return dc;
}

Status DatapathDriver::commit(const Config& config) {
  {
    std::vector<std::string> warnings;
    if (auto e = mirrors_.prepare(config, committed_, &warnings)) return e;
    for (const auto& w : warnings) log_warn(w);
    committed_ = true;
  }
  offload_.prepare();  // the kernel forwards by no decision this commit may change
  // Ports that go away or change kind/options close first, so a device can be reopened under
  // the same devargs in the same transaction.
  std::map<std::string, std::string> wanted;
  for (const auto& b : config.bridges)
    for (const auto& p : b.ports) wanted[p.name] = signature_of(p, config.kernel_tunnels());
  std::set<std::string> retire;
  for (const auto& [name, live] : live_) {
    auto it = wanted.find(name);
    if (it == wanted.end() || it->second != live.signature) retire.insert(name);
  }
  // A tunnel leaving by a port that closes closes with it (and reopens on the new one).
  for (const auto& b : config.bridges)
    for (const auto& p : b.ports)
      if (auto u = underlay_port_of(p); !u.empty() && retire.count(u)) retire.insert(p.name);
  for (const auto& [name, live] : live_)
    if (!live.underlay.empty() && retire.count(live.underlay)) retire.insert(name);
  if (!retire.empty()) {
    if (auto err = dp_.apply(build(config, retire))) return make_error(kErrDatapath, *err);
    std::vector<std::shared_ptr<sw::Port>> closing;
    for (const auto& name : retire) {
      if (auto it = live_.find(name); it != live_.end()) {
        closing.push_back(std::move(it->second.port));
        live_.erase(it);
      }
    }
    release_ports(std::move(closing));
  }
  errors_.clear();
  PortContext ctx = ctx_;
  ctx.kernel_tunnels = config.kernel_tunnels();
  ctx.find_port = [this](const std::string& name) -> std::shared_ptr<sw::Port> {
    auto it = live_.find(name);
    return it == live_.end() ? nullptr : it->second.port;
  };
  // Tunnels with underlay=port open last: the port they leave by must be open first.
  for (const bool tunnels_on_ports : {false, true})
    for (const auto& b : config.bridges) {
      for (const auto& p : b.ports) {
        if (live_.count(p.name) || underlay_port_of(p).empty() != !tunnels_on_ports) continue;
        auto port = factory_.make(p, ctx);
        if (!port) {
          errors_[p.name] = port.error().message;
          continue;
        }
        live_[p.name] =
            Live{signature_of(p, config.kernel_tunnels()), std::move(*port), underlay_port_of(p)};
      }
    }
  for (const auto& b : config.bridges)
    for (const auto& p : b.ports)
      if (auto it = live_.find(p.name); it != live_.end()) apply_mtu(p, it->second);
  if (auto err = dp_.apply(build(config, {}))) return make_error(kErrDatapath, *err);

  // Static MACs: drop the ones that went, (re)install all others (a VLAN change or a removed
  // port flushes a port's entries, statics included).
  for (const auto& old : config_.bridges) {
    const BridgeConfig* now = config.find_bridge(old.name);
    auto fdb = dp_.fdb(old.name);
    if (!now || !fdb) continue;
    for (const auto& m : old.static_macs) {
      bool kept = false;
      for (const auto& n : now->static_macs) kept |= n.mac == m.mac && n.vlan == m.vlan;
      if (!kept)
        if (auto mac = sw::MacAddr::parse(m.mac)) fdb->remove(*mac, static_cast<uint16_t>(m.vlan));
    }
  }
  for (const auto& b : config.bridges) install_static(b);
  {
    const auto open = open_ports();
    rstp_.commit(config, open);
    offload_.commit(config, open);
    big_tcp_.commit(config, open);
  }
  // Open_vSwitch other_config: adaptive PMD sleep (cheap, applied on every commit).
  dp_.set_pmd_sleep(config.pmd_sleep_adaptive(), config.pmd_quiet_us());
  config_ = config;
  return std::nullopt;
}

// Open vSwitch's mtu_request: applied when set or changed (also to a reopened port); clearing it
// leaves the interface's MTU as it is. A refusal does not stop the port, it shows as its error.
void DatapathDriver::apply_mtu(const PortConfig& p, Live& live) {
  if (!p.mtu_request) {
    live.mtu_applied.reset();
    live.mtu_error.clear();
    return;
  }
  if (live.mtu_applied == p.mtu_request) return;
  live.mtu_applied = p.mtu_request;
  auto e = factory_.set_mtu(p, *p.mtu_request, ctx_);
  live.mtu_error = e ? "mtu_request " + std::to_string(*p.mtu_request) + ": " + e->message : "";
}

void DatapathDriver::install_static(const BridgeConfig& b) {
  auto fdb = dp_.fdb(b.name);
  if (!fdb) return;
  for (const auto& m : b.static_macs) {
    auto idx = dp_.port_index(b.name, m.port);
    auto mac = sw::MacAddr::parse(m.mac);
    if (idx && mac) fdb->add_static(*mac, static_cast<uint16_t>(m.vlan), *idx, dp_.now_ms());
  }
}

InterfaceState DatapathDriver::interface_state(const std::string&, const std::string& port) const {
  InterfaceState st;
  if (auto e = errors_.find(port); e != errors_.end()) {
    st.error = e->second;
    return st;
  }
  auto it = live_.find(port);
  if (it == live_.end()) return st;
  st.attached = true;
  const sw::PortStatus status = it->second.port->status();
  st.status = LinkStatus{status.link_up, status.mtu, status.mac};
  for (auto& ch : st.status.mac) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  st.error = status.error.empty() ? it->second.mtu_error : status.error;
  if (st.error.empty()) st.error = rstp_.port_error(port);
  st.statistics = port_statistics(it->second.port->stats().read());
  offload_.add_counters(port, st.statistics);
  return st;
}

std::vector<FdbRow> DatapathDriver::fdb_show(const std::string& bridge) const {
  std::vector<FdbRow> rows;
  auto fdb = dp_.fdb(bridge);
  if (!fdb) return rows;
  std::map<sw::PortIndex, std::string> names;
  for (const auto& e : fdb->dump(dp_.now_ms())) {
    auto n = names.find(e.port);
    if (n == names.end()) n = names.emplace(e.port, dp_.port_name(bridge, e.port)).first;
    rows.push_back(FdbRow{n->second, e.vlan, e.mac.to_string(), e.age_ms / 1000, e.is_static});
  }
  std::sort(rows.begin(), rows.end(), [](const FdbRow& a, const FdbRow& b) {
    return std::tie(a.port, a.vlan, a.mac) < std::tie(b.port, b.vlan, b.mac);
  });
  return rows;
}

FdbTableStats DatapathDriver::fdb_stats(const std::string& bridge) const {
  auto fdb = dp_.fdb(bridge);
  if (!fdb) return {};
  const sw::FdbStats s = fdb->stats();
  return FdbTableStats{.entries = s.entries, .max_entries = s.max_entries, .learned = s.learned,
                       .moved = s.moved, .aged = s.aged, .evicted = s.evicted,
                       .learn_deferred = s.learn_deferred};
}

size_t DatapathDriver::fdb_flush(const std::string& bridge) {
  auto fdb = dp_.fdb(bridge);
  if (!fdb) return 0;
  const size_t n = fdb->flush();
  if (const BridgeConfig* b = config_.find_bridge(bridge)) {
    install_static(*b);
    return n - std::min(n, b->static_macs.size());
  }
  return n;
}

bool DatapathDriver::fdb_del(const std::string& bridge, int vlan, const std::string& mac) {
  auto fdb = dp_.fdb(bridge);
  auto m = sw::MacAddr::parse(mac);
  return fdb && m && fdb->remove(*m, static_cast<uint16_t>(vlan));
}

Status DatapathDriver::set_neighbours(const std::string& bridge_name,
                                      std::vector<sw::NeighbourEntry> entries) {
  if (auto err = sw::validate_neighbours(entries))
    return make_error(kErrInvalid, "bridge " + bridge_name + ": " + *err);
  if (auto err = dp_.set_neighbours(bridge_name, std::move(entries)))
    return make_error(kErrNotFound, *err);
  return std::nullopt;
}

std::vector<MirrorCounts> DatapathDriver::mirror_stats(const std::string& bridge) const {
  std::vector<MirrorCounts> out;
  for (const auto& s : dp_.mirror_stats(bridge)) out.push_back({s.name, s.packets, s.drops});
  return out;
}

Status DatapathDriver::start_capture(const std::string& port, CaptureDirection dir, uint64_t count,
                                     int fd, const std::string& preamble) {
  auto refuse = [fd](Error e) -> Status {
    ::close(fd);
    return e;
  };
  const BridgeConfig* b = config_.bridge_of_port(port);
  if (!b) return refuse(make_error(kErrNotFound, "no port named " + port));
  if (!live_.count(port)) {
    auto e = errors_.find(port);
    return refuse(make_error(kErrInvalid, "port " + port + " is not attached" +
                                              (e == errors_.end() ? std::string() : ": " + e->second)));
  }
  if (b->mirrors.size() + mirrors_.captures() >= sw::kMaxMirrorsPerBridge)
    return refuse(make_error(kErrInvalid, "bridge " + b->name + " has " +
                                              std::to_string(sw::kMaxMirrorsPerBridge) +
                                              " mirrors and captures already"));
  mirrors_.add_capture(b->name, port, dir, count, fd, preamble);
  if (auto err = apply_captures()) {
    mirrors_.remove_last_capture();
    apply_captures();
    return make_error(kErrDatapath, *err);
  }
  return std::nullopt;
}

void DatapathDriver::reap_captures() {
  if (mirrors_.reap()) apply_captures();
}

// The datapath with the captures as they are now; a captured bridge's frames all pass the
// switch, so the kernel offload withdraws first and leaves that bridge out.
std::optional<std::string> DatapathDriver::apply_captures() {
  offload_.prepare();
  offload_.set_captured(mirrors_.capture_bridges());
  auto err = dp_.apply(build(config_, {}));
  offload_.commit(config_, open_ports());
  return err;
}

std::map<std::string, std::shared_ptr<sw::Port>> DatapathDriver::open_ports() const {
  std::map<std::string, std::shared_ptr<sw::Port>> open;
  for (const auto& [name, live] : live_) open[name] = live.port;
  return open;
}

std::vector<PmdThreadStats> DatapathDriver::pmd_stats() const {
  std::vector<PmdThreadStats> out;
  for (const auto& s : dp_.pmd_stats())
    out.push_back(PmdThreadStats{.index = s.index, .core = s.core, .packets = s.packets,
                                 .iterations = s.iterations, .wakeups = s.wakeups,
                                 .busy_cycles = s.busy_cycles, .idle_cycles = s.idle_cycles,
                                 .sleep_cycles = s.sleep_cycles, .rx_queues = s.rx_queues});
  return out;
}

Result<nlohmann::json> DatapathDriver::trace(const std::string& bridge, const std::string& port,
                                             const std::vector<uint8_t>& frame) const {
  const sw::TraceReport report = dp_.trace(bridge, port, frame);
  if (!report.error.empty()) {
    std::string why = "trace: " + report.error;
    if (auto e = errors_.find(port); e != errors_.end() && !e->second.empty())
      why += ": " + e->second;
    return make_error(kErrNotFound, why);
  }
  return trace_json(bridge, report, [&](sw::PortIndex i) { return dp_.port_name(bridge, i); });
}

}  // namespace lvs::ctl

namespace lvs::ctl {

std::optional<RstpBridgeRow> DatapathDriver::rstp_show(const std::string& bridge) const {
  return rstp_.show(bridge);
}

bool DatapathDriver::rstp_clear_bpdu_guard(const std::string& bridge, const std::string& port) {
  return rstp_.clear_bpdu_guard(bridge, port);
}

}  // namespace lvs::ctl
