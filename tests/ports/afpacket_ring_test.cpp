// Kind "system" receiving through its TPACKET_V2 ring (ports/packet_rx_ring.hpp): offload metadata
// kept across the ring, the ring wrapping round many times, frames longer than a ring slot (the
// TP_STATUS_COPY path) arriving whole and in order with the short ones; recvmmsg stays the
// default.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "ports/afpacket_port.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"

namespace lvs::ports::testing {
namespace {

// Receives COUNT UDP datagrams on port 7000 (stopping after TIMEOUT s), writes READY once bound,
// prints "got N in_order|out_of_order". Each datagram starts with its sequence number.
std::string receiver(const std::string& ready, int count) {
  return "python3 -c \"import socket,time\n"
         "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
         "s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4<<20); s.bind(('0.0.0.0',7000))\n"
         "open('" + ready + "','w').close(); s.settimeout(5); seq=[]\n"
         "try:\n"
         "  while len(seq)<" + std::to_string(count) + ": seq.append(int(s.recv(9000)[:8]))\n"
         "except socket.timeout: pass\n"
         "print('got',len(seq),'in_order' if seq==sorted(seq) else 'out_of_order')\"";
}

// Sends COUNT datagrams to 10.202.0.2:7000 in batches of 50 (a pause between, so that a loaded
// PMD never lets the ring overflow), sizes alternating through SIZES.
std::string sender(int count, const std::string& sizes) {
  return "python3 -c \"import socket,time\n"
         "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); z=[" + sizes + "]\n"
         "for i in range(" + std::to_string(count) + "):\n"
         "  s.sendto(b'%08d' % i + bytes(z[i % len(z)] - 8), ('10.202.0.2',7000))\n"
         "  if i % 50 == 49: time.sleep(0.01)\"";
}

class AfPacketRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LVT_REQUIRE_ROOT_AND_POOLS();
    a_ = std::make_unique<ContainerNs>("ra", "10.202.0.1/24");
    b_ = std::make_unique<ContainerNs>("rb", "10.202.0.2/24");
    ASSERT_TRUE(a_->ok() && b_->ok()) << "cannot build namespaces";
  }
  void open(rte_mempool* pool, AfPacketOptions o = {.rx_ring = true}) {
    std::string error;
    pa_ = AfPacketPort::open("pa", a_->host_if(), pool, error, o);
    ASSERT_TRUE(pa_) << error;
    pb_ = AfPacketPort::open("pb", b_->host_if(), pool, error, o);
    ASSERT_TRUE(pb_) << error;
    bridge_ = std::make_unique<RunningBridge>(std::vector<std::shared_ptr<sw::Port>>{pa_, pb_});
    ASSERT_EQ(bridge_->error(), "");
  }
  void TearDown() override {
    bridge_.reset();
    pa_.reset();
    pb_.reset();
    a_.reset();
    b_.reset();
  }
  // COUNT datagrams a -> b, sizes cycling through SIZES; returns the receiver's verdict.
  std::string send_datagrams(int count, const std::string& sizes) {
    const std::string ready = "/tmp/" + unique_prefix() + "-rx-ready";
    std::remove(ready.c_str());
    test::BackgroundProcess rx(b_->exec(receiver(ready, count)));
    for (int i = 0; i < 100 && access(ready.c_str(), F_OK) != 0; ++i) usleep(20000);
    std::remove(ready.c_str());
    EXPECT_EQ(sh(a_->exec("ping -c 1 -W 2 10.202.0.2")), 0);  // ARP and FDB settled first
    EXPECT_EQ(sh(a_->exec(sender(count, sizes))), 0);
    rx.wait_exit(std::chrono::seconds(10));
    std::string out = rx.out();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::unique_ptr<ContainerNs> a_, b_;
  std::shared_ptr<AfPacketPort> pa_, pb_;
  std::unique_ptr<RunningBridge> bridge_;
};

TEST_F(AfPacketRingTest, RecvmmsgIsTheDefaultAndTheRingIsSelectable) {
  open(test_pools().frames, {});
  EXPECT_FALSE(pa_->rx_ring_active());
  EXPECT_EQ(sh(a_->exec("ping -c 2 -i 0.1 -W 2 10.202.0.2")), 0);
  bridge_.reset();
  pa_.reset();
  pb_.reset();
  open(test_pools().frames, {.rx_ring = true});
  EXPECT_TRUE(pa_->rx_ring_active());
  EXPECT_TRUE(pb_->rx_ring_active());
  EXPECT_EQ(sh(a_->exec("ping -c 2 -i 0.1 -W 2 10.202.0.2")), 0);
}

TEST_F(AfPacketRingTest, TsoSuperFramesCrossTheRingWhole) {
  open(test_pools().frames);
  ASSERT_TRUE(pa_->rx_ring_active());
  ASSERT_EQ(sh(b_->exec("iperf3 -s -1 -D -B 10.202.0.2")), 0);
  ASSERT_TRUE(test::wait_tcp_listening(b_->exec(""), 5201));
  const auto j = nlohmann::json::parse(capture(a_->exec("timeout 20 iperf3 -c 10.202.0.2 -t 1 -J")),
                                       nullptr, false);
  ASSERT_TRUE(!j.is_discarded() && j.contains("end"));
  // No throughput floor: a loaded 2-core machine gave 0.1 Gbit/s; the counters tell.
  EXPECT_GT(j["end"]["sum_received"]["bytes"].get<double>(), 0.0);
  const sw::PortCounters c = pa_->stats().read();
  const KernelPortCounters k = pa_->kernel_counters();
  EXPECT_GT(k.rx_gso, 100u);                          // longer than a slot: the copy path
  EXPECT_GT(c.rx_bytes / (c.rx_packets + 1), 3000u);  // whole, not cut to a slot
  EXPECT_EQ(k.rx_invalid, 0u);
  EXPECT_EQ(pb_->kernel_counters().tx_errors, 0u);
}

TEST_F(AfPacketRingTest, PartialChecksumsOfShortFramesSurviveTheRing) {
  // Short UDP datagrams leave the container with their checksum pending (veth's tx checksum
  // offload): the ring's copy must carry the virtio-net header's NEEDS_CSUM, or the frames reach
  // b with a wrong checksum and b's UDP drops them.
  open(test_pools().frames);
  EXPECT_EQ(send_datagrams(300, "100"), "got 300 in_order");
  EXPECT_GE(pa_->kernel_counters().rx_csum_partial, 300u);
  EXPECT_EQ(pa_->kernel_counters().rx_invalid, 0u);
}

TEST_F(AfPacketRingTest, RingWrapsRoundManyTimes) {
  open(test_pools().frames);
  const int n = static_cast<int>(kRingFrames) * 4 + 77;
  EXPECT_EQ(send_datagrams(n, "64"), "got " + std::to_string(n) + " in_order");
  EXPECT_GE(pa_->stats().read().rx_packets, static_cast<uint64_t>(n));
  EXPECT_EQ(pa_->kernel_counters().rx_kernel_drops, 0u);
}

TEST_F(AfPacketRingTest, FramesLongerThanASlotArriveWholeAndInOrder) {
  // MTU 4000 everywhere, no GSO for UDP: 3000-byte datagrams are single frames longer than a
  // ring slot (TP_STATUS_COPY, fetched by recvmmsg), interleaved with short ones from the ring.
  for (const ContainerNs* ns : {a_.get(), b_.get()}) {
    ASSERT_EQ(sh("ip link set " + ns->host_if() + " mtu 4000"), 0);
    ASSERT_EQ(sh(ns->exec("ip link set " + ns->inner_if() + " mtu 4000")), 0);
  }
  open(test_pools().small);  // 2 KiB mbufs: the long frames are chains
  EXPECT_EQ(send_datagrams(400, "3000, 64, 64, 3000, 3000, 200"), "got 400 in_order");
  const sw::PortCounters c = pa_->stats().read();
  EXPECT_GE(c.rx_packets, 400u);
  EXPECT_GT(c.rx_bytes, 400u / 2 * 3000);
  EXPECT_EQ(pa_->kernel_counters().rx_invalid, 0u);
  EXPECT_EQ(sh(a_->exec("ping -c 2 -i 0.1 -W 2 -s 3900 -M do 10.202.0.2")), 0);
}

}  // namespace
}  // namespace lvs::ports::testing
