#pragma once
// One descriptor per port kind (Open vSwitch's netdev_class): the Interface type it answers to,
// how it checks its options, its split-horizon group, the port it may leave by, what it costs
// the MTU. No DPDK here: validation, vsctl's engine and vsattach read these. The daemon's
// PortFactory (port_factory.hpp) adds how to open a port of the kind.
// A kind is its file in ctl/kinds/, one line in port_kind_list.cpp and one in port_kinds.cpp.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ctl/config.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

struct PortKind {
  std::string_view name;  // the Interface type, e.g. "vxlan"
  // Options it reads, space separated (documentation, and `accepts_option`).
  std::string_view options;
  // Checks a port's options; `at` is "port NAME: ". Null: nothing to check.
  Status (*check_options)(const PortConfig& port, const std::string& at) = nullptr;
  // Ports of one non-zero group never forward to each other (tunnels: 1, so a full mesh of
  // tunnels cannot loop).
  uint8_t split_horizon_group = 0;
  // The switch port this one leaves by (a tunnel with options:underlay=port), empty when none.
  // Null for kinds that never leave by another port. Such a port opens after that port and
  // closes and reopens with it.
  std::string (*underlay_port)(const PortConfig& port) = nullptr;
  // Bytes the kind adds around an inner frame, its Ethernet header included: a bridge with
  // such a port fits containers of MTU (underlay MTU - overhead). Null: the kind adds none.
  int (*mtu_overhead)(const PortConfig& port) = nullptr;

  bool accepts_option(std::string_view option) const;
};

// For check_options: options:KEY, when set, must be `a` or `b`; the error names the key, both
// choices and the value given.
Status check_option_choice(const PortConfig& port, const std::string& at, const std::string& key,
                           std::string_view a, std::string_view b);

// Every kind this build knows (port_kind_list.cpp), in --help order.
std::span<const PortKind* const> port_kinds();
// The kind of an Interface type ("" is system), or null when no such kind exists.
const PortKind* find_port_kind(std::string_view type);
// The kind of a port; null only for a type validate() refuses.
const PortKind* kind_of(const PortConfig& port);

}  // namespace lvs::ctl
