#pragma once
// Kind "internal" (the default device, options:device=veth): the bridge's own interface in the
// host as one end of a veth pair, named after the port (br0 carries 172.17.0.1/16, docker0's
// role). The switch reads and writes the other end, internal_switch_end(name) ("lvi" + 8 hex
// digits), through the batched AF_PACKET path (afpacket_port.hpp: recvmmsg/sendmmsg of 32 with
// virtio-net headers, so host <-> container TCP keeps TSO and pending checksums). Through the
// switch it is no faster than a tap (tap_port.hpp, device=tap; the kernel's per-frame work
// dominates, bench/results/internal-port-2026-12-01.md); what it opens is the path the kernel
// offload takes for container <-> host (ports/offload/: its programs on the switch end,
// switch_end_ifindex(), and its socket, fd(); bpf_redirect out of the switch end), 2-4x the
// tap's TCP (bench/results/internal-port-offload-2026-12-01.md).
//
// Lifecycle: the pair is created on open and deleted when the port is destroyed. A veth outlives
// the process (a tap does not), so open first deletes a pair of ours that a killed daemon left
// (`name` a veth whose peer is the switch end); any other interface named `name` is an error.
// Frames go through the wrapped AfPacketPort; its malformed-frame count stays in
// kernel_counters().rx_invalid (the host's own stack does not send such frames).
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "ports/afpacket_port.hpp"
#include "ports/kernel_frame.hpp"
#include "ports/veth_pair.hpp"
#include "switch/port.hpp"

namespace lvs::ports {

class VethInternalPort final : public sw::Port {
 public:
  // Creates the pair `name` / internal_switch_end(name), both up, and opens the switch end.
  // Returns nullptr and sets `error` when that fails (and leaves no pair behind).
  static std::shared_ptr<VethInternalPort> create(const std::string& name, rte_mempool* pool,
                                                  std::string& error);
  ~VethInternalPort() override;

  std::string_view kind() const override { return "internal"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return switch_end_->rx_burst(q, pkts, n);
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    const uint16_t sent = switch_end_->tx_burst(q, pkts, n);
    // The switch end re-reads its MTU when the kernel refuses a frame as too big: Port::send
    // then counts what is left as too_big on this port.
    if (__builtin_expect(sent < n, 0)) set_max_frame_len(switch_end_->max_frame_len());
    return sent;
  }
  sw::PortStatus status() const override;

  // Adds an IPv4 address ("172.17.0.1/16") to the host end through rtnetlink. Empty on success.
  std::string add_ipv4(const std::string& cidr) const;
  KernelPortCounters kernel_counters() const { return switch_end_->kernel_counters(); }
  int ifindex() const { return ifindex_; }  // the host end
  const std::string& switch_end() const { return switch_end_->ifname(); }
  int switch_end_ifindex() const { return switch_end_->ifindex(); }
  int fd() const { return switch_end_->fd(); }
  int rx_wait_fd(uint16_t q) const override { return switch_end_->rx_wait_fd(q); }
  int rx_ready_fd(uint16_t q) const override { return switch_end_->rx_ready_fd(q); }
  bool concurrent_destroy_ok() const override { return true; }
  void release_buffers() override { switch_end_->release_buffers(); }

 private:
  VethInternalPort(std::string name, int ifindex, std::shared_ptr<AfPacketPort> switch_end);

  int ifindex_;
  std::shared_ptr<AfPacketPort> switch_end_;
  NetdevRemover remover_;  // of the namespace the pair was made in
};

}  // namespace lvs::ports
