#pragma once
// Kind "vxlan" on the kernel vxlan device (the default for the kernel underlay, see
// tunnels/README.md): an AF_PACKET port (ports/afpacket_port.hpp, virtio-net headers kept, so TSO
// super-frames and pending checksums go to the kernel whole) on this daemon's collect_md vxlan
// device of its dst_port (kernel_vxlan_device.hpp). The kernel does the tunnel encapsulation,
// GSO and checksums; its identity on the shared device is an id: what its socket sends carries
// the mark LVX_TX_MARK | id (the device's tc egress sets the port's tunnel key from it), and its
// socket takes only frames marked LVX_RX_MARK | id (set by the device's tc ingress for its
// (remote_ip, local_ip, in_key); without local_ip, for any local address no other port has). Packets from its remote with another key count as its `no_tunnel` drops
// (read from the device's mapped counters once per burst, no syscall).
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "ports/afpacket_port.hpp"
#include "switch/port.hpp"
#include "tunnels/kernel_vxlan_device.hpp"
#include "tunnels/tunnel_config.hpp"

namespace lvs::tunnels {

class KernelVxlanPort final : public sw::Port {
 public:
  // nullptr and `error` when the device, its programs or the socket cannot be had (the caller
  // then falls back to the UDP-socket underlay), or when the options conflict with another port.
  // `device_failed`: set when the device itself could not be had (fall back).
  static std::shared_ptr<KernelVxlanPort> open(const std::string& name, const TunnelConfig& config,
                                               rte_mempool* pool, std::string& error,
                                               bool& device_failed);
  ~KernelVxlanPort() override;

  std::string_view kind() const override { return "vxlan"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return afp_->tx_burst(q, pkts, n);
  }
  sw::PortStatus status() const override;
  int rx_wait_fd(uint16_t q) const override { return afp_->rx_wait_fd(q); }
  int rx_ready_fd(uint16_t q) const override { return afp_->rx_ready_fd(q); }
  bool concurrent_destroy_ok() const override { return true; }
  void release_buffers() override { afp_->release_buffers(); }

  const TunnelConfig& config() const { return config_; }
  uint32_t id() const { return id_; }
  const KernelVxlanDevice& device() const { return *device_; }
  std::shared_ptr<const KernelVxlanDevice> shared_device() const { return device_; }

 private:
  KernelVxlanPort(std::string name, const TunnelConfig& config,
                  std::shared_ptr<KernelVxlanDevice> device, uint32_t id);
  void sync_counters();  // the device's counters into this port's drops (rx_burst's thread)

  TunnelConfig config_;
  std::shared_ptr<KernelVxlanDevice> device_;
  uint32_t id_;
  std::shared_ptr<ports::AfPacketPort> afp_;
  uint64_t no_tunnel_seen_ = 0;
  uint64_t unknown_seen_ = 0;
  uint64_t unknown_logged_at_ = 0;  // TSC of the last log line about unknown remotes
};

}  // namespace lvs::tunnels
