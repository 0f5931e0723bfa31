#pragma once
// The host-kernel underlay of tunnel ports: the sockets one local tunnel endpoint uses, shared
// by every tunnel port with that endpoint, and the demultiplexer that hands received packets to
// the right port.
//
// VXLAN (local_ip, dst_port): a UDP socket bound to it receives; raw IPPROTO_UDP sockets send,
//   because the outer UDP source port is per inner flow (a UDP socket would pin it) -- the kernel
//   still adds the IP header, routes, fragments (df_default=false) or refuses (EMSGSIZE).
// GRE (local_ip): one raw IPPROTO_GRE socket receives (the IP header included) and sends.
// Sockets that only send drop everything they would receive with a one-instruction BPF filter.
// There are two sending sockets, DF set and DF clear (IP_MTU_DISCOVER is per socket); TTL and TOS
// go per message in control messages, since ports with different settings share the socket.
// VXLAN also gets kGsoSockets UDP sockets (DF set), bound to ephemeral source ports, for UDP GSO
// (UDP_SEGMENT): a TSO super-frame leaves as one message that the kernel cuts (or a NIC
// offloads); the flow hash picks the socket, and the raw sockets then use that socket's port too,
// so a flow keeps one source port.
//
// Receive: the endpoint is a stage of the PMD iteration (switch/rx_stage.hpp), polled by the one
// PMD that polls its tunnel ports' queues, before them: one recvmmsg of up to a burst (VXLAN:
// with UDP_GRO, a buffer may hold several datagrams of one flow, joined into one inner TCP
// super-frame or split, vxlan_gro.hpp), each packet checked and stripped, then queued to the ring
// of the port registered for (source address, VNI / key). Unknown (remote, key) and malformed
// packets are dropped and counted: on a port with that remote address when there is one (so
// `vsctl` shows them), else on the endpoint.
//
// Lifetime: ports hold the endpoint (shared_ptr); the registry holds weak references, so the
// sockets close when the last port using them goes.
#include <netinet/in.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ports/kernel_frame.hpp"
#include "switch/port.hpp"
#include "switch/rx_stage.hpp"
#include "switch/types.hpp"
#include "tunnels/decap_status.hpp"
#include "tunnels/tunnel_config.hpp"

namespace lvs::tunnels {

struct EndpointCounters {
  uint64_t rx_packets = 0;    // tunnel packets read (a joined super-frame counts once)
  uint64_t malformed = 0;     // bad outer / tunnel header, truncated, bad checksum
  uint64_t no_tunnel = 0;     // (remote, key) of no port
  uint64_t ring_full = 0;     // the port's receive ring was full
  uint64_t rx_no_mbuf = 0;    // polls cut short for want of mbufs
  uint64_t rx_joined = 0;     // inner TCP super-frames joined from UDP GRO buffers
};

class UnderlayEndpoint final : public sw::RxStage {
 public:
  struct Key {
    TunnelKind kind;
    uint32_t local_ip;  // network order
    uint16_t port;      // VXLAN dst_port, 0 for GRE
    uint64_t netns = 0;  // set by acquire(): the calling thread's network namespace (inode)
    // An IPv6 endpoint (VXLAN): AF_INET6 sockets (IPV6_V6ONLY, so that an IPv4 endpoint on the
    // same port lives beside it) on local_ip6 (all zero: any address) instead of local_ip.
    bool v6 = false;
    std::array<uint8_t, 16> local_ip6{};
    auto operator<=>(const Key&) const = default;
  };
  // A remote tunnel end: an IPv6 address, or an IPv4 one in the first 4 bytes (the rest zero;
  // an endpoint carries one family only).
  using Remote = std::array<uint8_t, 16>;
  static Remote remote_of(const TunnelConfig& c);

  // The endpoint for `key` in the calling thread's network namespace, opened on first use. nullptr and `error` when the sockets fail
  // (address not local, port taken by someone else, no permission for raw sockets).
  static std::shared_ptr<UnderlayEndpoint> acquire(const Key& key, rte_mempool* pool,
                                                   std::string& error);
  ~UnderlayEndpoint() override;
  UnderlayEndpoint(const UnderlayEndpoint&) = delete;
  UnderlayEndpoint& operator=(const UnderlayEndpoint&) = delete;

  // Routes packets from (remote_ip, key) to `ring`; drops on that flow are counted on `stats`.
  // Fails when another port already has that (remote_ip, key).
  bool attach(const Remote& remote, uint32_t key, rte_ring* ring, sw::PortStats* stats,
              std::string& error);
  void detach(const Remote& remote, uint32_t key);

