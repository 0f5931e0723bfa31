#include "tunnels/underlay_endpoint.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ports/socket_options.hpp"
#include "tunnels/gre_header.hpp"
#include "tunnels/shared_registry.hpp"

namespace lvs::tunnels {
namespace {

constexpr int kRcvBuf = 8 << 20;
constexpr int kSndBuf = 4 << 20;

using ports::set_int;

void set_buffers(int fd) {
  ports::set_rcvbuf(fd, kRcvBuf);
  ports::set_sndbuf(fd, kSndBuf);
}

// A socket that only sends must not queue copies of every received packet of its protocol.
bool drop_all_input(int fd) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  sock_fprog prog{1, code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

SharedRegistry<UnderlayEndpoint::Key, UnderlayEndpoint>& registry() {
  static SharedRegistry<UnderlayEndpoint::Key, UnderlayEndpoint> r;
  return r;
}

}  // namespace

std::shared_ptr<UnderlayEndpoint> UnderlayEndpoint::acquire(const Key& wanted, rte_mempool* pool,
                                                            std::string& error) {
  Key key = wanted;
  key.netns = thread_netns();
  return registry().acquire(key, [&]() -> std::shared_ptr<UnderlayEndpoint> {
    auto ep = std::shared_ptr<UnderlayEndpoint>(new UnderlayEndpoint(key));
    if (!ep->open_sockets(error)) return nullptr;
    ep->receiver_ = TunnelReceiver::acquire(
        {.kind = key.kind, .port = key.port, .v6 = key.v6, .netns = key.netns}, pool, error);
    return ep->receiver_ ? ep : nullptr;
  });
}

UnderlayEndpoint::UnderlayEndpoint(const Key& key) : key_(key) {
  gso_fd_.fill(-1);
  if (key_.v6)
    local_ = key_.local_ip6;
  else
    std::memcpy(local_.data(), &key_.local_ip, 4);
}

UnderlayEndpoint::~UnderlayEndpoint() {
  for (int fd : tx_fd_)
    if (fd >= 0) close(fd);
  for (int fd : gso_fd_)
    if (fd >= 0) close(fd);
}

UnderlayEndpoint::Remote UnderlayEndpoint::remote_of(const TunnelConfig& c) {
  Remote r{};
  if (c.ipv6)
    r = c.remote_ip6;
  else
    std::memcpy(r.data(), &c.remote_ip, 4);
  return r;
}

socklen_t UnderlayEndpoint::local_address(sockaddr_storage& out, uint16_t port) const {
  out = {};
  if (key_.v6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    std::memcpy(&a.sin6_addr, key_.local_ip6.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto& a = reinterpret_cast<sockaddr_in&>(out);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = key_.local_ip;
  return sizeof(sockaddr_in);
}

bool UnderlayEndpoint::open_sockets(std::string& error) {
  auto fail = [&](const std::string& what) {
    error = describe() + ": " + what + ": " + std::strerror(errno);
    return false;
  };
  sockaddr_storage local{};
  socklen_t local_len = local_address(local, 0);
  const bool bound = key_.v6 ? key_.local_ip6 != std::array<uint8_t, 16>{} : key_.local_ip != 0;
  const int af = family();
  const int proto = key_.kind == TunnelKind::kVxlan ? int{IPPROTO_UDP} : int{kIpProtoGre};
  for (int df = 0; df < 2; ++df) {
    const int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) return fail("raw send socket");
    tx_fd_[df] = fd;
    if (!drop_all_input(fd)) return fail("SO_ATTACH_FILTER");
    if (bound && bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0)
      return fail("bind");
    // UDP over IPv6 must carry a checksum (RFC 8200 8.1): the kernel fills it in at offset 6
    // over the pseudo-header it builds (a zero result goes out as 0xffff).
    if (key_.v6 && !set_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6)) return fail("IPV6_CHECKSUM");
    set_buffers(fd);
    const bool mtu_ok =
        key_.v6 ? set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER,
                          df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT)
                : set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
    if (!mtu_ok) return fail("IP_MTU_DISCOVER");
  }
  if (key_.kind == TunnelKind::kVxlan) open_gso_sockets();
  return true;
}

void UnderlayEndpoint::open_gso_sockets() {
  // Optional: without them (old kernel, no UDP_SEGMENT) super-frames go piece by piece.
  sockaddr_storage local{};
  const socklen_t local_len = local_address(local, 0);
  for (unsigned i = 0; i < kGsoSockets; ++i) {
    const int fd = socket(family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    gso_fd_[i] = fd;
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    const bool mtu_ok = key_.v6 ? set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) &&
                                      set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO)
                                : set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    if (!drop_all_input(fd) || !mtu_ok ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0 ||
        !set_int(fd, SOL_UDP, UDP_SEGMENT, 1400) || !set_int(fd, SOL_UDP, UDP_SEGMENT, 0) ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0)
      return;
    // sin_port and sin6_port sit at the same offset.
    gso_port_[i] = ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port);
    set_buffers(fd);
  }
  gso_ok_ = true;
}

std::string UnderlayEndpoint::describe() const {
  std::string s = key_.kind == TunnelKind::kVxlan ? "vxlan " : "gre ";
  if (key_.v6)
    s += key_.local_ip6 == std::array<uint8_t, 16>{} ? "[::]"
                                                     : "[" + ipv6_to_string(key_.local_ip6) + "]";
  else
    s += key_.local_ip ? ipv4_to_string(key_.local_ip) : "*";
  if (key_.kind == TunnelKind::kVxlan) s += ":" + std::to_string(key_.port);
  return s;
}

bool UnderlayEndpoint::attach(const std::string& port, const Remote& remote, uint32_t key,
                              rte_ring* ring, sw::PortStats* stats, std::string& error) {
  return receiver_->attach(port, remote, local_, key, ring, stats, error);
}

void UnderlayEndpoint::detach(const Remote& remote, uint32_t key) {
  receiver_->detach(remote, local_, key);
}

}  // namespace lvs::tunnels
