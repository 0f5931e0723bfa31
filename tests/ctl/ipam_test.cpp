// The switch's IPAM (ctl/ipam.hpp): pure allocation over a Config, and the vsctl ipam/ commands
// through the same Service (one transaction each) as the daemon runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "ctl/config_json.hpp"
#include "ctl/database.hpp"
#include "ctl/ipam.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

uint32_t ip(const char* s) { return *parse_ipv4(s); }

Config with_pool(const char* name, const char* subnet, const char* gw) {
  Config c = default_config();
  EXPECT_FALSE(ipam_add_pool(c, name, subnet, gw, false));
  return c;
}

TEST(IpamTest, DockerMacIsTwoBytesThenTheAddress) {
  EXPECT_EQ(docker_mac(ip("172.17.0.2")), "02:42:ac:11:00:02");
  EXPECT_EQ(docker_mac(ip("10.255.1.254")), "02:42:0a:ff:01:fe");
}

TEST(IpamTest, BridgeImplicitPoolSkipsNetworkAndGateway) {
  Config c = default_config();  // br0 with 172.17.0.1/16
  auto a = ipam_alloc(c, "br0", "c1");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(lease_json(*a).dump(),
            R"({"address":"172.17.0.2/16","gateway":"172.17.0.1","mac":"02:42:ac:11:00:02","pool":"br0"})");
  auto b = ipam_alloc(c, "br0", "c2");
  ASSERT_TRUE(b);
  EXPECT_EQ(format_ipv4(b->address.addr), "172.17.0.3");
  EXPECT_FALSE(validate(c));
}

TEST(IpamTest, SameOwnerGetsItsLeaseAgain) {
  Config c = with_pool("p", "10.9.0.0/24", "10.9.0.1");
  auto a = ipam_alloc(c, "p", "owner");
  auto again = ipam_alloc(c, "p", "owner");
  ASSERT_TRUE(a && again);
  EXPECT_EQ(a->address, again->address);
  EXPECT_EQ(c.ipam_pools.front().leases.size(), 1u);
  // Asking for another exact address while holding one is an error, the same one is fine.
  EXPECT_TRUE(ipam_alloc(c, "p", "owner", a->address.addr));
  EXPECT_EQ(ipam_alloc(c, "p", "owner", ip("10.9.0.77")).error().message,
            "owner already holds 10.9.0.2 in pool p (release it first)");
}

TEST(IpamTest, ExactAddressIsCheckedAgainstPoolAndLeases) {
  Config c = with_pool("p", "10.9.0.0/24", "10.9.0.1");
  ASSERT_TRUE(ipam_alloc(c, "p", "a", ip("10.9.0.50")));
  EXPECT_EQ(ipam_alloc(c, "p", "b", ip("10.9.0.50")).error().message,
            "10.9.0.50 in pool p is already held by a");
  EXPECT_EQ(ipam_alloc(c, "p", "b", ip("10.9.1.5")).error().message,
            "10.9.1.5 is outside pool p (10.9.0.0/24)");
  EXPECT_EQ(ipam_alloc(c, "p", "b", ip("10.9.0.1")).error().message, "10.9.0.1 is the gateway of pool p");
  EXPECT_EQ(ipam_alloc(c, "p", "b", ip("10.9.0.0")).error().message,
            "10.9.0.0 is the network address of pool p");
  EXPECT_EQ(ipam_alloc(c, "p", "b", ip("10.9.0.255")).error().message,
            "10.9.0.255 is the broadcast address of pool p");
  EXPECT_EQ(c.ipam_pools.front().leases.size(), 1u);
}

TEST(IpamTest, ExhaustedPoolIsRefusedAndReleaseFreesAnAddress) {
  Config c = with_pool("tiny", "10.9.0.0/29", "10.9.0.1");  // .2 .. .6: five addresses
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto l = ipam_alloc(c, "tiny", "c" + std::to_string(i));
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(seen.insert(format_ipv4(l->address.addr)).second);
  }
  EXPECT_EQ(ipam_alloc(c, "tiny", "c5").error().message,
            "pool tiny (10.9.0.0/29) is exhausted: all 5 addresses are leased");
  EXPECT_FALSE(ipam_release(c, "tiny", "c2", false));
  auto l = ipam_alloc(c, "tiny", "c5");
  ASSERT_TRUE(l);
  EXPECT_EQ(format_ipv4(l->address.addr), "10.9.0.4");
  EXPECT_EQ(ipam_release(c, "tiny", "nobody", false)->message, "nobody holds no lease in pool tiny");
  EXPECT_FALSE(ipam_release(c, "tiny", "nobody", true));
}

