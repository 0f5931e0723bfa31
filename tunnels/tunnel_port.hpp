#pragma once
// Kinds "vxlan" and "gre": a port of a bridge whose frames travel inside VXLAN (RFC 7348) or GRE
// (RFC 2784/2890, 0x6558) packets through the host kernel (see underlay_endpoint.hpp).
//
// Transmit, per burst: each frame is finished (segmented / checksummed, inner_gso.hpp), every
// piece gets the port's precomputed tunnel header (UDP + VXLAN with a per-flow source port, or
// GRE with key and optional checksum) in a message of its own, and the lot goes out with one
// sendmmsg per 256 pieces. Frames are never copied: a message is an iovec of (tunnel header +
// rewritten inner headers, the frame's own bytes). A piece too big for the underlay with DF set
// is refused by the kernel (EMSGSIZE) and counted as too_big; with df_default=false the kernel
// fragments it.
// Receive: the endpoint demultiplexes into this port's ring; rx_burst polls the endpoint when
// the ring is empty, then dequeues.
#include <netinet/in.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "switch/port.hpp"
#include "tunnels/inner_gso.hpp"
#include "tunnels/tunnel_config.hpp"
#include "tunnels/underlay_endpoint.hpp"

namespace lvs::tunnels {

// Bytes the underlay adds around an inner frame (outer IPv4 included).
inline constexpr uint16_t kVxlanOverhead = 20 + 8 + 8;
uint16_t tunnel_overhead(const TunnelConfig& c);

class TunnelPort final : public sw::Port {
 public:
  static std::shared_ptr<TunnelPort> open(const std::string& name, const TunnelConfig& config,
                                          rte_mempool* pool, std::string& error);
  ~TunnelPort() override;

  std::string_view kind() const override {
    return config_.kind == TunnelKind::kVxlan ? "vxlan" : "gre";
  }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  sw::PortStatus status() const override;
  // The endpoint's socket: readable when packets for any of its ports wait. A PMD asleep on it
  // may miss packets another PMD's poll already queued for this port until its next wake-up.
  int rx_wait_fd(uint16_t) const override { return endpoint_->rx_fd(); }

  const TunnelConfig& config() const { return config_; }
  EndpointCounters endpoint_counters() const { return endpoint_->counters(); }
  const std::shared_ptr<UnderlayEndpoint>& endpoint() const { return endpoint_; }

  // Builds the message for one piece into `hdr` (tunnel header + inner headers) and iov[1..];
  // returns the iovec count, 0 when the piece spans too many segments. Public for benchmarks.
  static constexpr unsigned kMaxIov = 17;
  static constexpr unsigned kHeaderRoom = 32 + kMaxInnerHeader;
  unsigned build(const rte_mbuf* m, const InnerSegment& s, uint16_t src_port, uint8_t* hdr,
                 iovec* iov) const;

 private:
  static constexpr unsigned kTxBatch = 256;
  struct TxMsg {
    alignas(8) uint8_t hdr[kHeaderRoom];
    std::array<iovec, kMaxIov> iov;
    alignas(cmsghdr) char control[2 * CMSG_SPACE(sizeof(int))];
  };

  TunnelPort(std::string name, const TunnelConfig& config, std::shared_ptr<UnderlayEndpoint> ep,
             rte_ring* ring);
  void flush(unsigned count);

  TunnelConfig config_;
  std::shared_ptr<UnderlayEndpoint> endpoint_;
  rte_ring* ring_;
  sockaddr_in remote_{};
  int tx_fd_;
  uint8_t template_[16] = {};  // VXLAN header, or GRE header (checksum zero)
  uint8_t template_len_ = 0;
  std::vector<TxMsg> tx_;
  std::vector<mmsghdr> tx_msgs_;
};

}  // namespace lvs::tunnels