  // Reads up to one burst from the socket into the ports' rings (returns at once while a port
  // attaches or detaches, or another thread polls). Returns how many packets were read.
  unsigned poll(unsigned pmd) override;
  int wait_fd() const override { return rx_fd_; }
  std::string name() const override { return "decap " + describe(); }

  int tx_fd(bool df) const { return tx_fd_[df ? 1 : 0]; }
  // UDP GSO sockets (VXLAN, DF set: the kernel cannot fragment GSO segments): gso_sockets() of
  // them, 0 when the kernel lacks UDP_SEGMENT.
  static constexpr unsigned kGsoSockets = 8;
  unsigned gso_sockets() const { return gso_ok_ ? kGsoSockets : 0; }
  int gso_fd(unsigned i) const { return gso_fd_[i]; }
  uint16_t gso_port(unsigned i) const { return gso_port_[i]; }  // host order
  int rx_fd() const { return rx_fd_; }
  const Key& key() const { return key_; }
  EndpointCounters counters() const;
  std::string describe() const;  // "vxlan 10.0.0.1:4789", "vxlan [fd00::1]:4789"

  // Decapsulates one received packet in place (m holds the UDP payload for VXLAN, the IP packet
  // for GRE). Returns kOk with the key and the inner frame left in m. Public for tests.
  static DecapStatus decap(TunnelKind kind, rte_mbuf* m, uint32_t& key);

 private:
  struct Flow {
    rte_ring* ring;
    sw::PortStats* stats;
  };
  struct RxSlot {
    std::array<rte_mbuf*, ports::kMaxFrameSegs> segs{};
    std::array<iovec, ports::kMaxFrameSegs> iov{};
    sockaddr_storage from{};                                 // sockaddr_in or sockaddr_in6
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];  // UDP_GRO's segment size
    // segs[0] from pool_, then either one 64 KiB mbuf of large_ (large) or segs_per_slot_ - 1
    // more of pool_ (no large mbuf was free). A receive consumes a prefix of segs.
    unsigned nsegs = 0;
    bool large = false;
  };

  UnderlayEndpoint(const Key& key, rte_mempool* pool);
  bool open_sockets(std::string& error);
  bool stock_slots();
  bool stock_slot(RxSlot& slot, mmsghdr& msg);
  template <class Decapped, class Enqueue>
  void poll_gre(int r, Decapped& decapped, Enqueue& enqueue);
  sw::PortStats* stats_for_remote(const Remote& remote) const;
  void note_unknown(const Remote& remote, uint32_t key);
  std::string remote_string(const Remote& remote) const;
  // The endpoint's local address with `port` (host order); returns its length.
  socklen_t local_address(sockaddr_storage& out, uint16_t port) const;
  int family() const { return key_.v6 ? AF_INET6 : AF_INET; }

  Key key_;
  rte_mempool* pool_;
  rte_mempool* large_ = nullptr;  // large_frame_pool(), VXLAN (UDP GRO) only
  int rx_fd_ = -1;
  std::array<int, 2> tx_fd_{-1, -1};  // [DF clear, DF set]
  std::array<int, kGsoSockets> gso_fd_{};
  std::array<uint16_t, kGsoSockets> gso_port_{};
  bool gso_ok_ = false;
  bool gro_ = false;  // UDP_GRO on the receive socket
  void open_gso_sockets();
  unsigned segs_per_slot_ = 1;
  std::vector<RxSlot> rx_;
  std::array<mmsghdr, sw::kBurst> rx_msgs_{};

  std::mutex mutex_;  // held by poll() (try_lock, once per burst) and by attach / detach
  struct FlowKey {
    Remote remote;
    uint32_t key;
    bool operator==(const FlowKey&) const = default;
  };
  struct RemoteHash {
    size_t operator()(const Remote& r) const {
      uint64_t a, b;
      std::memcpy(&a, r.data(), 8);
      std::memcpy(&b, r.data() + 8, 8);
      return std::hash<uint64_t>{}(a ^ (b * 0x9e3779b97f4a7c15ULL));
    }
  };
  struct FlowHash {
    size_t operator()(const FlowKey& k) const {
      return RemoteHash{}(k.remote) ^ std::hash<uint32_t>{}(k.key) * 0x9e3779b97f4a7c15ULL;
    }
  };
  std::unordered_map<FlowKey, Flow, FlowHash> flows_;
  std::unordered_map<Remote, sw::PortStats*, RemoteHash> remotes_;  // first port per remote

  struct Atomics {
    std::atomic<uint64_t> rx_packets{0}, malformed{0}, no_tunnel{0}, ring_full{0}, rx_no_mbuf{0},
        rx_joined{0};
  };
  Atomics counters_;
  uint64_t last_log_tsc_ = 0;
};

}  // namespace lvs::tunnels
