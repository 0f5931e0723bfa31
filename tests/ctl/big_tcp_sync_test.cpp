// Which uplinks let BIG TCP on (ctl/big_tcp_sync.*): every IPv4 default route's device must take
// TSO frames over 64 KiB. (The veths themselves: tests/ctl/big_tcp_test.sh.)
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

}  // namespace
}  // namespace lvs::ctl
