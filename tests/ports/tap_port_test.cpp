// Kind "internal" (ports/tap_port.*): the bridge's own interface. The tap is created inside a
// namespace of the test's own (the host never gets a test address), bridged with a system port
// whose veth leads into a "container" namespace.
#include "ports/tap_port.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "ports/afpacket_port.hpp"
#include "ports/kernel_netdev.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"

namespace lvs::ports::testing {
namespace {

class TapPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LVT_REQUIRE_ROOT_AND_POOLS();
    gw_ = std::make_unique<BareNs>("g");
    ASSERT_TRUE(gw_->ok());
    tap_name_ = unique_prefix() + "t";
  }
  // Creates the tap (and its address) inside the gateway namespace.
  std::shared_ptr<TapPort> make_tap(const std::string& cidr = "") {
    EnterNetns in(gw_->ns());
    EXPECT_TRUE(in.ok());
    std::string error;
    auto tap = TapPort::create(tap_name_, test_pools().frames, error);
    EXPECT_TRUE(tap) << error;
    if (tap && !cidr.empty()) {
      EXPECT_EQ(tap->add_ipv4(cidr), "");
    }
    return tap;
  }

  std::unique_ptr<BareNs> gw_;
  std::string tap_name_;
};

TEST_F(TapPortTest, TapIsCreatedUpAndRemovedOnDestruction) {
  auto tap = make_tap("10.202.0.254/24");
  ASSERT_TRUE(tap);
  EXPECT_EQ(tap->kind(), "internal");
  {
    EnterNetns in(gw_->ns());
    const sw::PortStatus s = tap->status();
    EXPECT_EQ(s.error, "");
    EXPECT_EQ(s.mtu, 1500u);
    EXPECT_EQ(s.mac.size(), 17u);
  }
  EXPECT_NE(capture(gw_->exec("ip -o addr show dev " + tap_name_)).find("10.202.0.254/24"),
            std::string::npos);
  EXPECT_NE(capture(gw_->exec("ip -o link show dev " + tap_name_)).find(",UP"), std::string::npos);
  tap.reset();
  EXPECT_NE(sh(gw_->exec("ip link show dev " + tap_name_)), 0);
}

TEST_F(TapPortTest, NameTooLongIsAnError) {
  std::string error;
  EXPECT_FALSE(TapPort::create("a-name-longer-than-15", test_pools().frames, error));
  EXPECT_NE(error, "");
}

class TapBridgeTest : public TapPortTest {
 protected:
  void SetUp() override {
    TapPortTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    c_ = std::make_unique<ContainerNs>("c", "10.202.0.1/24");
    ASSERT_TRUE(c_->ok());
    std::string error;
    pc_ = AfPacketPort::open("pc", c_->host_if(), test_pools().frames, error);
    ASSERT_TRUE(pc_) << error;
    tap_ = make_tap("10.202.0.254/24");
    ASSERT_TRUE(tap_);
    bridge_ = std::make_unique<RunningBridge>(std::vector<std::shared_ptr<sw::Port>>{pc_, tap_});
    ASSERT_EQ(bridge_->error(), "");
  }
  void TearDown() override {
    bridge_.reset();
    tap_.reset();
    pc_.reset();
    c_.reset();
  }
  std::unique_ptr<ContainerNs> c_;
  std::shared_ptr<AfPacketPort> pc_;
  std::shared_ptr<TapPort> tap_;
  std::unique_ptr<RunningBridge> bridge_;
};

TEST_F(TapBridgeTest, InternalPortAndContainerPingEachOther) {
  EXPECT_EQ(sh(gw_->exec("ping -c 3 -i 0.2 -W 2 10.202.0.1")), 0);
  EXPECT_EQ(sh(c_->exec("ping -c 3 -i 0.2 -W 2 10.202.0.254")), 0);
  EXPECT_GE(tap_->stats().read().rx_packets, 3u);
  EXPECT_GE(tap_->stats().read().tx_packets, 3u);
}

TEST_F(TapBridgeTest, HostTcpThroughInternalPortKeepsOffloads) {
  ASSERT_EQ(sh(c_->exec("iperf3 -s -1 -D -B 10.202.0.1")), 0);
  ASSERT_TRUE(test::wait_tcp_listening(c_->exec(""), 5201));
  // Host -> container: the tap hands over TSO super-frames; container -> host (-R) takes them.
  const std::string out = capture(gw_->exec("timeout 20 iperf3 -c 10.202.0.1 -t 2 -J"));
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_TRUE(j.contains("end")) << out;
  const double gbps = j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
  const KernelPortCounters k = tap_->kernel_counters();
  std::printf("host -> container TCP %.2f Gbit/s, tap rx %lu GSO frames\n", gbps, k.rx_gso);
  EXPECT_GT(gbps, 0.5);  // a floor only: the GSO counter is the check
  EXPECT_GT(k.rx_gso, 100u);
  EXPECT_EQ(k.rx_invalid, 0u);
  EXPECT_EQ(k.tx_errors, 0u);
}

}  // namespace
}  // namespace lvs::ports::testing
