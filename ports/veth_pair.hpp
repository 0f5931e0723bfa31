#pragma once
// Control-path helpers for the veth pair behind an internal port (veth_internal_port.hpp): its
// switch end's name, creating the pair, recognising one a killed daemon left, deleting it
// (libnl-route-3). None of these is called on the fast path.
#include <string>

namespace lvs::ports {

// The switch end of internal port `name`: "lvi" and 8 hex digits of a hash of the name (15
// characters at most whatever the port's name, and the same on every start, so that a restart
// finds what a killed daemon left).
std::string internal_switch_end(const std::string& name);

// Creates veth pair `host` / `peer` in the caller's network namespace. Empty string on success,
// else what the kernel answered.
std::string create_veth_pair(const std::string& host, const std::string& peer);

// True when `host` is a veth whose peer is the interface named `peer`.
bool is_veth_pair(const std::string& host, const std::string& peer);

// Deletes interface `name` (a veth's peer goes with it); an interface already gone is no error.
std::string delete_netdev(const std::string& name);

}  // namespace lvs::ports
