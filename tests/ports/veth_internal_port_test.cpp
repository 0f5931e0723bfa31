// Kind "internal" on its default device (ports/veth_internal_port.*): the bridge's own interface
// as a veth pair whose switch end goes through AF_PACKET. Everything happens inside namespaces of
// the test's own (the host never gets a test interface or address).
#include "ports/veth_internal_port.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <nlohmann/json.hpp>

#include "ports/afpacket_port.hpp"
#include "ports/veth_pair.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"

namespace lvs::ports::testing {
namespace {

class VethInternalPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LVT_REQUIRE_ROOT_AND_POOLS();
    gw_ = std::make_unique<BareNs>("g");
    ASSERT_TRUE(gw_->ok());
    name_ = unique_prefix() + "i";
    end_ = internal_switch_end(name_);
  }
  std::shared_ptr<VethInternalPort> make_port(const std::string& cidr, std::string& error) {
    EnterNetns in(gw_->ns());
    EXPECT_TRUE(in.ok());
    auto port = VethInternalPort::create(name_, test_pools().frames, error);
    if (port && !cidr.empty()) {
      EXPECT_EQ(port->add_ipv4(cidr), "");
    }
    return port;
  }
  bool exists(const std::string& ifname) const {
    return sh(gw_->exec("ip link show dev " + ifname)) == 0;
  }

  std::unique_ptr<BareNs> gw_;
  std::string name_, end_;
};

TEST_F(VethInternalPortTest, PairIsCreatedUpAndRemovedOnDestruction) {
  std::string error;
  auto port = make_port("10.203.0.254/24", error);
  ASSERT_TRUE(port) << error;
  EXPECT_EQ(port->kind(), "internal");
  EXPECT_EQ(port->switch_end(), end_);
  EXPECT_LE(end_.size(), 15u);
  {
    EnterNetns in(gw_->ns());
    const sw::PortStatus s = port->status();
    EXPECT_EQ(s.error, "");
    EXPECT_TRUE(s.link_up);
    EXPECT_EQ(s.mtu, 1500u);
    EXPECT_EQ(s.mac.size(), 17u);
  }
  const std::string host = capture(gw_->exec("ip -d -o link show dev " + name_));
  EXPECT_NE(host.find("veth"), std::string::npos) << host;
  EXPECT_NE(host.find(",UP"), std::string::npos) << host;
  EXPECT_NE(capture(gw_->exec("ip -o link show dev " + end_)).find(",UP"), std::string::npos);
  EXPECT_NE(capture(gw_->exec("ip -o addr show dev " + name_)).find("10.203.0.254/24"),
            std::string::npos);
  port.reset();
  EXPECT_FALSE(exists(name_));
  EXPECT_FALSE(exists(end_));  // no veth left behind
}

// kill -9 leaves the pair in the kernel (a tap would vanish with its fd): the next start
// replaces it; an interface of that name that is not ours is refused and left alone.
TEST_F(VethInternalPortTest, StalePairIsReplacedAndAStrangerIsRefused) {
  ASSERT_EQ(sh(gw_->exec("ip link add " + name_ + " type veth peer name " + end_)), 0);
  const std::string before = capture(gw_->exec("cat /sys/class/net/" + name_ + "/ifindex"));
  std::string error;
  auto port = make_port("", error);
  ASSERT_TRUE(port) << error;
  EXPECT_NE(capture(gw_->exec("cat /sys/class/net/" + name_ + "/ifindex")), before);
  port.reset();
  EXPECT_FALSE(exists(end_));

  // A veth of someone else's (its peer is not our switch end).
  ASSERT_EQ(sh(gw_->exec("ip link add " + name_ + " type veth peer name " + name_ + "x")), 0);
  EXPECT_FALSE(make_port("", error));
  EXPECT_NE(error.find(name_), std::string::npos) << error;
  EXPECT_TRUE(exists(name_));  // the stranger is untouched
  EXPECT_FALSE(exists(end_));
}

TEST_F(VethInternalPortTest, NameTooLongIsAnError) {
  std::string error;
  EXPECT_FALSE(VethInternalPort::create("a-name-longer-than-15", test_pools().frames, error));
  EXPECT_NE(error, "");
}

