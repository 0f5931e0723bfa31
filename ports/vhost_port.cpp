#include "ports/vhost_port.hpp"

#include <rte_eth_vhost.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lvs::ports {
namespace {

// A socket file nobody accepts on is what a killed switch leaves behind: rte_vhost would fail to
// bind it. A socket that still accepts belongs to a live process, which we must not steal from.
std::string clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "" : path + ": " + std::strerror(errno);
  if (!S_ISSOCK(st.st_mode)) return path + " exists and is not a socket";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (live) return path + " is served by another process";
  if (::unlink(path.c_str()) != 0)
    return "cannot remove stale " + path + ": " + std::strerror(errno);
  return "";
}

}  // namespace

std::shared_ptr<VhostUserPort> VhostUserPort::open(const std::string& name,
                                                   const VhostUserOptions& o, rte_mempool* pool,
                                                   std::string& error) {
  if (error = check_vhost_socket_path(o.socket_path); !error.empty()) return nullptr;
  if (!o.client)
    if (error = clear_stale_socket(o.socket_path); !error.empty()) return nullptr;
  // net_vhost matches vdev names by prefix; the port name keeps each device's name unique.
  const std::string devargs = "net_vhost_" + name + ",iface=" + o.socket_path +
                              ",queues=" + std::to_string(o.queues ? o.queues : 1) +
                              ",client=" + (o.client ? "1" : "0");
  auto dev = EthdevPort::open(name, devargs, o.queues, pool, error);
  if (!dev) {
    error = "port " + name + ": vhost-user " + o.socket_path + ": " + error;
    return nullptr;
  }
  std::shared_ptr<VhostUserPort> port(
      new VhostUserPort(name, std::move(dev), o.socket_path, o.client));
  const uint16_t id = port->port_id();
  rte_eth_dev_callback_register(id, RTE_ETH_EVENT_QUEUE_STATE, on_event, port.get());
  rte_eth_dev_callback_register(id, RTE_ETH_EVENT_INTR_LSC, on_event, port.get());
  // net_vhost keeps queue changes until they are read: a peer that came before the callbacks
  // (client mode connects at once) is seen here.
  port->refresh_queue_map(true);
  return port;
}

VhostUserPort::VhostUserPort(std::string name, std::shared_ptr<EthdevPort> dev,
                             std::string socket_path, bool client)
    : Port(std::move(name), dev->tx_queue_count()),
      dev_(std::move(dev)),
      socket_path_(std::move(socket_path)),
      client_(client),
      txq_map_(new std::atomic<uint16_t>[dev_->tx_queue_count()]),
      tx_enabled_(dev_->tx_queue_count(), false) {
  for (uint16_t q = 0; q < dev_->tx_queue_count(); ++q) txq_map_[q].store(q);
}

VhostUserPort::~VhostUserPort() {
  // rte_eth_dev_callback_unregister waits for a callback that is running to finish.
  const uint16_t id = dev_->port_id();
  while (rte_eth_dev_callback_unregister(id, RTE_ETH_EVENT_QUEUE_STATE, on_event, this) ==
         -EAGAIN) {
  }
  while (rte_eth_dev_callback_unregister(id, RTE_ETH_EVENT_INTR_LSC, on_event, this) == -EAGAIN) {
  }
}

int VhostUserPort::on_event(uint16_t, rte_eth_event_type type, void* self, void*) {
  static_cast<VhostUserPort*>(self)->refresh_queue_map(type == RTE_ETH_EVENT_INTR_LSC);
  return 0;
}

void VhostUserPort::refresh_queue_map(bool link_event) {
  std::lock_guard<std::mutex> lock(events_mutex_);
  const uint16_t id = dev_->port_id();
  rte_eth_vhost_queue_event ev{};
  while (rte_eth_vhost_get_queue_event(id, &ev) == 0)
    if (!ev.rx && ev.queue_id < tx_enabled_.size()) tx_enabled_[ev.queue_id] = ev.enable;
  if (link_event) {
    // A peer that goes away resets its queues without queue events: the link says so.
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(id, &link) == 0 && !link.link_status)
      std::fill(tx_enabled_.begin(), tx_enabled_.end(), false);
  }
  std::vector<uint16_t> enabled;
  for (uint16_t q = 0; q < tx_enabled_.size(); ++q)
    if (tx_enabled_[q]) enabled.push_back(q);
  const auto n = static_cast<uint16_t>(tx_enabled_.size());
  for (uint16_t q = 0; q < n; ++q)
    txq_map_[q].store(enabled.empty() ? q : enabled[q % enabled.size()], std::memory_order_relaxed);
}

sw::PortStatus VhostUserPort::status() const {
  // Link down without an error: a socket waiting for its VM is normal (Open vSwitch shows the
  // same).
  return dev_->status();
}

}  // namespace lvs::ports
