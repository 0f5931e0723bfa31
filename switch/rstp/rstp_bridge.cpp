#include "switch/rstp/rstp_bridge.hpp"

#include <algorithm>
#include <tuple>

namespace lvs::sw::rstp {

const char* to_string(PortRole r) {
  switch (r) {
    case PortRole::kDisabled: return "disabled";
    case PortRole::kRoot: return "root";
    case PortRole::kDesignated: return "designated";
    case PortRole::kAlternate: return "alternate";
    case PortRole::kBackup: return "backup";
  }
  return "?";
}

const char* to_string(PortState s) {
  switch (s) {
    case PortState::kDiscarding: return "discarding";
    case PortState::kLearning: return "learning";
    case PortState::kForwarding: return "forwarding";
  }
  return "?";
}

Bridge::Bridge(const BridgeSettings& settings, uint64_t now_ms)
    : cfg_(settings), id_(BridgeId::make(settings.priority, settings.address)), now_(now_ms) {
  reselect();
}

void Bridge::set_settings(const BridgeSettings& settings, uint64_t now_ms) {
  now_ = now_ms;
  if (settings == cfg_) return;
  cfg_ = settings;
  id_ = BridgeId::make(settings.priority, settings.address);
  for (auto& [n, p] : ports_) p.new_info = true;
  reselect();
  transmit_pending();
}

void Bridge::add_port(uint16_t number, const PortSettings& settings, uint64_t now_ms) {
  now_ = now_ms;
  Port p;
  p.number = number;
  p.cfg = settings;
  p.id = make_port_id(settings.priority, number);
  ports_[number] = p;
}

void Bridge::set_port(uint16_t number, const PortSettings& settings, uint64_t now_ms) {
  now_ = now_ms;
  auto it = ports_.find(number);
  if (it == ports_.end() || it->second.cfg == settings) return;
  Port& p = it->second;
  const bool edge_changed = p.cfg.admin_edge != settings.admin_edge;
  p.cfg = settings;
  p.id = make_port_id(settings.priority, number);
  if (!settings.root_guard) p.root_inconsistent = false;
  if (edge_changed && p.enabled()) p.oper_edge = settings.admin_edge;
  p.new_info = true;
  reselect();
  transmit_pending();
}

void Bridge::remove_port(uint16_t number, uint64_t now_ms) {
  now_ = now_ms;
  if (ports_.erase(number) == 0) return;
  if (root_port_ == number) root_port_ = 0;
  reselect();
  transmit_pending();
}

void Bridge::enable(Port& p) {
  p.info = Info::kAged;
  p.send_rstp = true;
  p.mdelay_until = now_ + kMigrateTimeMs;
  p.oper_edge = p.cfg.admin_edge;
  p.edge_delay_until = now_ + kMigrateTimeMs;
  p.proposing = p.proposed = p.agreed = p.agree = false;
  p.root_inconsistent = false;
  p.tc_until = 0;
  p.next_hello = now_;
  p.new_info = true;
}

void Bridge::link(uint16_t number, bool up, uint64_t now_ms) {
  now_ = now_ms;
  auto it = ports_.find(number);
  if (it == ports_.end() || it->second.link_up == up) return;
  Port& p = it->second;
  p.link_up = up;
  if (up && p.enabled()) {
    enable(p);
  } else if (!up) {
    p.info = Info::kDisabled;
    out_.flush.push_back(p.number);  // what was learnt there is gone with the link
  }
  reselect();
  transmit_pending();
}

bool Bridge::clear_bpdu_guard(uint16_t number, uint64_t now_ms) {
  now_ = now_ms;
  auto it = ports_.find(number);
  if (it == ports_.end() || !it->second.guard_tripped) return false;
  Port& p = it->second;
  p.guard_tripped = false;
  if (p.link_up) enable(p);
  reselect();
  transmit_pending();
  return true;
}

Bridge::Times Bridge::root_times() const {
  if (root_port_ == 0)
    return Times{0, cfg_.max_age, cfg_.hello_time, cfg_.forward_delay};
  return root_times_;
}

uint32_t Bridge::tc_time_ms(const Port& p) const {
  const Times t = root_times();
  // 17.21.7 newTcWhile: hello time + 1 towards an RSTP peer, max age + forward delay otherwise.
  return p.send_rstp ? (cfg_.hello_time + 1) * 1000u : (t.max_age + t.forward_delay) * 1000u;
}

PriorityVector Bridge::designated_vector(const Port& p) const {
  return PriorityVector{root_vec_.root, root_vec_.root_path_cost, id_, p.id};
}

// 17.19.20 updtRolesTree, then the role transitions that follow from it.
void Bridge::reselect() {
  const PriorityVector old_root = root_vec_;
  // The best root path: our own vector, or a port's received one plus its cost (ties broken by
  // the receiving port's id, 17.6). Information that came from this bridge is never a root path.
  PriorityVector best{id_, 0, id_, 0};
  PortId best_port_id = 0;
  uint16_t best_port = 0;
  Times best_times{};
  for (auto& [n, p] : ports_) {
    p.root_inconsistent = false;
    if (!p.enabled() || p.info != Info::kReceived) continue;
    if ((p.vec.designated_bridge.value & 0xffffffffffffULL) == (id_.value & 0xffffffffffffULL))
      continue;
    PriorityVector cand = p.vec;
    cand.root_path_cost += p.cfg.path_cost;
    const bool better = best_port == 0 ? cand < best
                                       : std::tie(cand, p.id) < std::tie(best, best_port_id);
    if (!better) continue;
    if (p.cfg.root_guard) {
      p.root_inconsistent = true;
      continue;
    }
    best = cand;
    best_port = n;
    best_port_id = p.id;
    best_times = p.times;
  }
  // Root guard: only information better than the root actually chosen is inconsistent.
  for (auto& [n, p] : ports_) {
    if (!p.root_inconsistent) continue;
    PriorityVector cand = p.vec;
    cand.root_path_cost += p.cfg.path_cost;
    p.root_inconsistent = cand < best;
  }
  root_vec_ = PriorityVector{best.root, best.root_path_cost, id_, 0};
  const uint16_t old_root_port = root_port_;
  root_port_ = best_port;
  if (best_port) {
    root_times_ = best_times;
    root_times_.message_age = static_cast<uint16_t>(best_times.message_age + 1);
  }
  const bool root_changed = old_root.root != root_vec_.root ||
                            old_root.root_path_cost != root_vec_.root_path_cost ||
                            old_root_port != root_port_;

  // An agreement was given for the former root information only.
  if (root_changed)
    for (auto& [n, p] : ports_) {
      p.agree = false;
      if (p.role == PortRole::kDesignated) p.new_info = true;
    }
  std::map<uint16_t, PortRole> roles;
  for (auto& [n, p] : ports_) {
    PortRole r;
    if (!p.enabled()) {
      r = PortRole::kDisabled;
    } else if (n == root_port_) {
      r = PortRole::kRoot;
    } else if (p.root_inconsistent) {
      r = PortRole::kAlternate;
    } else if (p.info == Info::kReceived && !(designated_vector(p) < p.vec)) {
      const bool from_us =
          (p.vec.designated_bridge.value & 0xffffffffffffULL) == (id_.value & 0xffffffffffffULL);
      r = from_us ? PortRole::kBackup : PortRole::kAlternate;
    } else {
      r = PortRole::kDesignated;
    }
    roles[n] = r;
  }
  // Demotions first (a port leaving root or designated stops forwarding), then designated
  // ports (a former root port among them stops forwarding), then the root port: a new root
  // port never forwards while the former one still does.
  for (int pass = 0; pass < 3; ++pass)
    for (auto& [n, p] : ports_) {
      const PortRole r = roles[n];
      const int want = r == PortRole::kRoot ? 2 : r == PortRole::kDesignated ? 1 : 0;
      if (want != pass) continue;
      if (r == PortRole::kDesignated) {
        if (p.info != Info::kMine || root_changed || p.vec != designated_vector(p)) {
          p.info = Info::kMine;
          p.vec = designated_vector(p);
          p.new_info = true;
        }
        if (root_changed && p.role == PortRole::kDesignated) p.agreed = false;
      }
      set_role(p, r);
    }
}

void Bridge::set_role(Port& p, PortRole r) {
  const PortRole old = p.role;
  p.role = r;
  switch (r) {
    case PortRole::kDisabled:
    case PortRole::kAlternate:
    case PortRole::kBackup:
      set_state(p, PortState::kDiscarding);
      p.proposing = false;
      p.agreed = false;
      p.fd_until = 0;
      p.tc_until = 0;
      if (r != PortRole::kDisabled && p.proposed) {
        // A discarding port agrees at once (17.29.4 ALTERNATE_AGREED).
        p.proposed = false;
        p.agree = true;
        p.new_info = true;
      }
      break;
    case PortRole::kRoot:
      if (old != PortRole::kRoot) {
        p.proposing = false;
        p.agreed = false;
        p.fd_until = 0;
        p.new_info = true;
        if (p.proposed) sync_and_agree(p);
        // 17.29.2 ROOT_FORWARD: with no other port recently root (the former root port was just
        // set discarding above) the new root port forwards at once; else after forward delay.
        bool other_root_forwarding = false;
        for (auto& [n, q] : ports_)
          if (&q != &p && q.role == PortRole::kRoot && q.state != PortState::kDiscarding)
            other_root_forwarding = true;
        if (!other_root_forwarding) to_forwarding(p);
        else p.fd_until = now_ + root_times().forward_delay * 1000u;
      } else if (p.proposed) {
        sync_and_agree(p);
      }
      break;
    case PortRole::kDesignated:
      if (old != PortRole::kDesignated) {
        if (old == PortRole::kRoot) set_state(p, PortState::kDiscarding);
        p.agreed = false;
        p.new_info = true;
        if (p.oper_edge) {
          to_forwarding(p);
        } else if (p.state != PortState::kForwarding) {
          p.proposing = true;
          p.fd_until = now_ + root_times().forward_delay * 1000u;
        }
      }
      break;
  }
}

void Bridge::set_state(Port& p, PortState s) {
  if (p.state == s) return;
  p.state = s;
  out_.states.push_back({p.number, s});
}

void Bridge::to_forwarding(Port& p) {
  if (p.state == PortState::kForwarding) return;
  set_state(p, PortState::kForwarding);
  p.fd_until = 0;
  p.proposing = false;
  ++p.forward_transitions;
  // 17.29 DETECTED: a non-edge port that starts forwarding is a topology change.
  if (!p.oper_edge) topology_change(&p, true);
}

// 17.29.2 ROOT_PROPOSED / ROOT_AGREED: every other non-edge designated port without an agreement
// stops forwarding, then the root port agrees (it can: nothing else forwards that could loop).
void Bridge::sync_and_agree(Port& root) {
  for (auto& [n, q] : ports_) {
    if (&q == &root || q.role != PortRole::kDesignated || q.oper_edge || q.agreed) continue;
    if (q.state != PortState::kDiscarding) set_state(q, PortState::kDiscarding);
    q.proposing = true;
    q.fd_until = now_ + root_times().forward_delay * 1000u;
    q.new_info = true;
  }
  root.proposed = false;
  root.agree = true;
  root.new_info = true;
}

void Bridge::start_tc(Port& p) {
  if (p.oper_edge || (p.role != PortRole::kRoot && p.role != PortRole::kDesignated)) return;
  // 17.21.7 newTcWhile: an RSTP port starts it only when not running, so that TCs die out
  // instead of bouncing; towards an 802.1D bridge each notification keeps the root's TC flag
  // up for max age + forward delay (802.1D-1998 8.5.3.12), which only hellos carry.
  if (!p.send_rstp) {
    p.tc_until = std::max(p.tc_until, now_ + tc_time_ms(p));
    return;
  }
  if (p.tc_until > now_) return;
  p.tc_until = now_ + tc_time_ms(p);
  p.new_info = true;
}

// 17.29 topology change: flush what every other non-edge port learnt and send TC on the root
// and designated ports (the detecting port too; a receiving port does not send it back).
void Bridge::topology_change(const Port* from, bool detected) {
  ++topology_changes_;
  for (auto& [n, q] : ports_) {
    if (&q == from) continue;
    if (!q.oper_edge) out_.flush.push_back(n);
    start_tc(q);
  }
  if (detected && from) start_tc(const_cast<Port&>(*from));
}

void Bridge::receive(uint16_t number, const Bpdu& b, uint64_t now_ms) {
  now_ = now_ms;
  auto it = ports_.find(number);
  if (it == ports_.end()) return;
  Port& p = it->second;
  if (!p.enabled()) return;
  ++p.rx_bpdus;
  if (p.cfg.admin_edge && p.cfg.bpdu_guard) {
    p.guard_tripped = true;
    p.info = Info::kDisabled;
    out_.flush.push_back(p.number);
    reselect();
    transmit_pending();
    return;
  }
  p.oper_edge = false;
  p.edge_delay_until = 0;
  // 17.26 port protocol migration.
  if (now_ >= p.mdelay_until && p.send_rstp != b.rstp()) {
    p.send_rstp = b.rstp();
    p.mdelay_until = now_ + kMigrateTimeMs;
    p.new_info = true;
  }
  if (b.type == BpduType::kTcn) {
    ++p.rx_tcn;
    if (p.role == PortRole::kDesignated) {
      // 17.29 NOTIFIED_TCN: acknowledge, and send TC back to the 802.1D bridge too (it shortens
      // its aging while our Configuration BPDUs carry the flag).
      p.tc_ack = true;
      p.new_info = true;
      topology_change(&p, false);
      start_tc(p);
    }
    transmit_pending();
    return;
  }
  const Times t{b.message_age, b.max_age, b.hello_time, b.forward_delay};
  const WireRole role = b.rstp() ? b.role() : WireRole::kDesignated;
  if (role == WireRole::kDesignated) {
    bool changed = false;
    if (b.message_age >= b.max_age) return;  // 17.19.22: too old to be used
    const bool same_sender = p.info == Info::kReceived &&
                             b.vector.designated_bridge == p.vec.designated_bridge &&
                             b.vector.designated_port == p.vec.designated_port;
    // 17.21.8 rcvInfo: superior (better than what the port holds, or its sender changed its
    // mind), repeated, or inferior.
    const bool superior = p.info == Info::kAged || b.vector < p.vec ||
                          (same_sender && b.vector != p.vec);
    if (!superior && !same_sender) {
      // Inferior information from a bridge that thinks it is designated: tell it better.
      if (p.info == Info::kMine && p.vec < b.vector) p.new_info = true;
    } else {
      changed = superior;
      const bool times_changed = p.times.max_age != t.max_age ||
                                 p.times.forward_delay != t.forward_delay ||
                                 p.times.hello_time != t.hello_time;
      p.vec = b.vector;
      p.times = t;
      p.info = Info::kReceived;
      // 17.21.23: three hellos of an RSTP peer; an 802.1D peer's information lasts max age.
      p.info_expires = now_ + (b.rstp() ? 3u * std::max<uint16_t>(t.hello_time, 1) * 1000u
                                        : (t.max_age - t.message_age) * 1000u);
      if (changed) p.agreed = p.proposing = false;
      p.proposed = b.rstp() && (b.flags & kFlagProposal);
      if (changed || (times_changed && p.role == PortRole::kRoot)) {
        reselect();
      } else if (p.proposed && p.role == PortRole::kRoot) {
        sync_and_agree(p);
      } else if (p.proposed && (p.role == PortRole::kAlternate || p.role == PortRole::kBackup)) {
        p.proposed = false;
        p.agree = true;
        p.new_info = true;
      }
    }
    if (!b.rstp() && (b.flags & kFlagTcAck) && p.role == PortRole::kRoot) p.tc_until = 0;
  } else if (p.role == PortRole::kDesignated && (b.flags & kFlagAgreement) &&
             b.vector.root == root_vec_.root) {
    // 17.21.9 recordAgreement: the peer's root or alternate port agrees with our information.
    p.agreed = true;
    p.proposing = false;
    to_forwarding(p);
  }
  if (b.flags & kFlagTc) {
    // An RSTP TC from any port, an 802.1D TC flag from our root (17.29 NOTIFIED_TC).
    // Alternate and backup ports do not take part (17.29 INACTIVE / LEARNING).
    if (p.role == PortRole::kRoot || (b.rstp() && p.role == PortRole::kDesignated))
      topology_change(&p, false);
  }
  transmit_pending();
}

void Bridge::tick(uint64_t now_ms) {
  now_ = now_ms;
  bool again = false;
  for (auto& [n, p] : ports_) {
    if (!p.enabled()) continue;
    if (p.info == Info::kReceived && now_ >= p.info_expires) {
      p.info = Info::kAged;  // 17.27 the information aged out
      again = true;
    }
    if (p.cfg.auto_edge && !p.oper_edge && p.edge_delay_until && now_ >= p.edge_delay_until &&
        p.role == PortRole::kDesignated) {
      p.oper_edge = true;  // 17.25 bridge detection: no BPDU came
      p.edge_delay_until = 0;
      if (p.state != PortState::kForwarding) {
        set_state(p, PortState::kForwarding);
        ++p.forward_transitions;
        p.proposing = false;
        p.fd_until = 0;
      }
    }
  }
  if (again) reselect();
  for (auto& [n, p] : ports_) {
    if ((p.role == PortRole::kDesignated || p.role == PortRole::kRoot) && p.fd_until &&
        now_ >= p.fd_until) {
      if (p.state == PortState::kDiscarding) {
        set_state(p, PortState::kLearning);
        p.fd_until = now_ + root_times().forward_delay * 1000u;
        p.new_info = true;
      } else {
        to_forwarding(p);
      }
    }
    if (p.enabled() && now_ >= p.next_hello) {
      const bool tcn = !p.send_rstp && p.role == PortRole::kRoot && p.tc_until > now_;
      if (p.role == PortRole::kDesignated || tcn) p.new_info = true;
    }
  }
  transmit_pending();
}

void Bridge::transmit_pending() {
  for (auto& [n, p] : ports_)
    if (p.new_info && p.enabled()) transmit(p);
}

// 17.21.19-21 txConfig / txTcn / txRstp.
void Bridge::transmit(Port& p) {
  p.new_info = false;
  p.next_hello = now_ + cfg_.hello_time * 1000u;
  const bool tc = p.tc_until > now_;
  Bpdu b;
  if (!p.send_rstp) {
    if (p.role == PortRole::kRoot) {
      if (!tc) return;
      b.type = BpduType::kTcn;
      b.version = 0;
      ++p.tx_tcn;
    } else if (p.role == PortRole::kDesignated) {
      b.type = BpduType::kConfig;
      b.version = 0;
      b.flags = static_cast<uint8_t>((tc ? kFlagTc : 0) | (p.tc_ack ? kFlagTcAck : 0));
      p.tc_ack = false;
    } else {
      return;  // 802.1D alternate ports are silent
    }
  } else {
    b.type = BpduType::kRst;
    b.version = 2;
    if (p.role == PortRole::kDesignated) b.set_role(WireRole::kDesignated);
    else if (p.role == PortRole::kRoot) b.set_role(WireRole::kRoot);
    else b.set_role(WireRole::kAlternateBackup);
    if (p.role != PortRole::kDesignated && !p.agree && !tc) return;  // only designated ports speak unasked
    uint8_t f = 0;
    if (tc) f |= kFlagTc;
    if (p.role == PortRole::kDesignated && p.proposing && !p.oper_edge) f |= kFlagProposal;
    if (p.state != PortState::kDiscarding) f |= kFlagLearning;
    if (p.state == PortState::kForwarding) f |= kFlagForwarding;
    if (p.agree && p.role != PortRole::kDesignated) f |= kFlagAgreement;
    b.flags = static_cast<uint8_t>(b.flags | f);
  }
  b.vector = designated_vector(p);
  const Times t = root_times();
  b.message_age = t.message_age;
  b.max_age = t.max_age;
  b.hello_time = cfg_.hello_time;
  b.forward_delay = t.forward_delay;
  ++p.tx_bpdus;
  out_.tx.push_back({p.number, b});
}

Output Bridge::take_output() {
  Output o = std::move(out_);
  out_ = Output{};
  return o;
}

std::optional<PortStatus> Bridge::port_status(uint16_t number) const {
  auto it = ports_.find(number);
  if (it == ports_.end()) return std::nullopt;
  const Port& p = it->second;
  PortStatus s;
  s.number = p.number;
  s.id = p.id;
  s.role = p.role;
  s.state = p.state;
  s.path_cost = p.cfg.path_cost;
  s.link_up = p.link_up;
  s.oper_edge = p.oper_edge;
  s.stp_peer = !p.send_rstp;
  s.bpdu_guard_tripped = p.guard_tripped;
  s.root_inconsistent = p.root_inconsistent;
  s.designated = p.vec;
  s.rx_bpdus = p.rx_bpdus;
  s.tx_bpdus = p.tx_bpdus;
  s.rx_tcn = p.rx_tcn;
  s.tx_tcn = p.tx_tcn;
  s.forward_transitions = p.forward_transitions;
  return s;
}

BridgeStatus Bridge::status() const {
  BridgeStatus s;
  s.bridge_id = id_;
  s.root_id = root_vec_.root;
  s.root_path_cost = root_vec_.root_path_cost;
  if (root_port_) s.root_port = root_port_;
  const Times t = root_times();
  s.max_age = t.max_age;
  s.hello_time = cfg_.hello_time;
  s.forward_delay = t.forward_delay;
  s.topology_changes = topology_changes_;
  for (const auto& [n, p] : ports_) s.ports.push_back(*port_status(n));
  return s;
}

PortState Bridge::state(uint16_t number) const {
  auto it = ports_.find(number);
  return it == ports_.end() ? PortState::kDiscarding : it->second.state;
}

PortRole Bridge::role(uint16_t number) const {
  auto it = ports_.find(number);
  return it == ports_.end() ? PortRole::kDisabled : it->second.role;
}

}  // namespace lvs::sw::rstp
