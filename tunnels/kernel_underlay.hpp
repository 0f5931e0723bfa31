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
// Receive: the endpoint demultiplexes into the port's ring when polled.
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
  // Attaches (remote_ip, in_key) of `config` to the shared endpoint; nullptr and `error` when
  // the sockets fail or another port has that flow.
  static std::unique_ptr<KernelUnderlay> open(const TunnelConfig& config, rte_ring* ring,
                                              sw::PortStats& stats, rte_mempool* pool,
                                              std::string& error);
  ~KernelUnderlay() override;

  void transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) override;
  void poll() override { endpoint_->poll(); }
  // The endpoint's socket: readable when packets for any of its ports wait. A PMD asleep on it
  // may miss packets another PMD's poll already queued for this port until its next wake-up.
  int rx_wait_fd() const override { return endpoint_->rx_fd(); }
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

  TunnelEncap encap_;
  std::shared_ptr<UnderlayEndpoint> endpoint_;
  sw::PortStats& stats_;
  bool attached_ = false;
  sockaddr_in remote_{};
  int tx_fd_;
  std::vector<TxMsg> tx_;
  std::vector<mmsghdr> tx_msgs_;
};

}  // namespace lvs::tunnels
