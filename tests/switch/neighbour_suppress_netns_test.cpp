// ARP / ND suppression against the kernel (root, network namespaces): a container asks for an
// address nobody has but the bridge's neighbour table names; its kernel takes the switch's
// answer into its neighbour cache (the NA's checksum is the kernel's to check), and a capture on
// the bridge's other port sees no request for it, while it does see one for an unknown address.
#include <gtest/gtest.h>

#include "ports/afpacket_port.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"
#include "tests/support/wait_until.hpp"

namespace lvs::ports::testing {
namespace {

constexpr const char* kTableMac = "02:00:00:00:99:99";

sw::NeighbourEntry entry(const char* ip) {
  return {0, *sw::IpAddr::parse(ip), *sw::MacAddr::parse(kTableMac)};
}

// Polls `ip neigh` in the container until `ip` has the table's MAC (or 3 s pass).
bool neighbour_has_table_mac(const ContainerNs& c, const std::string& ip) {
  return test::wait_until(
      [&] {
        return capture(c.exec("ip neigh show " + ip + " dev " + c.inner_if()))
                   .find(std::string("lladdr ") + kTableMac) != std::string::npos;
      },
      std::chrono::seconds(3), std::chrono::milliseconds(20));
}

TEST(NeighbourSuppressNetns, ContainerLearnsTheTablesMacAndNoRequestIsFlooded) {
  LVT_REQUIRE_ROOT_AND_POOLS();
  ContainerNs a("na", "10.253.0.1/24"), b("nb", "10.253.0.2/24");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(sh(a.exec("ip addr add fd53::1/64 dev " + a.inner_if() + " nodad")), 0);
  std::string error;
  auto pa = AfPacketPort::open("pa", a.host_if(), test_pools().frames, error);
  ASSERT_TRUE(pa) << error;
  auto pb = AfPacketPort::open("pb", b.host_if(), test_pools().frames, error);
  ASSERT_TRUE(pb) << error;
  RunningBridge bridge({pa, pb});
  ASSERT_EQ(bridge.error(), "");
  ASSERT_EQ(bridge.datapath().set_neighbours("br", {entry("10.253.0.99"), entry("fd53::99")}),
            std::nullopt);
  // ARP requests and neighbour solicitations reaching b.
  auto dump = test::start_tcpdump(b.exec(""),
                                  "-i " + b.inner_if() + " -n 'arp or (icmp6 and ip6[40] == 135)'");
  ASSERT_TRUE(dump) << "tcpdump did not start";

  {
    test::BackgroundProcess ping(a.exec("ping -c 1 -W 1 10.253.0.99"));
    EXPECT_TRUE(neighbour_has_table_mac(a, "10.253.0.99")) << capture(a.exec("ip neigh show"));
  }
  {
    test::BackgroundProcess ping(a.exec("ping -6 -c 1 -W 1 fd53::99"));
    EXPECT_TRUE(neighbour_has_table_mac(a, "fd53::99")) << capture(a.exec("ip -6 neigh show"));
  }
  // The capture works: a request for an address the table lacks floods to b as before.
  test::BackgroundProcess unknown(a.exec("ping -c 1 -W 1 10.253.0.77"));
  EXPECT_TRUE(dump->wait_output("10.253.0.77", std::chrono::seconds(3))) << dump->out();
  const std::string seen = dump->out();
  EXPECT_EQ(seen.find("10.253.0.99"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("fd53::99"), std::string::npos) << seen;

  const auto c = pa->stats().read();
  EXPECT_GE(c.drops[static_cast<size_t>(sw::DropReason::kArpSuppressed)], 1u);
  EXPECT_GE(c.drops[static_cast<size_t>(sw::DropReason::kNdSuppressed)], 1u);
}

}  // namespace
}  // namespace lvs::ports::testing
