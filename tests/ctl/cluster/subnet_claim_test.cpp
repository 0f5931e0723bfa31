// Per-host subnets against a real etcd-server (label "integration"): two hosts get different
// subnets of the cluster CIDR, a restarted host gets its old one back (from its state file, or
// from etcd when the file is gone).
#include "ctl/cluster/subnet_claim.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "ctl/cluster/cluster_view.hpp"
#include "tests/ctl/cluster/etcd_server.hpp"

namespace lvs::ctl::cluster {
namespace {

class SubnetClaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(etcd_.start(&why)) << why;
    for (auto* d : {&dir_a_, &dir_b_}) {
      char tmpl[] = "/tmp/lvs-subnet-XXXXXX";
      *d = ::mkdtemp(tmpl);
    }
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_a_);
    std::filesystem::remove_all(dir_b_);
  }
  StoreOptions options(const std::string& ip, const std::string& dir) {
    StoreOptions o;
    o.endpoints = {etcd_.endpoint()};
    o.local_ip = ip;
    o.lease_ttl_s = 3;
    o.state_dir = dir;
    return o;
  }
  static std::string claim(ClusterStore& s, const std::string& cidr = "10.200.0.0/16") {
    auto r = s.claim_subnet(cidr, 24);
    EXPECT_EQ(r.index(), 0u) << std::get<1>(r);
    return r.index() == 0 ? std::get<0>(r) : "";
  }
  test::EtcdServer etcd_;
  std::string dir_a_, dir_b_;
};

TEST_F(SubnetClaimTest, TwoHostsClaimDifferentSubnetsAndARestartKeepsItsOwn) {
  std::string a_subnet, b_subnet;
  {
    ClusterStore a(options("10.0.0.1", dir_a_)), b(options("10.0.0.2", dir_b_));
    a_subnet = claim(a);
    b_subnet = claim(b);
    EXPECT_NE(a_subnet, b_subnet);
    EXPECT_EQ(claim(a), a_subnet);  // asking again: the same
  }
  // Host b restarts; a host c comes meanwhile and must not get b's.
  char tmpl[] = "/tmp/lvs-subnet-XXXXXX";
  const std::string dir_c = ::mkdtemp(tmpl);
  ClusterStore c(options("10.0.0.3", dir_c));
  const std::string c_subnet = claim(c);
  EXPECT_NE(c_subnet, a_subnet);
  EXPECT_NE(c_subnet, b_subnet);
  ClusterStore b2(options("10.0.0.2", dir_b_));
  EXPECT_EQ(claim(b2), b_subnet);
  // Its state file lost: etcd still says which one is its own.
  std::filesystem::remove(dir_a_ + "/cluster-subnet.json");
  ClusterStore a2(options("10.0.0.1", dir_a_));
  EXPECT_EQ(claim(a2), a_subnet);
  std::filesystem::remove_all(dir_c);
}

TEST_F(SubnetClaimTest, FullCidrSaysSoAndBadRequestsNameTheProblem) {
  ClusterStore a(options("10.0.0.1", dir_a_)), b(options("10.0.0.2", dir_b_));
  auto short_cidr = a.claim_subnet("10.201.0.0/30", 24);
  ASSERT_EQ(short_cidr.index(), 1u);
  EXPECT_NE(std::get<1>(short_cidr).find("must be longer than /30"), std::string::npos)
      << std::get<1>(short_cidr);
  auto one = a.claim_subnet("10.201.0.0/23", 24);
  auto two = b.claim_subnet("10.201.0.0/23", 24);
  ASSERT_EQ(one.index(), 0u);
  ASSERT_EQ(two.index(), 0u);
  ClusterStore c(options("10.0.0.3", ""));
  auto full = c.claim_subnet("10.201.0.0/23", 24);
  ASSERT_EQ(full.index(), 1u);
  EXPECT_NE(std::get<1>(full).find("no free /24 left in 10.201.0.0/23"), std::string::npos)
      << std::get<1>(full);
  auto bits = c.claim_subnet("10.201.1.0/16", 24);
  ASSERT_EQ(bits.index(), 1u);
  EXPECT_NE(std::get<1>(bits).find("host bits set"), std::string::npos) << std::get<1>(bits);
}

}  // namespace
}  // namespace lvs::ctl::cluster