TEST(IpamTest, OverlappingAndMalformedPoolsAreRefused) {
  Config c = with_pool("p", "10.9.0.0/16", "");
  const Config before = c;
  EXPECT_EQ(ipam_add_pool(c, "q", "10.9.4.0/24", "", false)->message,
            "pool q: subnet 10.9.4.0/24 overlaps pool p (10.9.0.0/16)");
  EXPECT_EQ(ipam_add_pool(c, "q", "172.17.5.0/24", "", false)->message,
            "pool q: subnet 172.17.5.0/24 overlaps bridge br0 (172.17.0.0/16, its implicit pool)");
  EXPECT_EQ(ipam_add_pool(c, "q", "10.10.0.0/31", "", false)->message,
            "pool q: subnet 10.10.0.0/31 has no addresses to hand out (at most /30)");
  EXPECT_EQ(ipam_add_pool(c, "q", "10.10.0.0/24", "10.11.0.1", false)->message,
            "pool q: gateway 10.11.0.1 is outside 10.10.0.0/24");
  EXPECT_EQ(ipam_add_pool(c, "q", "10.10.0.0/33", "", false)->message,
            "subnet \"10.10.0.0/33\" is not an IPv4 prefix A/P");
  EXPECT_EQ(ipam_add_pool(c, "bad name", "10.10.0.0/24", "", false)->message,
            "pool name \"bad name\": only letters, digits and - _ . : are allowed");
  EXPECT_EQ(ipam_add_pool(c, "p", "10.9.0.0/16", "10.9.0.1", false)->message,
            "pool p already exists (10.9.0.0/16)");
  EXPECT_FALSE(ipam_add_pool(c, "p", "10.9.0.0/16", "", true));  // --may-exist, same pool
  EXPECT_EQ(c, before);
}

TEST(IpamTest, DelPoolRefusedWhileLeased) {
  Config c = with_pool("p", "10.9.0.0/24", "10.9.0.1");
  ASSERT_TRUE(ipam_alloc(c, "p", "web"));
  EXPECT_EQ(ipam_del_pool(c, "p", false)->message,
            "pool p still holds 1 lease(s), e.g. 10.9.0.2 of web (ipam/release them first)");
  EXPECT_FALSE(ipam_release(c, "p", "web", false));
  EXPECT_FALSE(ipam_del_pool(c, "p", false));
  EXPECT_TRUE(c.ipam_pools.empty());
  EXPECT_EQ(ipam_del_pool(c, "p", false)->message, "no IPAM pool named p");
  EXPECT_FALSE(ipam_del_pool(c, "p", true));
}

TEST(IpamTest, BridgeSubnetMayNotBeChangedOntoAPool) {
  Config c = with_pool("p", "10.9.0.0/24", "");
  c.bridges.front().ports.front().options[kIpOption] = "10.9.0.1/16";
  ASSERT_TRUE(validate(c));
  EXPECT_EQ(validate(c)->message,
            "pool p: subnet 10.9.0.0/24 overlaps bridge br0 (10.9.0.0/16, its implicit pool)");
}

