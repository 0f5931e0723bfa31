// Which uplinks let BIG TCP on (ctl/big_tcp_sync.*): every default route's device of the family
// (IPv4, IPv6) must take TSO frames over 64 KiB. (The veths themselves: tests/ctl/big_tcp_test.sh.)
#include "ctl/big_tcp_sync.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lvs::ctl {
namespace {

constexpr const char* kHeader =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

uint32_t sizes(const std::string& name) {
  if (name == "eth0") return 65536;    // virtio-net
  if (name == "veth9") return 524280;  // a veth
  return 0;                            // gone
}

TEST(BigTcpUplinks, EveryDefaultRouteMustTakeBigTsoFrames) {
  const std::string veth_default = std::string(kHeader) +
                                   "veth9\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                                   "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_EQ(uplink_without_big_tso(veth_default, sizes), "") << "eth0 only for its subnet";
  const std::string nic_default = std::string(kHeader) +
                                  "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  EXPECT_EQ(uplink_without_big_tso(nic_default, sizes), "eth0");
  EXPECT_EQ(uplink_without_big_tso(veth_default + nic_default.substr(std::string(kHeader).size()), sizes), "eth0")
      << "two default routes, one by a NIC without BIG TSO";
  EXPECT_EQ(uplink_without_big_tso(kHeader, sizes), "") << "no default route: nothing leaves";
  EXPECT_EQ(uplink_without_big_tso(std::string(kHeader) +
                                       "gone0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n",
                                   sizes),
            "gone0")
      << "a device whose limit cannot be read";
}

// /proc/net/ipv6_route lines: destination, its prefix length, source, its prefix length, next
// hop, metric, refcnt, use, flags, device; no header.
std::string route6(const std::string& dest, const std::string& len, const std::string& flags,
                   const std::string& dev) {
  return dest + " " + len + " " + std::string(32, '0') + " 00 " + std::string(32, '0') +
         " 00000400 00000001 00000000 " + flags + " " + dev + "\n";
}
const std::string kAny(32, '0');

TEST(BigTcpUplinks, EveryIpv6DefaultRouteMustTakeBigTsoFrames) {
  const std::string reject = route6(kAny, "00", "00200200", "lo");  // in every namespace
  const std::string subnet = route6("fd000093000000000000000000000000", "40", "00000001", "eth0");
  EXPECT_EQ(uplink6_without_big_tso(reject + subnet, sizes), "")
      << "no default route (the kernel's reject route leads nowhere), eth0 only for its subnet";
  EXPECT_EQ(
      uplink6_without_big_tso(reject + subnet + route6(kAny, "00", "00000003", "veth9"), sizes),
      "");
  EXPECT_EQ(
      uplink6_without_big_tso(subnet + route6(kAny, "00", "00000003", "eth0") + reject, sizes),
      "eth0");
  EXPECT_EQ(
      uplink6_without_big_tso(
          route6(kAny, "00", "00000003", "veth9") + route6(kAny, "00", "00000003", "gone0"), sizes),
      "gone0")
      << "two default routes (another table, a second next hop), one by a device whose limit "
         "cannot be read";
  EXPECT_EQ(uplink6_without_big_tso(route6(kAny, "03", "00000003", "eth0"), sizes), "")
      << "2000::/3 is no default";
  EXPECT_EQ(uplink6_without_big_tso("", sizes), "");
}

// The families apart: an IPv4 default by a NIC keeps IPv6 BIG TCP on, and the other way round.
TEST(BigTcpUplinks, EachFamilyByItsOwnRoutes) {
  const std::string nic4 =
      std::string(kHeader) + "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  const std::string veth6 = route6(kAny, "00", "00000003", "veth9");
  EXPECT_EQ(uplink_without_big_tso(nic4, sizes), "eth0");
  EXPECT_EQ(uplink6_without_big_tso(veth6, sizes), "");
  EXPECT_EQ(uplink_without_big_tso(kHeader, sizes), "");
  EXPECT_EQ(uplink6_without_big_tso(route6(kAny, "00", "00000003", "eth0"), sizes), "eth0");
}

}  // namespace
}  // namespace lvs::ctl
