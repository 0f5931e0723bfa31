#pragma once
// The receive side of the host-kernel tunnel underlay: one socket per (kind, dst_port, family,
// network namespace), bound to the wildcard address, shared by every tunnel port of that kind
// whatever its local_ip, and the demultiplexer that hands received packets to the right port.
//
// VXLAN: a UDP socket on *:dst_port with UDP_GRO and IP_PKTINFO / IPV6_RECVPKTINFO, so each
//   buffer says which local address it was sent to (ipi_addr / ipi6_addr).
// GRE: one raw IPPROTO_GRE socket (IPv4); the packet's IP header gives the local address.
// One socket per port and local_ip could not do this: a UDP socket on *:4789 beside one on
// L1:4789 fails to bind, and raw sockets each get a copy of every packet.
//
// Demultiplexing as OVS does (and the kernel vxlan device's programs, bpf/kernel_vxlan.bpf.c):
// (remote, local, key) first, then (remote, any local, key) -- the second lookup only on a miss,
// and only while some port has a local_ip. A port with local_ip receives only packets to that
// address; one without is the wildcard for its (remote, key).
//
// The receiver is a stage of the PMD iteration (switch/rx_stage.hpp), polled by the one PMD that
// polls its tunnel ports' queues, before them: one recvmmsg of up to a burst (VXLAN: with UDP_GRO
// a buffer may hold several datagrams of one flow, joined into one inner TCP super-frame or
// split, vxlan_gro.hpp), each packet checked and stripped, then queued to the ring of its port.
// Unknown (remote, key) and malformed packets are dropped and counted: on a port with that
// remote (and local address, else the wildcard one) when there is one, so `vsctl` shows them,
// else on the receiver.
//
// Lifetime: endpoints (underlay_endpoint.hpp) hold the receiver (shared_ptr); the registry holds
// weak references, so the socket closes when the last endpoint using it goes.
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
  uint64_t rx_packets = 0;  // tunnel packets read (a joined super-frame counts once)
  uint64_t malformed = 0;   // bad outer / tunnel header, truncated, bad checksum
  uint64_t no_tunnel = 0;   // (remote, local, key) of no port
  uint64_t ring_full = 0;   // the port's receive ring was full
  uint64_t rx_no_mbuf = 0;  // polls cut short for want of mbufs
  uint64_t rx_joined = 0;   // inner TCP super-frames joined from UDP GRO buffers
};

class TunnelReceiver final : public sw::RxStage {
 public:
  struct Key {
    TunnelKind kind;
    uint16_t port;       // VXLAN dst_port, 0 for GRE
    bool v6 = false;     // AF_INET6 (IPV6_V6ONLY: an IPv4 receiver on the port lives beside it)
    uint64_t netns = 0;  // the network namespace (inode) the socket belongs to
    auto operator<=>(const Key&) const = default;
  };
  // An address: IPv6, or IPv4 in the first 4 bytes (the rest zero; a receiver carries one family
  // only). All zero as a local address: any (a port without local_ip).
  using Addr = std::array<uint8_t, 16>;

  // The receiver for `key`, opened on first use. nullptr and `error` when the socket fails (port
  // taken by someone else, no permission for raw sockets).
  static std::shared_ptr<TunnelReceiver> acquire(const Key& key, rte_mempool* pool,
                                                 std::string& error);
  ~TunnelReceiver() override;
  TunnelReceiver(const TunnelReceiver&) = delete;
  TunnelReceiver& operator=(const TunnelReceiver&) = delete;

  // Routes packets from `remote` to `local` (zero: any local address) with `key` to `ring` of
  // tunnel port `port`; drops on that flow are counted on `stats`. Fails, naming the port that
  // has it, when another port already has that (remote, local, key) (as tunnel_config.hpp's
  // same_receive_key refuses it on the kernel vxlan device).
  bool attach(const std::string& port, const Addr& remote, const Addr& local, uint32_t key,
              rte_ring* ring, sw::PortStats* stats, std::string& error);
  void detach(const Addr& remote, const Addr& local, uint32_t key);