TEST(IpamTest, DefaultSubnetSkipsUsedOnes) {
  Config c = with_pool("p", "172.18.0.0/16", "");
  auto s = ipam_free_default_subnet(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(format_ipv4(s->addr) + "/" + std::to_string(s->prefix), "172.19.0.0/16");
}

TEST(IpamTest, LeasesRoundTripThroughTheDatabase) {
  Config c = with_pool("p", "10.9.0.0/24", "10.9.0.1");
  c.ipam_pools.front().external_ids["docker_network"] = "abc";
  ASSERT_TRUE(ipam_alloc(c, "p", "a", std::nullopt, "02:00:00:00:00:01"));
  ASSERT_TRUE(ipam_alloc(c, "br0", "b"));
  const auto path = std::filesystem::temp_directory_path() / ("ipam_test_" + std::to_string(getpid()) + ".json");
  ASSERT_FALSE(save_database(path.string(), c));
  auto back = load_database(path.string());
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".lock");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ(**back, c);
  // A corrupted lease is refused on load, naming it.
  json doc = to_json(c);
  doc["ipam"]["pools"][0]["leases"][0]["address"] = "10.9.1.9";
  EXPECT_EQ(config_from_json(doc).error().message,
            "pool p: lease 10.9.1.9 of a is not a host address of 10.9.0.0/24");
  doc["ipam"]["pools"][0]["leases"].push_back({{"owner", "a"}, {"address", "10.9.0.3"}, {"mac", "02:42:0a:09:00:03"}});
  doc["ipam"]["pools"][0]["leases"][0]["address"] = "10.9.0.2";
  EXPECT_EQ(config_from_json(doc).error().message, "pool p: a holds two leases");
}

// Through vsctl's words and the Service: the interface the CNI plugin and vsattach use.
class IpamCommandsTest : public testing::Test {
 protected:
  json transact(std::vector<std::vector<std::string>> chain) {
    return service.handle({{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}});
  }
  std::string err(const json& r) { return r.contains("error") ? r["error"]["message"].get<std::string>() : ""; }
  Service service{default_config(), "", nullptr, nullptr};
};

TEST_F(IpamCommandsTest, AllocShowRelease) {
  auto r = transact({{"ipam/add-pool", "net1", "10.20.0.0/24", "10.20.0.1"}, {"ipam/alloc", "net1", "ctr1"}});
  ASSERT_EQ(err(r), "");
  EXPECT_EQ(r["result"]["outputs"][1].dump(),
            R"({"address":"10.20.0.2/24","gateway":"10.20.0.1","mac":"02:42:0a:14:00:02","pool":"net1"})");
  r = transact({{"ipam/alloc", "net1", "ctr2", "10.20.0.9/24"}});
  EXPECT_EQ(r["result"]["outputs"][0]["address"], "10.20.0.9/24");
  EXPECT_EQ(err(transact({{"ipam/alloc", "net1", "ctr3", "10.20.0.9/16"}})),
            "ipam/alloc: 10.20.0.9/16 does not have pool net1's prefix /24");
  EXPECT_EQ(err(transact({{"ipam/alloc", "net1", "ctr3", "nope"}})), "ipam/alloc: \"nope\" is not an IPv4 address");
  r = transact({{"ipam/show", "net1"}});
  EXPECT_EQ(r["result"]["outputs"][0]["leases"].size(), 2u);
  EXPECT_EQ(err(transact({{"ipam/release", "net1", "ctr1"}})), "");
  EXPECT_EQ(err(transact({{"ipam/release", "net1", "ctr1"}})), "ctr1 holds no lease in pool net1");
  EXPECT_EQ(err(transact({{"--if-exists", "ipam/release", "net1", "ctr1"}})), "");
  EXPECT_EQ(err(transact({{"ipam/show", "nopool"}})),
            "no IPAM pool named nopool (ipam/add-pool, or a bridge whose internal port has options:ip)");
}

TEST_F(IpamCommandsTest, FailedChainLeavesNoLease) {
  const Config before = service.config();
  auto r = transact({{"ipam/alloc", "br0", "c1"}, {"del-br", "nosuch"}});
  EXPECT_EQ(err(r), "no bridge named nosuch");
  EXPECT_EQ(service.config(), before);
}

TEST_F(IpamCommandsTest, DeletedBridgeLeavesReleasableLeases) {
  ASSERT_EQ(err(transact({{"add-br", "brx"}, {"set", "interface", "brx", "options:ip=10.30.0.1/24"},
                          {"ipam/alloc", "brx", "c1"}})),
            "");
  ASSERT_EQ(err(transact({{"del-br", "brx"}})), "");
  auto r = transact({{"ipam/show"}});
  ASSERT_EQ(r["result"]["outputs"][0].size(), 2u);  // br0 and the orphaned brx
  EXPECT_EQ(err(transact({{"ipam/release", "brx", "c1"}})), "");
  EXPECT_TRUE(service.config().ipam_pools.empty());
}

}  // namespace
}  // namespace lvs::ctl
