#pragma once
// The collect_md ("external") kernel vxlan device that carries this daemon's VXLAN tunnel ports
// of one dst_port (`lvx<dst_port>` in vswitchd's namespace: nolearning, up, MTU 65535 so TSO
// super-frames pass whole, no IPv6 address of its own), with the tc programs of
// bpf/kernel_vxlan.bpf.c on it: each port is an id; its socket's mark selects its tunnel key on
// egress, and (remote, local, VNI), else (remote, any local, VNI), selects its id on ingress
// (kernel_vxlan_port.hpp). Shared by the ports of that dst_port (acquire()); the device is
// deleted when the last of them goes. A device of
// that name left by a killed daemon is replaced. Compiled out without clang / libbpf
// (available() false): the VXLAN ports then use the UDP-socket underlay.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tunnels/tunnel_config.hpp"

struct bpf_object;  // libbpf

namespace lvs::tunnels {

class KernelVxlanDevice {
 public:
  static bool available();
  // The device for `dst_port`, created (or a stale one replaced) on the first call; nullptr and
  // `error` when the kernel refuses the device or the programs.
  static std::shared_ptr<KernelVxlanDevice> acquire(uint16_t dst_port, std::string& error);
  // Deletes every `lvx*` device whose tc programs are ours (a killed daemon's), except those in
  // use by this process. Returns how many went.
  static int remove_stale();
  static std::string device_name(uint16_t dst_port) { return "lvx" + std::to_string(dst_port); }
  ~KernelVxlanDevice();

  // A port id (1..4095) for port `name` with `config`'s tunnel key; 0 and `error` (naming the
  // other port) when full or when another port of this device already receives the same
  // (remote_ip, local_ip, in_key) (same_receive_key: one with local_ip beside one without is fine).
  uint32_t add_port(const std::string& name, const TunnelConfig& config, std::string& error);
  void remove_port(uint32_t id);

  const std::string& ifname() const { return ifname_; }
  int ifindex() const { return ifindex_; }
  // The BPF counters (kernel_vxlan_maps.h: [0] unknown remote, [id] no_tunnel of id), mapped
  // into memory: read with no syscall.
  uint64_t counter(uint32_t index) const;
  // The kernel offload's program for the device's marked frames (tail call), or none (< 0).
  bool set_offload(int prog_fd) const;

 private:
  KernelVxlanDevice() = default;
  std::string open(uint16_t dst_port);

  std::string ifname_;
  int ifindex_ = 0;
  ::bpf_object* obj_ = nullptr;
  int tx_map_ = -1, rx_map_ = -1, offload_map_ = -1;
  volatile uint64_t* counters_ = nullptr;
  size_t counters_len_ = 0;
  struct Entry {
    std::string name;
    TunnelConfig config;
  };
  std::mutex mu_;                    // ports_
  std::map<uint32_t, Entry> ports_;  // by id
};

}  // namespace lvs::tunnels
