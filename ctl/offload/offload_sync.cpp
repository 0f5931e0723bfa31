#include "ctl/offload/offload_sync.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "ctl/log.hpp"
#include "ctl/vlan_mapping.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/offload/offload_kernel.hpp"
#include "ports/veth_internal_port.hpp"
#include "tunnels/kernel_vxlan_port.hpp"

namespace lvs::ctl {

static_assert(kOffloadTunnelBit == LVS_TUNNEL_OUT);
namespace {

lvs_flow_key to_kernel(const OffloadKey& k) {
  lvs_flow_key key{};
  key.ifindex = static_cast<__u32>(k.ifindex);
  const sw::MacAddr mac = sw::MacAddr::from_u64(k.mac);
  std::memcpy(key.mac, mac.bytes.data(), 6);
  key.tag = k.tag;
  return key;
}

lvs_station_key to_kernel(const OffloadStationKey& k) {
  lvs_station_key key{};
  const sw::MacAddr mac = sw::MacAddr::from_u64(k.mac);
  std::memcpy(key.mac, mac.bytes.data(), 6);
  key.vlan = k.vlan;
  key.bridge = k.bridge;
  return key;
}

lvs_port_key to_kernel(const OffloadPortTag& k) {
  lvs_port_key key{};
  key.ifindex = static_cast<__u32>(k.ifindex);
  key.tag = k.tag;
  return key;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

// Bytes a frame gains (+4) or loses (-4) between arriving and leaving.
int64_t tag_delta(OffloadAction a) {
  return a == OffloadAction::kPush ? 4 : a == OffloadAction::kPop ? -4 : 0;
}

std::string bridge_name(const Config& config, const std::string& port) {
  const BridgeConfig* b = config.bridge_of_port(port);
  return b ? b->name : std::string();
}

static_assert(kOffloadMaxEntries == LVS_OFFLOAD_MAX_FLOWS);

// The veth and socket of an open port the kernel could serve: a system port's AF_PACKET socket
// on its veth, or the veth internal port's switch end (the kernel sends a frame for the host out
// of it, to the host end). A tap internal port, vhost-user, tunnels, DPDK: none (false).
struct OffloadEnd {
  std::string ifname;
  int ifindex = 0, fd = -1;
  OffloadRedirect redirect = OffloadRedirect::kPeer;
};
bool offload_end(const sw::Port& port, OffloadEnd& end) {
  if (const auto* af = dynamic_cast<const ports::AfPacketPort*>(&port)) {
    end = OffloadEnd{af->ifname(), af->ifindex(), af->fd(), OffloadRedirect::kPeer};
    return true;
  }
  if (const auto* vi = dynamic_cast<const ports::VethInternalPort*>(&port)) {
    end =
        OffloadEnd{vi->switch_end(), vi->switch_end_ifindex(), vi->fd(), OffloadRedirect::kEgress};
    return true;
  }
  return false;
}

}  // namespace

OffloadSync::OffloadSync(sw::Datapath& dp) : dp_(dp) {}
OffloadSync::~OffloadSync() { stop(); }

void OffloadSync::retire_counts(const Installed& in) {
  Counts& rx = retired_[in.flow.in_port];
  rx.rx_packets += in.packets;
  rx.rx_bytes += in.bytes;
  Counts& tx = retired_[in.flow.out_port];
  tx.tx_packets += in.packets;
  tx.tx_bytes += uint64_t(int64_t(in.bytes) + tag_delta(in.flow.action) * int64_t(in.packets));
}

void OffloadSync::withdraw(const OffloadKey& key) {
  auto it = flows_.find(key);
  if (it == flows_.end()) return;
  lvs_flow_val last{};
  kernel_->take_flow(to_kernel(key), last);
  if (last.packets > it->second.packets) {
    it->second.packets = last.packets;
    it->second.bytes = last.bytes;
  }
  retire_counts(it->second);
  flows_.erase(it);
}

void OffloadSync::prepare() {
  if (!kernel_) return;
  while (!flows_.empty()) withdraw(flows_.begin()->first);
  for (const auto& [key, st] : stations_) kernel_->del_station(to_kernel(key));
  stations_.clear();
  marked_moved_.clear();
  station_seen_ns_.clear();
  for (const auto& [key, pv] : port_vlans_) kernel_->del_port_vlan(to_kernel(key));
  port_vlans_.clear();
}

void OffloadSync::signal_moves(bool on) {
  for (const auto& [bridge, list] : ports_)
    if (auto fdb = dp_.fdb(bridge)) fdb->set_move_signal(on ? &moves_ : nullptr);
}

void OffloadSync::moves() {
  if (moves_.take() && kernel_ && !attached_.empty()) resync(dp_.now_ms());
}

void OffloadSync::detach_all() {
  if (kernel_)
    for (const auto& [name, a] : attached_) {
      if (a.tunnel) {
        if (auto d = a.device.lock()) d->set_offload(-1);
      } else
        kernel_->detach(a.ifindex, a.fd);
    }
  attached_.clear();
  tail_calls_.clear();
}

void OffloadSync::commit(const Config& config,
                         const std::map<std::string, std::shared_ptr<sw::Port>>& open) {
  config_ = config;
  signal_moves(false);  // the bridges served change
  const auto it = config.other_config.find(kKernelOffload);
  enabled_ = it == config.other_config.end() || it->second != "false";
  if (!enabled_ && kernel_) {  // turned off: programs and maps go, not only the entries
    prepare();
    detach_all();
    kernel_.reset();
  }
  if (enabled_ && !kernel_ && unavailable_.empty()) {
    kernel_ = ports::OffloadKernel::load(unavailable_);
    if (!kernel_) {
      if (unavailable_.empty()) unavailable_ = "unknown error";
      log_info("kernel offload unavailable (" + unavailable_ + "): every frame stays in userspace");
    }
  }
  prepare();
  number_offload_bridges(config.bridges, bridge_ids_);
  // Which ports the kernel may serve now.
  std::map<std::string, Attached> want;
  ports_.clear();
  for (const auto& b : config.bridges) {
    for (const auto& p : b.ports) {
      auto o = open.find(p.name);
      if (o == open.end()) continue;
      const sw::Port* port = o->second.get();
      // What the kernel may serve on this bridge and port, whatever the port's kind.
      const bool servable = enabled_ && kernel_ && !captured_.count(b.name) &&
                            offload_bridge_eligible(b) && offload_port_eligible(b, p);
      // A VXLAN port on the kernel vxlan device: its frames meet the offload at the device.
      if (const auto* tun = dynamic_cast<const tunnels::KernelVxlanPort*>(port)) {
        const auto dev_ifindex = static_cast<uint32_t>(tun->device().ifindex());
        if (!servable || dev_ifindex >= LVS_TUNNEL_MAX_DEV_IFINDEX) continue;
        auto idx = dp_.port_index(b.name, p.name);
        if (!idx) continue;
        const int pseudo = static_cast<int>(lvs_tunnel_ifindex(dev_ifindex, tun->id()));
        want[p.name] = Attached{tun, pseudo, -1, b.name, tun->shared_device(), true};
        ports_[b.name].push_back(OffloadPort{p.name, *idx, pseudo, to_vlan_policy(p)});
        continue;
      }
      OffloadEnd end;
      if (!offload_end(*port, end)) continue;
      // A filter of ours a killed daemon left: gone before we decide anything on this port.
      if (!reconciled_[port]) {
        reconciled_[port] = true;
        if (!attached_.count(p.name) && ports::OffloadKernel::remove_stale(end.ifindex))
          log_info("kernel offload: removed a stale filter from " + end.ifname);
      }
      if (!servable || !ports::OffloadKernel::is_veth(end.ifname)) continue;
      auto idx = dp_.port_index(b.name, p.name);
      if (!idx) continue;
      want[p.name] = Attached{port, end.ifindex, end.fd, b.name};
      ports_[b.name].push_back(
          OffloadPort{p.name, *idx, end.ifindex, to_vlan_policy(p), end.redirect});
    }
    if (ports_[b.name].size() > kOffloadMaxPorts) {
      if (too_big_.insert(b.name).second)
        log_info("kernel offload: bridge " + b.name + " has more than " +
                 std::to_string(kOffloadMaxPorts) + " eligible ports: it stays in userspace");
      for (const auto& p : ports_[b.name]) want.erase(p.name);
      ports_.erase(b.name);
    } else {
      too_big_.erase(b.name);
    }
  }
  for (auto a = attached_.begin(); a != attached_.end();) {
    auto w = want.find(a->first);
    if (w != want.end() && w->second.port == a->second.port) {
      ++a;
      continue;
    }
    // Still open (same socket): take the filter off it too; reopened or gone: the socket went.
    auto o = open.find(a->first);
    const bool same = o != open.end() && o->second.get() == a->second.port;
    if (a->second.tunnel) {  // the device's tail call goes below when no port of it is left
      a = attached_.erase(a);
      continue;
    }
    kernel_->detach(a->second.ifindex, same ? a->second.fd : -1);
    a = attached_.erase(a);
  }
  std::set<const tunnels::KernelVxlanDevice*> devices;
  for (auto& [name, a] : want) {
    if (attached_.count(name)) continue;
    std::string e;
    if (a.tunnel) {
      auto d = a.device.lock();
      e = d && d->set_offload(kernel_->tunnel_prog_fd()) ? "" : "cannot set the vxlan device's tail call";
    }
    else
      e = kernel_->attach(a.ifindex, a.fd);
    if (!e.empty()) {
      log_warn("kernel offload: port " + name + ": " + e + " (stays in userspace)");
      auto& list = ports_[a.bridge];
      const std::string& port = name;  // a structured binding: clang's lambdas cannot capture it
      std::erase_if(list, [&port](const OffloadPort& p) { return p.name == port; });
      continue;
    }
    attached_[name] = a;
  }
  // Devices none of whose ports the offload serves any more: no tail call.
  for (const auto& [name, a] : attached_)
    if (auto d = a.device.lock()) devices.insert(d.get());
  for (auto w = tail_calls_.begin(); w != tail_calls_.end();) {
    auto d = w->lock();
    if (d && devices.count(d.get())) {
      ++w;
      continue;
    }
    if (d) d->set_offload(-1);
    w = tail_calls_.erase(w);
  }
  for (const auto& [name, a] : attached_)
    if (a.tunnel) tail_calls_.insert(a.device);
  // Counters of ports that left the configuration go with them.
  for (auto r = retired_.begin(); r != retired_.end();)
    r = config.bridge_of_port(r->first) ? std::next(r) : retired_.erase(r);
  for (auto r = reconciled_.begin(); r != reconciled_.end();) {
    bool live = false;
    for (const auto& [n, p] : open) live |= p.get() == r->first;
    r = live ? std::next(r) : reconciled_.erase(r);
  }
  tick();
}

void OffloadSync::tick() {
  if (!kernel_ || attached_.empty()) return;
  const uint64_t now_ms = dp_.now_ms();
  signal_moves(true);  // a bridge's FDB may have been replaced (resized) since
  // Counters and last-seen times are read once a second (the FDB's refresh granularity);
  // offload-show and port statistics read the counters they need when asked.
  if (++ticks_ % 10 == 0) read_back(now_ms, monotonic_ns());
  resync(now_ms);
}

void OffloadSync::read_back(uint64_t now_ms, uint64_t now_ns) {
  for (auto& [key, in] : flows_) {
    lvs_flow_val v{};
    if (!kernel_->get_flow(to_kernel(key), v)) continue;
    in.packets = v.packets;
    in.bytes = v.bytes;
    in.last_used_ns = v.last_used_ns;
  }
  // Stations the kernel saw sending: their FDB entries are refreshed as a frame would.
  for (const auto& [key, st] : stations_) {
    lvs_station_val v{};
    if (!kernel_->get_station(to_kernel(key), v)) continue;
    // Marked moved by the kernel but still where the FDB has it after a second look (a static
    // entry, or a frame the switch did not learn from): carried by the kernel again.
    if (!v.moved) {
      marked_moved_.erase(key);
    } else if (!marked_moved_.insert(key).second) {
      kernel_->put_station(to_kernel(key), static_cast<uint32_t>(st.ifindex));
      marked_moved_.erase(key);
    }
    if (v.last_seen_ns == 0) continue;
    uint64_t& given = station_seen_ns_[key];
    if (v.last_seen_ns <= given || v.last_seen_ns > now_ns) continue;
    given = v.last_seen_ns;
    auto fdb = dp_.fdb(bridge_name(config_, st.port));
    if (!fdb) continue;
    const uint64_t fkey = sw::Fdb::make_key(key.mac, key.vlan);
    auto entry = fdb->peek(fkey, now_ms);
    if (!entry || entry->is_static || entry->port != st.index) continue;  // moved or gone
    const uint64_t ago_ms = (now_ns - v.last_seen_ns) / 1'000'000;
    if (ago_ms >= entry->age_ms) continue;  // userspace saw it more recently
    fdb->learn(fkey, st.index, now_ms - ago_ms);
  }
}

void OffloadSync::resync(uint64_t now_ms) {
  // The plan of every bridge now.
  OffloadPlan want;
  for (const auto& [bridge, list] : ports_) {
    auto fdb = dp_.fdb(bridge);
    if (!fdb || list.size() < 2) continue;
    const uint64_t aging_ms = uint64_t{fdb->settings().aging_s} * 1000;
    const size_t room = kOffloadMaxEntries - std::max({want.flows.size(), want.stations.size(),
                                                       want.port_vlans.size()});
    OffloadPlan p = plan_offload(bridge_ids_.at(bridge), list, fdb->dump(now_ms), aging_ms, room);
    want.flows.merge(p.flows);
    want.stations.merge(p.stations);
    want.port_vlans.merge(p.port_vlans);
  }
  // Stations first: one that moved or went is put where the FDB has it (or removed), which
  // stops the kernel at once from carrying any frame to or from it by an entry of the old
  // port (it checks both stations' ports against the entry's). Then the flows that changed
  // or went are withdrawn, and new ones installed, each only with both its stations.
  for (auto s = stations_.begin(); s != stations_.end();) {
    auto w = want.stations.find(s->first);
    if (w != want.stations.end() && w->second == s->second) {
      ++s;
      continue;
    }
    marked_moved_.erase(s->first);
    station_seen_ns_.erase(s->first);
    if (w != want.stations.end() &&
        kernel_->put_station(to_kernel(s->first), static_cast<uint32_t>(w->second.ifindex))) {
      s->second = w->second;
      ++s;
      continue;
    }
    kernel_->del_station(to_kernel(s->first));
    s = stations_.erase(s);
  }
  std::vector<OffloadKey> gone;
  for (const auto& [key, in] : flows_) {
    auto w = want.flows.find(key);
    if (w == want.flows.end() || !(w->second == in.flow)) gone.push_back(key);
  }
  for (const auto& key : gone) withdraw(key);
  for (auto p = port_vlans_.begin(); p != port_vlans_.end();) {
    auto w = want.port_vlans.find(p->first);
    if (w != want.port_vlans.end() && w->second == p->second) {
      ++p;
      continue;
    }
    kernel_->del_port_vlan(to_kernel(p->first));
    p = port_vlans_.erase(p);
  }
  for (const auto& [key, pv] : want.port_vlans)
    if (!port_vlans_.count(key) &&
        kernel_->put_port_vlan(to_kernel(key), lvs_port_val{pv.vlan, pv.bridge}))
      port_vlans_[key] = pv;
  for (const auto& [key, st] : want.stations)
    if (!stations_.count(key) &&
        kernel_->put_station(to_kernel(key), static_cast<uint32_t>(st.ifindex)))
      stations_[key] = st;
  for (const auto& [key, flow] : want.flows) {
    if (flows_.count(key)) continue;
    lvs_flow_val v{};
    v.out_ifindex = static_cast<__u32>(flow.out_ifindex);
    v.action = flow.action == OffloadAction::kPop    ? LVS_ACT_POP
               : flow.action == OffloadAction::kPush ? LVS_ACT_PUSH
                                                     : LVS_ACT_NONE;
    v.push_vid = flow.push_vid;
    v.vlan = flow.vlan;
    v.bridge = flow.bridge;
    v.out_kind = flow.redirect == OffloadRedirect::kEgress ? LVS_OUT_EGRESS : LVS_OUT_PEER;
    if (kernel_->put_flow(to_kernel(key), v))
      flows_[key] = Installed{flow, bridge_name(config_, flow.in_port)};
  }
}

void OffloadSync::stop() {
  signal_moves(false);
  if (!kernel_) return;
  prepare();
  detach_all();
  kernel_.reset();
  unavailable_.clear();
}

OffloadSync::Installed OffloadSync::live(const OffloadKey& key, const Installed& stored) const {
  Installed in = stored;
  lvs_flow_val v{};
  if (kernel_ && kernel_->get_flow(to_kernel(key), v) && v.packets >= in.packets) {
    in.packets = v.packets;
    in.bytes = v.bytes;
    in.last_used_ns = v.last_used_ns;
  }
  return in;
}

OffloadStatus OffloadSync::status() const {
  OffloadStatus s;
  s.state = !enabled_ ? "off" : kernel_ ? "on" : "unavailable: " + unavailable_;
  for (const auto& [name, a] : attached_) s.ports.push_back(name);
  const uint64_t now_ns = monotonic_ns();
  for (const auto& [key, stored] : flows_) {
    const Installed in = live(key, stored);
    OffloadRow r;
    r.bridge = in.bridge;
    r.in_port = in.flow.in_port;
    r.out_port = in.flow.out_port;
    r.mac = sw::MacAddr::from_u64(key.mac).to_string();
    r.vlan = in.flow.vlan;
    r.tagged_in = key.tag != 0;
    r.action = in.flow.action == OffloadAction::kPop ? "pop_vlan"
               : in.flow.action == OffloadAction::kPush
                   ? "push_vlan:" + std::to_string(in.flow.push_vid)
                   : "";
    r.packets = in.packets;
    r.bytes = in.bytes;
    r.idle_ms = in.last_used_ns && now_ns > in.last_used_ns
                    ? int64_t((now_ns - in.last_used_ns) / 1'000'000)
                    : -1;
    s.rows.push_back(std::move(r));
  }
  return s;
}

void OffloadSync::add_counters(const std::string& port,
                               std::map<std::string, uint64_t>& stats) const {
  Counts c;
  if (auto r = retired_.find(port); r != retired_.end()) c = r->second;
  for (const auto& [key, stored] : flows_) {
    if (stored.flow.in_port != port && stored.flow.out_port != port) continue;
    const Installed in = live(key, stored);
    if (in.flow.in_port == port) {
      c.rx_packets += in.packets;
      c.rx_bytes += in.bytes;
    }
    if (in.flow.out_port == port) {
      c.tx_packets += in.packets;
      c.tx_bytes += uint64_t(int64_t(in.bytes) + tag_delta(in.flow.action) * int64_t(in.packets));
    }
  }
  stats["rx_packets"] += c.rx_packets;
  stats["rx_bytes"] += c.rx_bytes;
  stats["tx_packets"] += c.tx_packets;
  stats["tx_bytes"] += c.tx_bytes;
}

}  // namespace lvs::ctl
