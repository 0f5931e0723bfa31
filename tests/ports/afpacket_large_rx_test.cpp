// System ports on the main pool's 2 KiB mbufs (ports/large_rx_pool.hpp): a TSO super-frame read
// from a veth lands in a 2 KiB head plus one 64 KiB tail, not a ~33-mbuf chain, and the bytes
// a TCP stream carries through the bridge arrive unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "ports/afpacket_port.hpp"
#include "ports/large_rx_pool.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"

namespace lvs::ports::testing {
namespace {

// The AF_PACKET port as the bridge sees it, noting the longest chain of a large frame received.
class SegmentWatch final : public sw::Port {
 public:
  explicit SegmentWatch(std::shared_ptr<AfPacketPort> p) : Port(p->name()), p_(std::move(p)) {
    set_max_frame_len(p_->max_frame_len());
  }
  std::string_view kind() const override { return "system"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    const uint16_t r = p_->rx_burst(q, pkts, n);
    for (uint16_t i = 0; i < r; ++i)
      if (pkts[i]->pkt_len > 16384) {
        large_.fetch_add(1, std::memory_order_relaxed);
        if (pkts[i]->nb_segs > max_segs_.load(std::memory_order_relaxed))
          max_segs_.store(pkts[i]->nb_segs, std::memory_order_relaxed);
      }
    return r;
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return p_->tx_burst(q, pkts, n);
  }
  sw::PortStatus status() const override { return p_->status(); }
  unsigned max_segs() const { return max_segs_.load(); }
  uint64_t large() const { return large_.load(); }

 private:
  std::shared_ptr<AfPacketPort> p_;
  std::atomic<unsigned> max_segs_{0};
  std::atomic<uint64_t> large_{0};
};

TEST(AfPacketLargeRx, TsoSuperFramesArriveInTwoMbufsAndPassByteExact) {
  LVT_REQUIRE_ROOT_AND_POOLS();
  ContainerNs a("a", "10.202.0.1/24"), b("b", "10.202.0.2/24");
  ASSERT_TRUE(a.ok() && b.ok()) << "cannot build namespaces";
  std::string error;
  auto pa = AfPacketPort::open("pa", a.host_if(), test_pools().small, error);
  ASSERT_TRUE(pa) << error;
  auto pb = AfPacketPort::open("pb", b.host_if(), test_pools().small, error);
  ASSERT_TRUE(pb) << error;
  ASSERT_NE(afpacket_large_pool(), nullptr);
  auto wa = std::make_shared<SegmentWatch>(pa);
  RunningBridge bridge({wa, pb});
  ASSERT_EQ(bridge.error(), "");
  const std::string tmp = capture("mktemp -d /tmp/lvt-largerx.XXXXXX");
  const std::string d = tmp.substr(0, tmp.find('\n'));
  ASSERT_EQ(sh("sh -c 'head -c 16000000 /dev/urandom > " + d + "/in'"), 0);
  // Receiver: writes what it reads until the sender closes; sender: the file, then close.
  const std::string rx_py =
      "import socket,sys;s=socket.socket();s.setsockopt(1,2,1);"
      "s.bind(('10.202.0.2',5301));s.listen(1);c,_=s.accept();"
      "f=open(sys.argv[1],'wb')\nwhile True:\n d=c.recv(1<<20)\n"
      " if not d: break\n f.write(d)\nf.close()";
  const std::string tx_py =
      "import socket,sys,time\nfor i in range(100):\n try:\n"
      "  s=socket.create_connection(('10.202.0.2',5301));break\n"
      " except OSError: time.sleep(0.05)\n"
      "s.sendall(open(sys.argv[1],'rb').read());s.close()";
  test::BackgroundProcess rx(b.exec("/usr/bin/python3 -c \"" + rx_py + "\" " + d + "/out"));
  EXPECT_EQ(sh(a.exec("timeout 20 /usr/bin/python3 -c \"" + tx_py + "\" " + d + "/in")), 0);
  EXPECT_EQ(rx.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_EQ(capture("stat -c %s " + d + "/out"), "16000000\n");
  EXPECT_EQ(sh("cmp -s " + d + "/in " + d + "/out"), 0) << "the stream arrived changed";
  sh("rm -rf " + d);
  std::printf("a: %lu frames, %lu bytes, %lu GSO; %lu large, longest chain %u\n",
              wa->stats().read().rx_packets, wa->stats().read().rx_bytes,
              pa->kernel_counters().rx_gso, wa->large(), wa->max_segs());
  EXPECT_GT(wa->large(), 10u) << "no TSO super-frames seen";
  EXPECT_LE(wa->max_segs(), 2u) << "a super-frame took a chain of 2 KiB mbufs";
  EXPECT_EQ(pa->kernel_counters().rx_invalid, 0u);
  EXPECT_EQ(pb->kernel_counters().tx_errors, 0u);
}

}  // namespace
}  // namespace lvs::ports::testing
