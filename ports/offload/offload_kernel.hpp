#pragma once
// The kernel side of offload (offload.bpf.c): loads the BPF object embedded in the binary with
// libbpf, attaches its tc program to a host-side veth's clsact ingress and its socket filter to
// the switch's AF_PACKET socket on it, and reads and writes the three maps. Control thread only.
// Built without clang/libbpf (LVS_HAVE_OFFLOAD unset), load() says so and nothing else runs.
#include <cstdint>
#include <memory>
#include <string>

#include "ports/offload/offload_maps.h"

struct bpf_object;

namespace lvs::ports {

class OffloadKernel {
 public:
  // Loads programs and maps; nullptr and `error` (one line) when the kernel or build cannot.
  static std::unique_ptr<OffloadKernel> load(std::string& error);
  ~OffloadKernel();  // detaches what is attached; programs and maps go with the last reference
  OffloadKernel(const OffloadKernel&) = delete;
  OffloadKernel& operator=(const OffloadKernel&) = delete;

  // tc ingress on `ifindex` (replacing a filter of ours left there) and the socket filter on
  // `sock_fd`. Empty on success, else what failed.
  std::string attach(int ifindex, int sock_fd);
  // Undoes attach(); sock_fd < 0 when the socket is already closed.
  void detach(int ifindex, int sock_fd);

  bool put_flow(const lvs_flow_key& key, const lvs_flow_val& val);
  // Removes the entry, returning its last counters in `last` (zeroed when it was not there).
  void take_flow(const lvs_flow_key& key, lvs_flow_val& last);
  bool get_flow(const lvs_flow_key& key, lvs_flow_val& val) const;
  // Puts the station on `ifindex`, not moved (its last-seen time kept if it was there already).
  bool put_station(const lvs_station_key& key, uint32_t ifindex);
  void del_station(const lvs_station_key& key);
  bool get_station(const lvs_station_key& key, lvs_station_val& val) const;
  bool put_port_vlan(const lvs_port_key& key, const lvs_port_val& val);
  void del_port_vlan(const lvs_port_key& key);

  // Removes a tc filter of ours (a killed daemon's) from `ifindex`'s ingress; true if one was.
  static bool remove_stale(int ifindex);
  // The interface is a veth (ethtool driver "veth"): bpf_redirect_peer reaches its peer.
  static bool is_veth(const std::string& ifname);
  // lvs_tc_tunnel_ingress, for the vxlan device's tail call (KernelVxlanDevice::set_offload).
  int tunnel_prog_fd() const { return tunnel_fd_; }

 private:
  OffloadKernel() = default;
  bpf_object* obj_ = nullptr;
  int tunnel_fd_ = -1;
  int tc_fd_ = -1, sock_fd_prog_ = -1, flows_fd_ = -1, stations_fd_ = -1, port_vlans_fd_ = -1;
};

}  // namespace lvs::ports
