#include "ctl/rstp_driver.hpp"

#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <cstring>

#include "ctl/derived_mac.hpp"
#include "ctl/log.hpp"
#include "ctl/rstp_config.hpp"

namespace lvs::ctl {
namespace {

namespace rstp = sw::rstp;

std::array<uint8_t, 6> mac_bytes(const std::string& text) {
  auto m = sw::MacAddr::parse(text);
  return m ? m->bytes : std::array<uint8_t, 6>{};
}

bool is_zero(const std::array<uint8_t, 6>& m) {
  for (uint8_t b : m)
    if (b) return false;
  return true;
}

rstp::PortSettings port_settings(const PortConfig& p) {
  auto o = rstp_port_options(p);  // validated with the configuration
  rstp::PortSettings s;
  if (!o) return s;
  s.priority = o->priority;
  s.path_cost = o->path_cost;
  s.admin_edge = o->admin_edge;
  s.auto_edge = o->auto_edge;
  s.bpdu_guard = o->bpdu_guard;
  s.root_guard = o->root_guard;
  return s;
}

}  // namespace

uint64_t RstpDriver::now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void RstpDriver::commit(const Config& config,
                        const std::map<std::string, std::shared_ptr<sw::Port>>& live) {
  std::unique_lock lock(mu_);
  const uint64_t now = now_ms();
  std::set<std::string> wanted;
  for (const auto& b : config.bridges) {
    if (!b.rstp_enable) continue;
    auto hooks = dp_.stp(b.name);
    if (!hooks) continue;
    wanted.insert(b.name);
    BridgeEntry& e = bridges_[b.name];
    auto o = rstp_bridge_options(b);
    if (!o) continue;
    // The bridge address: rstp-address, else the bridge's own internal port's MAC, else one
    // derived from the bridge's name and the port MACs (stable across restarts).
    std::array<uint8_t, 6> addr{};
    if (o->address) addr = mac_bytes(*o->address);
    if (is_zero(addr))
      if (const PortConfig* local = b.local_port())
        if (auto it = live.find(local->name); it != live.end())
          addr = mac_bytes(it->second->status().mac);
    if (is_zero(addr)) {
      std::string seed = b.name;
      for (const auto& p : b.ports)
        if (auto it = live.find(p.name); it != live.end()) seed += it->second->status().mac;
      addr = mac_bytes(*derived_mac("U:" + seed));
    }
    rstp::BridgeSettings s;
    s.priority = o->priority;
    s.address = addr;
    s.max_age = o->max_age;
    s.hello_time = o->hello_time;
    s.forward_delay = o->forward_delay;
    if (e.hooks != hooks || !e.machine) {
      e = BridgeEntry{};  // RSTP was (re)enabled: a fresh machine, every port discarding
      e.machine = std::make_unique<rstp::Bridge>(s, now);
      e.hooks = hooks;
      log_info("rstp: bridge " + b.name + " id " + e.machine->id().to_string());
    } else {
      e.machine->set_settings(s, now);
    }
    e.address = addr;
    e.fdb = dp_.fdb(b.name);
    // Ports: number = datapath index + 1; one whose index changed is a new port.
    std::map<uint16_t, const PortConfig*> now_ports;
    for (const auto& p : b.ports) {
      auto it = live.find(p.name);
      auto idx = dp_.port_index(b.name, p.name);
      if (it == live.end() || !idx || *idx >= 4095) continue;
      const auto number = static_cast<uint16_t>(*idx + 1);
      now_ports[number] = &p;
      auto pe = e.ports.find(number);
      if (pe != e.ports.end() && (pe->second.name != p.name || pe->second.port != it->second)) {
        e.machine->remove_port(number, now);
        e.ports.erase(pe);
        pe = e.ports.end();
      }
      if (pe == e.ports.end()) {
        PortEntry entry;
        entry.name = p.name;
        entry.port = it->second;
        entry.index = *idx;
        entry.mac = mac_bytes(it->second->status().mac);
        if (is_zero(entry.mac)) entry.mac = addr;
        e.ports[number] = entry;
        e.machine->add_port(number, port_settings(p), now);
      } else {
        e.machine->set_port(number, port_settings(p), now);
      }
      e.ports[number].admin_up = p.admin_up;
    }
    for (auto pe = e.ports.begin(); pe != e.ports.end();) {
      if (now_ports.count(pe->first)) {
        ++pe;
        continue;
      }
      e.machine->remove_port(pe->first, now);
      pe = e.ports.erase(pe);
    }
    // The datapath starts new port indices discarding: give every port its machine's state.
    for (auto& [n, pe] : e.ports) e.hooks->set_state(pe.index, uint8_t(e.machine->state(n)));
    carry_out(e);
  }
  for (auto it = bridges_.begin(); it != bridges_.end();)
    it = wanted.count(it->first) ? std::next(it) : bridges_.erase(it);
  const bool need = !bridges_.empty();
  lock.unlock();
  if (need && !running_.load()) {
    running_ = true;
    thread_ = std::thread([this] { run(); });
  } else if (!need) {
    stop();
  }
}

void RstpDriver::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void RstpDriver::run() {
  uint64_t next_links = 0;
  while (running_.load()) {
    const uint64_t now = now_ms();
    const bool links = now >= next_links;
    if (links) next_links = now + 50;
    step(now, links);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RstpDriver::step(uint64_t now, bool poll_links) {
  std::lock_guard lock(mu_);
  for (auto& [name, b] : bridges_) {
    if (poll_links)
      for (auto& [n, pe] : b.ports) {
        const bool up = pe.admin_up && pe.port->status().link_up;
        if (up != pe.link_up) {
          pe.link_up = up;
          b.machine->link(n, up, now);
        }
      }
    rte_mbuf* m[32];
    while (unsigned got = b.hooks->take(m, 32)) {
      for (unsigned i = 0; i < got; ++i) {
        const auto number = static_cast<uint16_t>(m[i]->port + 1);
        const auto* data = rte_pktmbuf_mtod(m[i], const uint8_t*);
        auto bpdu = rstp::decode_frame({data, rte_pktmbuf_data_len(m[i])});
        if (bpdu && b.ports.count(number) && b.ports[number].link_up)
          b.machine->receive(number, *bpdu, now);
        rte_pktmbuf_free(m[i]);
      }
      if (got < 32) break;
    }
    b.machine->tick(now);
    carry_out(b);
  }
}

void RstpDriver::carry_out(BridgeEntry& b) {
  rstp::Output out = b.machine->take_output();
  for (const auto& s : out.states) {
    auto pe = b.ports.find(s.port);
    if (pe != b.ports.end()) b.hooks->set_state(pe->second.index, static_cast<uint8_t>(s.state));
  }
  if (b.fdb)
    for (uint16_t n : out.flush)
      if (auto pe = b.ports.find(n); pe != b.ports.end()) b.fdb->flush_port(pe->second.index);
  for (const auto& tx : out.tx) {
    auto pe = b.ports.find(tx.port);
    if (pe == b.ports.end() || !pool_) continue;
    const auto frame = rstp::encode_frame(tx.bpdu, pe->second.mac);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) continue;
    char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (!dst) {
      rte_pktmbuf_free(m);
      continue;
    }
    std::memcpy(dst, frame.data(), frame.size());
    pe->second.port->send(0, &m, 1);  // frees what the queue refuses
  }
}

std::optional<RstpBridgeRow> RstpDriver::show(const std::string& bridge) const {
  std::lock_guard lock(mu_);
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) return std::nullopt;
  const BridgeEntry& b = it->second;
  const rstp::BridgeStatus s = b.machine->status();
  RstpBridgeRow r;
  r.bridge_id = s.bridge_id.to_string();
  r.root_id = s.root_id.to_string();
  r.root_path_cost = s.root_path_cost;
  if (s.root_port)
    if (auto pe = b.ports.find(*s.root_port); pe != b.ports.end()) r.root_port = pe->second.name;
  r.max_age = s.max_age;
  r.hello_time = s.hello_time;
  r.forward_delay = s.forward_delay;
  r.topology_changes = s.topology_changes;
  for (const auto& p : s.ports) {
    auto pe = b.ports.find(p.number);
    if (pe == b.ports.end()) continue;
    RstpPortRow row;
    row.name = pe->second.name;
    row.role = rstp::to_string(p.role);
    row.state = rstp::to_string(p.state);
    char id[8];
    std::snprintf(id, sizeof(id), "%04x", p.id);
    row.port_id = id;
    row.path_cost = p.path_cost;
    row.edge = p.oper_edge;
    row.stp_peer = p.stp_peer;
    row.bpdu_guard_tripped = p.bpdu_guard_tripped;
    row.root_inconsistent = p.root_inconsistent;
    row.designated_bridge = p.designated.designated_bridge.to_string();
    row.rx_bpdus = p.rx_bpdus;
    row.tx_bpdus = p.tx_bpdus;
    row.rx_tcn = p.rx_tcn;
    row.tx_tcn = p.tx_tcn;
    row.forward_transitions = p.forward_transitions;
    r.ports.push_back(std::move(row));
  }
  std::sort(r.ports.begin(), r.ports.end(),
            [](const RstpPortRow& a, const RstpPortRow& c) { return a.name < c.name; });
  return r;
}

bool RstpDriver::clear_bpdu_guard(const std::string& bridge, const std::string& port) {
  std::lock_guard lock(mu_);
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) return false;
  for (auto& [n, pe] : it->second.ports)
    if (pe.name == port) {
      const bool cleared = it->second.machine->clear_bpdu_guard(n, now_ms());
      carry_out(it->second);
      return cleared;
    }
  return false;
}

std::string RstpDriver::port_error(const std::string& port) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, b] : bridges_)
    for (const auto& [n, pe] : b.ports)
      if (pe.name == port) {
        auto s = b.machine->port_status(n);
        if (s && s->bpdu_guard_tripped)
          return "BPDU guard: a BPDU arrived on this edge port, which is disabled (vsctl "
                 "rstp/clear-bpdu-guard " +
                 port + ")";
      }
  return "";
}

}  // namespace lvs::ctl
