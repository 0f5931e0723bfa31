#pragma once
// The transmit side of the host-kernel underlay of tunnel ports: the sockets one local tunnel
// endpoint (kind, local_ip, dst_port) sends from, shared by every tunnel port with that endpoint,
// and the shared receiver (tunnel_receiver.hpp) its ports attach to.
//
// VXLAN: raw IPPROTO_UDP sockets send, because the outer UDP source port is per inner flow (a
//   UDP socket would pin it) -- the kernel still adds the IP header, routes, fragments
//   (df_default=false) or refuses (EMSGSIZE).
// GRE: raw IPPROTO_GRE sockets send.
// Both bound to local_ip when there is one. Sending sockets drop everything they would receive
// with a one-instruction BPF filter (receiving is the receiver's). There are two, DF set and DF
// clear (IP_MTU_DISCOVER is per socket); TTL and TOS go per message in control messages, since
// ports with different settings share the socket.
// VXLAN also gets kGsoSockets UDP sockets (DF set), bound to ephemeral source ports, for UDP GSO
// (UDP_SEGMENT): a TSO super-frame leaves as one message that the kernel cuts (or a NIC
// offloads); the flow hash picks the socket, and the raw sockets then use that socket's port too,
// so a flow keeps one source port.
//
// Receive is not here: one socket per (kind, dst_port, family, namespace) on the wildcard
// address serves every local_ip (tunnel_receiver.hpp); attach / detach go to it with local_ip.
//
// Lifetime: ports hold the endpoint (shared_ptr); the registry holds weak references, so the
// sockets close when the last port using them goes.
#include <netinet/in.h>
#include <rte_mempool.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>

#include "switch/port.hpp"
#include "tunnels/tunnel_config.hpp"
#include "tunnels/tunnel_receiver.hpp"

namespace lvs::tunnels {

class UnderlayEndpoint final {
 public:
  struct Key {
    TunnelKind kind;
    uint32_t local_ip;  // network order
    uint16_t port;      // VXLAN dst_port, 0 for GRE
    uint64_t netns = 0;  // set by acquire(): the calling thread's network namespace (inode)
    // An IPv6 endpoint (VXLAN): AF_INET6 sockets (the UDP ones IPV6_V6ONLY) on local_ip6 (all
    // zero: any address) instead of local_ip.
    bool v6 = false;
    std::array<uint8_t, 16> local_ip6{};
    auto operator<=>(const Key&) const = default;
  };
  // A tunnel end: an IPv6 address, or an IPv4 one in the first 4 bytes (the rest zero; an
  // endpoint carries one family only).
  using Remote = TunnelReceiver::Addr;
  static Remote remote_of(const TunnelConfig& c);

  // The endpoint for `key` in the calling thread's network namespace, opened on first use, with
  // its receiver. nullptr and `error` when the sockets fail (address not local, port taken by
  // someone else, no permission for raw sockets).
  static std::shared_ptr<UnderlayEndpoint> acquire(const Key& key, rte_mempool* pool,
                                                   std::string& error);
  ~UnderlayEndpoint();
  UnderlayEndpoint(const UnderlayEndpoint&) = delete;
  UnderlayEndpoint& operator=(const UnderlayEndpoint&) = delete;

  // Routes packets from remote_ip to this endpoint's local_ip (any, without one) with `key` to
  // `ring` (the receiver's attach). Fails when another port already has that (remote, local, key).
  bool attach(const std::string& port, const Remote& remote, uint32_t key, rte_ring* ring,
              sw::PortStats* stats, std::string& error);
  void detach(const Remote& remote, uint32_t key);
  const std::shared_ptr<TunnelReceiver>& receiver() const { return receiver_; }

  int tx_fd(bool df) const { return tx_fd_[df ? 1 : 0]; }
  // UDP GSO sockets (VXLAN, DF set: the kernel cannot fragment GSO segments): gso_sockets() of
  // them, 0 when the kernel lacks UDP_SEGMENT.
  static constexpr unsigned kGsoSockets = 8;
  unsigned gso_sockets() const { return gso_ok_ ? kGsoSockets : 0; }
  int gso_fd(unsigned i) const { return gso_fd_[i]; }
  uint16_t gso_port(unsigned i) const { return gso_port_[i]; }  // host order
  const Key& key() const { return key_; }
  std::string describe() const;  // "vxlan 10.0.0.1:4789", "vxlan [fd00::1]:4789"

 private:
  explicit UnderlayEndpoint(const Key& key);
  bool open_sockets(std::string& error);
  // The endpoint's local address with `port` (host order); returns its length.
  socklen_t local_address(sockaddr_storage& out, uint16_t port) const;
  int family() const { return key_.v6 ? AF_INET6 : AF_INET; }

  Key key_;
  Remote local_{};  // key_'s local address as the receiver's flows carry it
  std::shared_ptr<TunnelReceiver> receiver_;
  std::array<int, 2> tx_fd_{-1, -1};  // [DF clear, DF set]
  std::array<int, kGsoSockets> gso_fd_{};
  std::array<uint16_t, kGsoSockets> gso_port_{};
  bool gso_ok_ = false;
  void open_gso_sockets();
};

}  // namespace lvs::tunnels
