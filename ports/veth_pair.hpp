#pragma once
// Control-path helpers for the veth pair behind an internal port (veth_internal_port.hpp): its
// switch end's name, creating the pair, recognising one a killed daemon left, deleting it
// (libnl-route-3). None of these is called on the fast path.
#include <string>

struct nl_sock;

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

// An rtnetlink socket of the network namespace it was opened in: remove() deletes there,
// whichever namespace the calling thread is in (a port is destroyed wherever its last user is).
class NetdevRemover {
 public:
  NetdevRemover();
  ~NetdevRemover();
  NetdevRemover(const NetdevRemover&) = delete;
  NetdevRemover& operator=(const NetdevRemover&) = delete;
  bool ok() const { return sock_ != nullptr; }
  // As delete_netdev, by index (the name may have changed). Empty string on success.
  std::string remove(int ifindex, const std::string& name);

 private:
  nl_sock* sock_;
};

}  // namespace lvs::ports