// What the host sends while the PMD is away is read in one burst (one recvmmsg), not a frame
// per syscall.
TEST_F(VethInternalPortTest, WaitingFramesComeInOneBurst) {
  std::string error;
  auto port = make_port("10.203.1.254/24", error);
  ASSERT_TRUE(port) << error;
  ASSERT_EQ(sh(gw_->exec("ip neigh add 10.203.1.9 lladdr 02:00:00:00:00:09 dev " + name_)), 0);
  ASSERT_EQ(sh(gw_->exec("bash -c 'for i in $(seq 32); do echo x >/dev/udp/10.203.1.9/9; done'")),
            0);
  rte_mbuf* pkts[sw::kBurst];
  pollfd p{.fd = port->rx_ready_fd(0), .events = POLLIN, .revents = 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  // The host end's own IPv6 chatter (MLD, router solicitations) may come first: the first burst
  // is full, and the 32 datagrams are all there by the second.
  uint16_t udp = 0, first = 0;
  for (int burst = 0; burst < 2; ++burst) {
    const uint16_t n = port->rx_burst(0, pkts, sw::kBurst);
    if (burst == 0) first = n;
    for (uint16_t i = 0; i < n; ++i) {
      const auto* d = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
      if (pkts[i]->pkt_len >= 34 && d[12] == 0x08 && d[13] == 0x00 && d[23] == 17) ++udp;
    }
    rte_pktmbuf_free_bulk(pkts, n);
  }
  EXPECT_EQ(first, sw::kBurst);
  EXPECT_EQ(udp, 32u);
}

class VethInternalBridgeTest : public VethInternalPortTest {
 protected:
  void SetUp() override {
    VethInternalPortTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    c_ = std::make_unique<ContainerNs>("c", "10.203.2.1/24");
    ASSERT_TRUE(c_->ok());
    std::string error;
    pc_ = AfPacketPort::open("pc", c_->host_if(), test_pools().frames, error);
    ASSERT_TRUE(pc_) << error;
    port_ = make_port("10.203.2.254/24", error);
    ASSERT_TRUE(port_) << error;
    bridge_ = std::make_unique<RunningBridge>(std::vector<std::shared_ptr<sw::Port>>{pc_, port_});
    ASSERT_EQ(bridge_->error(), "");
  }
  void TearDown() override {
    bridge_.reset();
    port_.reset();
    pc_.reset();
    c_.reset();
  }
  std::unique_ptr<ContainerNs> c_;
  std::shared_ptr<AfPacketPort> pc_;
  std::shared_ptr<VethInternalPort> port_;
  std::unique_ptr<RunningBridge> bridge_;
};

TEST_F(VethInternalBridgeTest, HostAndContainerPingAndTcpKeepsOffloads) {
  EXPECT_EQ(sh(c_->exec("ping -c 2 -i 0.2 -W 2 10.203.2.254")), 0);
  EXPECT_EQ(sh(gw_->exec("ping -c 2 -i 0.2 -W 2 10.203.2.1")), 0);
  EXPECT_GE(port_->stats().read().rx_packets, 2u);
  EXPECT_GE(port_->stats().read().tx_packets, 2u);
  ASSERT_EQ(sh(c_->exec("iperf3 -s -1 -D -B 10.203.2.1")), 0);
  ASSERT_TRUE(test::wait_tcp_listening(c_->exec(""), 5201));
  // Host -> container: the host end hands the switch TSO super-frames.
  const std::string out = capture(gw_->exec("timeout 20 iperf3 -c 10.203.2.1 -t 1 -J"));
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_TRUE(j.contains("end")) << out;
  const KernelPortCounters k = port_->kernel_counters();
  EXPECT_GT(j["end"]["sum_received"]["bits_per_second"].get<double>(), 0.5e9);
  EXPECT_GT(k.rx_gso, 100u);
  EXPECT_EQ(k.rx_invalid, 0u);
  EXPECT_EQ(k.tx_errors, 0u);
}

}  // namespace
}  // namespace lvs::ports::testing
