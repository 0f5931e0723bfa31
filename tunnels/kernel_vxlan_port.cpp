#include "tunnels/kernel_vxlan_port.hpp"

#include <rte_cycles.h>
#include <rte_log.h>

#include "switch/drop_reason.hpp"
#include "tunnels/bpf/kernel_vxlan_maps.h"

namespace lvs::tunnels {

std::shared_ptr<KernelVxlanPort> KernelVxlanPort::open(const std::string& name,
                                                       const TunnelConfig& config,
                                                       rte_mempool* pool, std::string& error,
                                                       bool& device_failed) {
  auto device = KernelVxlanDevice::acquire(config.dst_port, error);
  device_failed = !device;
  if (!device) return nullptr;
  const uint32_t id = device->add_port(name, config, error);
  if (id == 0) return nullptr;
  auto port = std::shared_ptr<KernelVxlanPort>(new KernelVxlanPort(name, config, device, id));
  // The qdisc stays on the path: the device's tc egress gives each frame its tunnel key.
  const ports::AfPacketOptions o{.qdisc_bypass = false,
                                 .tx_mark = LVX_TX_MARK | id,
                                 .rx_mark = LVX_RX_MARK | id};
  port->afp_ = ports::AfPacketPort::open(name, device->ifname(), pool, error, o);
  if (!port->afp_) return nullptr;  // the destructor gives the id back
  port->no_tunnel_seen_ = device->counter(id);
  port->unknown_seen_ = device->counter(0);
  return port;
}

KernelVxlanPort::KernelVxlanPort(std::string name, const TunnelConfig& config,
                                 std::shared_ptr<KernelVxlanDevice> device, uint32_t id)
    : Port(std::move(name)), config_(config), device_(std::move(device)), id_(id) {}

KernelVxlanPort::~KernelVxlanPort() {
  afp_.reset();
  device_->remove_port(id_);
}

uint16_t KernelVxlanPort::rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) {
  const uint16_t got = afp_->rx_burst(q, pkts, n);
  sync_counters();
  return got;
}

void KernelVxlanPort::sync_counters() {
  if (const uint64_t c = device_->counter(id_); __builtin_expect(c != no_tunnel_seen_, 0)) {
    stats().add_drop(sw::DropReason::kNoTunnel, c - no_tunnel_seen_);
    no_tunnel_seen_ = c;
  }
  // Packets of no known remote: one log line per 10 s at most (any port of the device may log).
  if (const uint64_t u = device_->counter(0); __builtin_expect(u != unknown_seen_, 0)) {
    const uint64_t now = rte_get_tsc_cycles();
    if (unknown_logged_at_ == 0 || now - unknown_logged_at_ > 10 * rte_get_tsc_hz()) {
      RTE_LOG(NOTICE, USER1, "%s: %llu tunnel packets from no known remote or key (%llu in all)\n",
              device_->ifname().c_str(), static_cast<unsigned long long>(u - unknown_seen_),
              static_cast<unsigned long long>(u));
      unknown_logged_at_ = now;
      unknown_seen_ = u;
    }
  }
}

sw::PortStatus KernelVxlanPort::status() const {
  sw::PortStatus s = afp_->status();
  s.mac.clear();
  return s;
}

}  // namespace lvs::tunnels
