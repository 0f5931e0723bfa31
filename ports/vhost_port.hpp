#pragma once
// vhost-user ports for VMs and DPDK containers using virtio-user: kinds `dpdkvhostuser` (the switch
// serves the socket) and `dpdkvhostuserclient` (the switch connects to the peer's socket and
// reconnects when the peer restarts). Built on DPDK's net_vhost PMD (rte_vhost underneath): its
// event thread handles the vhost-user messages, the PMD threads only call rx/tx bursts, which
// return 0 while no peer is attached. Link state follows the peer (up once the virtio driver is
// ready, down when it goes), so a peer that goes away never disturbs the other ports.
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "ports/ethdev_port.hpp"
#include "switch/port.hpp"

namespace lvs::ports {

struct VhostUserOptions {
  std::string socket_path;  // the unix socket: served (server mode) or connected to (client mode)
  bool client = false;      // dpdkvhostuserclient
  uint16_t queues = 1;      // queue pairs offered; one per PMD thread
};

// What is wrong with a socket path for vhost-user (empty when fine): absolute, fits sun_path, and
// no
// ',' (devargs separator).
std::string check_vhost_socket_path(const std::string& path);

class VhostUserPort final : public sw::Port {
 public:
  // Creates the net_vhost device for `name` and starts it (server mode: the socket exists when this
  // returns; a stale socket left by a dead process is removed, a live one is an error). Returns
  // nullptr and sets `error` when that fails.
  static std::shared_ptr<VhostUserPort> open(const std::string& name, const VhostUserOptions& o,
                                             rte_mempool* pool, std::string& error);

  std::string_view kind() const override {
    return client_ ? "dpdkvhostuserclient" : "dpdkvhostuser";
  }
  uint16_t rx_queue_count() const override { return dev_->rx_queue_count(); }
  // Qualified calls: EthdevPort is final, so these are direct calls, once per burst.
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return dev_->EthdevPort::rx_burst(q, pkts, n);
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return dev_->EthdevPort::tx_burst(q, pkts, n);
  }
  sw::PortStatus status() const override;
  const std::string& socket_path() const { return socket_path_; }
  uint16_t port_id() const { return dev_->port_id(); }

 private:
  VhostUserPort(std::string name, std::shared_ptr<EthdevPort> dev, std::string socket_path,
                bool client);
  std::shared_ptr<EthdevPort> dev_;
  std::string socket_path_;
  bool client_;
};

}  // namespace lvs::ports