  // Reads up to one burst from the socket into the ports' rings (returns at once while a port
  // attaches or detaches, or another thread polls). Returns how many packets were read.
  unsigned poll(unsigned pmd) override;
  int wait_fd() const override { return fd_; }
  std::string name() const override { return "decap " + describe(); }
  std::string describe() const;  // "vxlan *:4789", "vxlan [::]:4789", "gre *"
  const Key& key() const { return key_; }
  EndpointCounters counters() const;

  // Decapsulates one received packet in place (m holds the UDP payload for VXLAN, the IP packet
  // for GRE). Returns kOk with the key and the inner frame left in m. Public for tests.
  static DecapStatus decap(TunnelKind kind, rte_mbuf* m, uint32_t& key);

 private:
  struct Flow {
    rte_ring* ring;
    sw::PortStats* stats;
    std::string port;  // for attach's error only
  };
  struct RxSlot {
    std::array<rte_mbuf*, ports::kMaxFrameSegs> segs{};
    std::array<iovec, ports::kMaxFrameSegs> iov{};
    sockaddr_storage from{};  // sockaddr_in or sockaddr_in6
    // UDP_GRO's segment size and the destination address (in_pktinfo / in6_pktinfo).
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo))];
    // segs[0] from pool_, then either one 64 KiB mbuf of large_ (large) or segs_per_slot_ - 1
    // more of pool_ (no large mbuf was free). A receive consumes a prefix of segs.
    unsigned nsegs = 0;
    bool large = false;
  };
  struct FlowKey {
    Addr remote;
    Addr local;
    uint32_t key;
    bool operator==(const FlowKey&) const = default;
  };
  struct Peer {  // (remote, local): who counts a remote's drops
    Addr remote;
    Addr local;
    bool operator==(const Peer&) const = default;
  };
  static size_t addr_hash(const Addr& r) {
    uint64_t a, b;
    std::memcpy(&a, r.data(), 8);
    std::memcpy(&b, r.data() + 8, 8);
    return std::hash<uint64_t>{}(a ^ (b * 0x9e3779b97f4a7c15ULL));
  }
  struct PeerHash {
    size_t operator()(const Peer& p) const {
      return addr_hash(p.remote) ^ addr_hash(p.local) * 0x9e3779b97f4a7c15ULL;
    }
  };
  struct FlowHash {
    size_t operator()(const FlowKey& k) const {
      return PeerHash{}(Peer{k.remote, k.local}) ^
             std::hash<uint32_t>{}(k.key) * 0xc2b2ae3d27d4eb4fULL;
    }
  };

  TunnelReceiver(const Key& key, rte_mempool* pool);
  bool open_socket(std::string& error);
  bool stock_slots();
  bool stock_slot(RxSlot& slot, mmsghdr& msg);
  template <class Decapped, class Enqueue>
  void poll_gre(int r, Decapped& decapped, Enqueue& enqueue);
  // The exact (remote, local, key) flow, else the wildcard one; nullptr when neither.
  const Flow* find_flow(const Addr& remote, const Addr& local, uint32_t key) const;
  sw::PortStats* stats_for(const Addr& remote, const Addr& local) const;
  void note_unknown(const Addr& remote, const Addr& local, uint32_t key);
  std::string addr_string(const Addr& a) const;

  Key key_;
  rte_mempool* pool_;
  rte_mempool* large_ = nullptr;  // large_frame_pool(), VXLAN (UDP GRO) only
  int fd_ = -1;
  bool gro_ = false;  // UDP_GRO on the socket
  unsigned segs_per_slot_ = 1;
  std::vector<RxSlot> rx_;
  std::array<mmsghdr, sw::kBurst> rx_msgs_{};

  std::mutex mutex_;  // held by poll() (try_lock, once per burst) and by attach / detach
  std::unordered_map<FlowKey, Flow, FlowHash> flows_;
  std::unordered_map<Peer, sw::PortStats*, PeerHash> peers_;  // first port per (remote, local)
  size_t exact_flows_ = 0;  // flows with a local address: while 0, one lookup per packet

  struct Atomics {
    std::atomic<uint64_t> rx_packets{0}, malformed{0}, no_tunnel{0}, ring_full{0}, rx_no_mbuf{0},
        rx_joined{0};
  };
  Atomics counters_;
  uint64_t last_log_tsc_ = 0;
};

}  // namespace lvs::tunnels
