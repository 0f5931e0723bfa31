#pragma once
// The 802.1w Rapid Spanning Tree protocol machine of one bridge (IEEE 802.1D-2004 clause 17),
// with 802.1D STP compatibility towards peers that send Configuration / TCN BPDUs (port protocol
// migration, 17.26). Pure: it knows no datapath, no packet buffers and no clock. It is driven by
// received BPDUs, link up/down, configuration and tick(now_ms), and produces BPDUs to send, port
// state changes and FDB flushes (take_output()). Tests drive several bridges over simulated
// links with a simulated clock (tests/switch/rstp/).
//
// The machine follows the standard's behaviour, written as one event-driven function instead of
// the standard's ten communicating state machines:
// - roles (17.19.20 updtRolesTree): the root priority vector is the best of the bridge's own
//   and each port's received vector plus that port's path cost; the port it came from is the
//   root port; a port whose designated vector is better than what it received is designated,
//   else alternate (or backup when what it received came from this bridge);
// - rapid transitions: edge ports forward at once; a designated port that is not forwarding
//   sends proposals and forwards as soon as the peer's root (or alternate) port agrees, else
//   after forward delay twice (discarding -> learning -> forwarding); a root port that receives
//   a proposal first puts every other non-edge designated port that has no agreement into
//   discarding (sync) and then agrees; a new root port forwards at once once the former one is
//   discarding;
// - topology change (17.29): a non-edge port that starts forwarding, or a TC flag / TCN that
//   arrives, flushes the FDB entries of every other non-edge port and sends TC for tcWhile on
//   the root and designated ports;
// - protocol migration: a port that hears 802.1D BPDUs (after the 3 s migration delay) speaks
//   802.1D on that link: Configuration BPDUs from designated ports, TCNs from the root port until
//   acknowledged, and timer-driven transitions (the peer cannot agree);
// - edge: admin edge ports are edge at once, auto edge ports after 3 s without a BPDU; a BPDU
//   makes a port non-edge, or with BPDU guard disables it until clear_bpdu_guard();
// - root guard: such a port is never root port; superior information on it keeps it discarding
//   (root inconsistent) until that information ages out.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "switch/rstp/bpdu.hpp"
#include "switch/rstp/priority.hpp"

namespace lvs::sw::rstp {

enum class PortRole : uint8_t { kDisabled, kRoot, kDesignated, kAlternate, kBackup };
// The byte the datapath reads (switch/stp_port_states.hpp uses the same values).
enum class PortState : uint8_t { kDiscarding = 0, kLearning = 1, kForwarding = 2 };

const char* to_string(PortRole role);
const char* to_string(PortState state);

struct BridgeSettings {
  uint16_t priority = 32768;  // 0..61440 in steps of 4096
  std::array<uint8_t, 6> address{};
  uint16_t max_age = 20, hello_time = 2, forward_delay = 15;  // seconds
  bool operator==(const BridgeSettings&) const = default;
};

struct PortSettings {
  uint8_t priority = 128;      // 0..240 in steps of 16
  uint32_t path_cost = 20000;  // 1..200,000,000 (802.1D-2004 17.14: 20,000 for 1 Gb/s)
  bool admin_edge = false;
  bool auto_edge = true;
  bool bpdu_guard = false;  // an admin edge port that receives a BPDU is disabled
  bool root_guard = false;  // never root port
  bool operator==(const PortSettings&) const = default;
};

inline constexpr uint32_t kMigrateTimeMs = 3000;

struct PortStatus {
  uint16_t number = 0;
  PortId id = 0;
  PortRole role = PortRole::kDisabled;
  PortState state = PortState::kDiscarding;
  uint32_t path_cost = 0;
  bool link_up = false;
  bool oper_edge = false;
  bool stp_peer = false;  // speaking 802.1D on this link
  bool bpdu_guard_tripped = false;
  bool root_inconsistent = false;
  PriorityVector designated;  // what the port's segment agrees on
  uint64_t rx_bpdus = 0, tx_bpdus = 0, rx_tcn = 0, tx_tcn = 0;
  uint64_t forward_transitions = 0;
};

struct BridgeStatus {
  BridgeId bridge_id;
  BridgeId root_id;
  uint32_t root_path_cost = 0;
  std::optional<uint16_t> root_port;  // none when this bridge is the root
  uint16_t max_age = 0, hello_time = 0, forward_delay = 0;  // in use (the root's)
  uint64_t topology_changes = 0;
  std::vector<PortStatus> ports;
};

struct Output {
  struct Tx {
    uint16_t port;
    Bpdu bpdu;
  };
  struct StateChange {
    uint16_t port;
    PortState state;
  };
  std::vector<Tx> tx;
  std::vector<StateChange> states;
  std::vector<uint16_t> flush;  // ports whose learnt MACs go (topology change, port down)
  bool empty() const { return tx.empty() && states.empty() && flush.empty(); }
};

class Bridge {
 public:
  explicit Bridge(const BridgeSettings& settings, uint64_t now_ms = 0);

