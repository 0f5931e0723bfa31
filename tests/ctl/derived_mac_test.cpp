// Stable derived names and MACs (pipework's U:string).
#include <gtest/gtest.h>

#include <set>

#include "ctl/config.hpp"
#include "ctl/derived_mac.hpp"

namespace lvs::ctl {
namespace {

TEST(DerivedMacTest, Md5MatchesRfc1321Vectors) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(DerivedMacTest, UStringGivesPipeworksLocallyAdministeredUnicastMac) {
  // echo -n web | md5sum -> 2567a5ec9705eb7ac2c984033e06189d
  EXPECT_EQ(derived_mac("U:web"), "02:25:67:a5:ec:97");
  EXPECT_EQ(derived_mac("U:web"), derived_mac("U:web"));
  EXPECT_NE(derived_mac("U:web"), derived_mac("U:db"));
  EXPECT_FALSE(derived_mac("02:00:00:00:00:01"));
  auto mac = canonical_mac(*derived_mac("U:anything"));
  ASSERT_TRUE(mac);
  const unsigned first = static_cast<unsigned>(std::stoul(mac->substr(0, 2), nullptr, 16));
  EXPECT_EQ(first & 1, 0u);  // unicast
  EXPECT_EQ(first & 2, 2u);  // locally administered
}

TEST(DerivedMacTest, HostVethNamesFitIfnamsizAreValidPortNamesAndDistinct) {
  std::set<std::string> seen;
  for (const std::string c : {"web", "a-very-long-container-name-indeed", "1234", "0123456789abcdef0123"})
    for (const std::string i : {"eth0", "eth1"}) {
      const std::string n = host_veth_name(c, "netns:" + c, i);
      EXPECT_LE(n.size(), 15u) << n;
      EXPECT_FALSE(validate_name("port", n)) << n;
      EXPECT_TRUE(seen.insert(n).second) << n;
      EXPECT_EQ(n, host_veth_name(c, "netns:" + c, i));
    }
  EXPECT_EQ(host_veth_name("web", "netns:web", "eth0").substr(0, 5), "vweb-");
}

}  // namespace
}  // namespace lvs::ctl
