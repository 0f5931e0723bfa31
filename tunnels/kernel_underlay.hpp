#pragma once
// options:underlay=kernel (the default): a tunnel's packets travel through the host kernel's
// sockets of a shared UnderlayEndpoint (underlay_endpoint.hpp), so the host keeps its NIC,
// address and routes.
//
// Transmit, per burst: each frame is finished (segmented / checksummed, inner_gso.hpp), every
// piece gets the port's tunnel header (tunnel_encap.hpp) in a message of its own, and the lot
// goes out with one sendmmsg per 256 pieces. Frames are never copied: a message is an iovec of
// (tunnel header + rewritten inner headers, the frame's own bytes). A piece too big for the
// underlay with DF set is refused by the kernel (EMSGSIZE) and counted as too_big; with
// df_default=false the kernel fragments it.
// VXLAN with DF set (the default) and UDP_SEGMENT in the kernel: a TSO super-frame goes out as one
// UDP GSO message (up to 64 segments / 64 KiB) on the endpoint's UDP socket picked by the flow
// hash, which the kernel cuts into datagrams (late, or never across a veth to a UDP socket); the
// other frames of that flow leave by the raw socket with the same source port.
// Receive: the endpoint's shared receiver (tunnel_receiver.hpp), a PMD stage of its own
// (switch/rx_stage.hpp), demultiplexes by (remote, local, key) into the port's ring.
#include <netinet/in.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tunnels/tunnel_encap.hpp"
#include "tunnels/underlay.hpp"
#include "tunnels/underlay_endpoint.hpp"

namespace lvs::tunnels {

class KernelUnderlay final : public Underlay {
 public:
  // Attaches (remote_ip, local_ip, in_key) of `config` to the shared endpoint's receiver for
  // port `name`; nullptr and `error` when the sockets fail or another port has that flow.
  static std::unique_ptr<KernelUnderlay> open(const std::string& name, const TunnelConfig& config,
                                              rte_ring* ring,
                                              sw::PortStats& stats, rte_mempool* pool,
                                              std::string& error);
  ~KernelUnderlay() override;

  void transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) override;
  std::shared_ptr<sw::RxStage> rx_stage() const override { return endpoint_->receiver(); }
  // The receiver's socket: readable when packets for any of its ports wait (the PMD polling
  // this port's queue is the one polling the receiver).
  int rx_wait_fd() const override { return endpoint_->receiver()->wait_fd(); }
  sw::PortStatus status() const override;

  const TunnelEncap& encap() const { return encap_; }
  const std::shared_ptr<UnderlayEndpoint>& endpoint() const { return endpoint_; }

 private:
  static constexpr unsigned kTxBatch = 256;
  struct TxMsg {
    alignas(8) uint8_t hdr[TunnelEncap::kHeaderRoom];
    std::array<iovec, TunnelEncap::kMaxIov> iov;
    alignas(cmsghdr) char control[2 * CMSG_SPACE(sizeof(int))];
  };

  KernelUnderlay(const TunnelConfig& config, std::shared_ptr<UnderlayEndpoint> ep,
                 sw::PortStats& stats);
  void flush(unsigned count);
  // UDP GSO: pieces of one super-frame gathered into one message, then sent.
  void gso_add(const rte_mbuf* m, const InnerSegment& s, const PieceMeta& meta, int fd);
  void gso_send();

  static constexpr unsigned kGsoMaxSegs = 64;
  static constexpr unsigned kGsoMaxBytes = 65000;  // UDP payload of one message (< 64 KiB)
  static constexpr unsigned kGsoMaxIov = 1024;     // UIO_MAXIOV

  TunnelEncap encap_;
  std::shared_ptr<UnderlayEndpoint> endpoint_;
  sw::PortStats& stats_;
  bool attached_ = false;
  sockaddr_storage remote_{};  // sockaddr_in, or sockaddr_in6 over an IPv6 underlay
  socklen_t remote_len_ = 0;
  int cmsg_level_ = IPPROTO_IP, cmsg_ttl_ = IP_TTL, cmsg_tos_ = IP_TOS;  // IPv6: hop limit, class
  int tx_fd_;
  std::vector<TxMsg> tx_;
  std::vector<mmsghdr> tx_msgs_;

  sockaddr_storage remote_udp_{};  // remote_ip:dst_port, for the UDP sockets
  std::vector<std::array<uint8_t, TunnelEncap::kHeaderRoom>> gso_hdr_;
  std::vector<iovec> gso_iov_;
  alignas(cmsghdr) char gso_control_[2 * CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint16_t))];
  unsigned gso_segs_ = 0, gso_iovs_ = 0, gso_bytes_ = 0;
  uint16_t gso_size_ = 0;
  bool gso_short_ = false;  // the last piece was shorter: the message is complete
  int gso_fd_now_ = -1;
  PieceMeta gso_meta_{};
  uint64_t gso_malformed_ = 0;
};

}  // namespace lvs::tunnels