  void set_settings(const BridgeSettings& settings, uint64_t now_ms);
  // Port numbers are 1..4095. A new port starts with its link down.
  void add_port(uint16_t number, const PortSettings& settings, uint64_t now_ms);
  void set_port(uint16_t number, const PortSettings& settings, uint64_t now_ms);
  void remove_port(uint16_t number, uint64_t now_ms);
  bool has_port(uint16_t number) const { return ports_.count(number) != 0; }
  void link(uint16_t number, bool up, uint64_t now_ms);
  void receive(uint16_t number, const Bpdu& bpdu, uint64_t now_ms);
  void tick(uint64_t now_ms);
  // Re-enables a port that BPDU guard disabled; false when it was not disabled by it.
  bool clear_bpdu_guard(uint16_t number, uint64_t now_ms);

  Output take_output();
  BridgeStatus status() const;
  std::optional<PortStatus> port_status(uint16_t number) const;
  PortState state(uint16_t number) const;
  PortRole role(uint16_t number) const;
  BridgeId id() const { return id_; }

 private:
  enum class Info : uint8_t { kDisabled, kAged, kMine, kReceived };
  struct Times {
    uint16_t message_age = 0, max_age = 20, hello_time = 2, forward_delay = 15;
  };
  struct Port {
    uint16_t number = 0;
    PortId id = 0;
    PortSettings cfg;
    bool link_up = false;
    bool guard_tripped = false;
    bool root_inconsistent = false;
    PortRole role = PortRole::kDisabled;
    PortState state = PortState::kDiscarding;
    Info info = Info::kDisabled;
    PriorityVector vec;  // received, or our designated vector when the info is ours
    Times times;
    uint64_t info_expires = 0;
    bool send_rstp = true;
    uint64_t mdelay_until = 0;
    bool oper_edge = false;
    uint64_t edge_delay_until = 0;
    bool proposing = false, proposed = false, agreed = false, agree = false;
    uint64_t fd_until = 0;  // next discarding->learning->forwarding step (designated ports)
    uint64_t tc_until = 0;  // sending TC flags / TCNs
    bool tc_ack = false;    // acknowledge a TCN in the next Configuration BPDU
    bool new_info = false;
    uint64_t next_hello = 0;
    uint64_t rx_bpdus = 0, tx_bpdus = 0, rx_tcn = 0, tx_tcn = 0, forward_transitions = 0;
    bool enabled() const { return link_up && !guard_tripped; }
  };

  void reselect();
  void set_role(Port& p, PortRole role);
  void set_state(Port& p, PortState state);
  void to_forwarding(Port& p);
  void sync_and_agree(Port& root);
  void topology_change(const Port* from, bool detected);
  void start_tc(Port& p);
  void transmit(Port& p);
  void transmit_pending();
  void enable(Port& p);
  Times root_times() const;
  uint32_t tc_time_ms(const Port& p) const;
  PriorityVector designated_vector(const Port& p) const;

  BridgeSettings cfg_;
  BridgeId id_;
  uint64_t now_ = 0;
  std::map<uint16_t, Port> ports_;
  PriorityVector root_vec_;
  Times root_times_;
  uint16_t root_port_ = 0;  // 0: this bridge is root
  uint64_t topology_changes_ = 0;
  Output out_;
};

}  // namespace lvs::sw::rstp
