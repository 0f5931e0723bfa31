#pragma once
// vhost-user ports for VMs and DPDK containers using virtio-user: kinds `dpdkvhostuser` (the switch
// serves the socket) and `dpdkvhostuserclient` (the switch connects to the peer's socket and
// reconnects when the peer restarts). Built on DPDK's net_vhost PMD (rte_vhost underneath): its
// event thread handles the vhost-user messages, the PMD threads only call rx/tx bursts, which
// return 0 while no peer is attached. Link state follows the peer (up once the virtio driver is
// ready, down when it goes), so a peer that goes away never disturbs the other ports.
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ports/ethdev_port.hpp"
#include "ports/vhost_socket_path.hpp"
#include "switch/port.hpp"

namespace lvs::ports {

struct VhostUserOptions {
  std::string socket_path;  // the unix socket: served (server mode) or connected to (client mode)
  bool client = false;      // dpdkvhostuserclient
  uint16_t queues = 1;      // queue pairs offered; one per PMD thread
};

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
  // The peer may enable fewer queue pairs than we have PMD threads (a one-queue virtio_user):
  // each PMD's queue is mapped onto one the peer enabled (rte_vhost locks each vring, so PMDs
  // sharing one are safe).
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return dev_->EthdevPort::tx_burst(txq_map_[q].load(std::memory_order_relaxed), pkts, n);
  }
  sw::PortStatus status() const override;
  const std::string& socket_path() const { return socket_path_; }
  uint16_t port_id() const { return dev_->port_id(); }
  ~VhostUserPort() override;

 private:
  VhostUserPort(std::string name, std::shared_ptr<EthdevPort> dev, std::string socket_path,
                bool client);
  // Queue-state and link events, from the vhost event thread (and once at open).
  static int on_event(uint16_t port_id, rte_eth_event_type type, void* self, void* unused);
  void refresh_queue_map(bool link_event);

  std::shared_ptr<EthdevPort> dev_;
  std::string socket_path_;
  bool client_;
  std::unique_ptr<std::atomic<uint16_t>[]> txq_map_;  // PMD tx queue -> enabled vhost queue
  std::mutex events_mutex_;
  std::vector<bool> tx_enabled_;  // under events_mutex_: vhost queues the peer enabled
};

}  // namespace lvs::ports
