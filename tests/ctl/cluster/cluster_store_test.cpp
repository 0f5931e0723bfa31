// ClusterStore against a real etcd-server started by each test (label "integration"): hosts see
// each other, leave at once on a clean stop and after the TTL when killed, the view survives an
// etcd restart and reconciles, a compaction forces a full resync.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "ctl/cluster/cluster_view.hpp"
#include "ctl/cluster/etcd_client.hpp"
#include "tests/ctl/cluster/etcd_server.hpp"
#include "tests/ctl/cluster/tcp_proxy.hpp"
#include "tests/support/wait_until.hpp"

namespace lvs::ctl::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::wait_until;

StoreOptions options(const std::string& endpoint, const std::string& ip, int ttl = 3) {
  StoreOptions o;
  o.endpoints = {endpoint};
  o.local_ip = ip;
  o.lease_ttl_s = ttl;
  return o;
}

LocalState host_state(const std::string& ip, std::vector<Endpoint> eps) {
  LocalState s;
  s.self.id = ip;
  s.self.underlay_ip = ip;
  s.self.vtep_mac = "02:00:00:00:00:01";
  s.self.vnis = {100};
  s.endpoints = std::move(eps);
  return s;
}

Endpoint ep(const std::string& mac, const std::string& ip) {
  return Endpoint{100, mac, ip, "", ""};
}

bool has_endpoint(const ClusterView& v, const std::string& mac, const std::string& host) {
  return std::any_of(v.endpoints.begin(), v.endpoints.end(),
                     [&](const Endpoint& e) { return e.mac == mac && e.host == host; });
}

class ClusterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(etcd_.start(&why)) << why;
  }
  test::EtcdServer etcd_;
};

TEST_F(ClusterStoreTest, TwoHostsSeeEachOthersMembersAndEndpointsWithinOneSecond) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  const auto t0 = std::chrono::steady_clock::now();
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
  b.publish(host_state("10.0.0.2", {ep("bb:00:00:00:00:01", "10.200.1.5")}));
  auto both = [](const ClusterStore& s) {
    const ClusterView v = s.view();
    return v.connected && v.members.size() == 2 &&
           has_endpoint(v, "aa:00:00:00:00:01", "10.0.0.1") &&
           has_endpoint(v, "bb:00:00:00:00:01", "10.0.0.2");
  };
  EXPECT_TRUE(wait_until([&] { return both(a) && both(b); }, milliseconds(1000), milliseconds(5)))
      << "a: " << a.view().members.size() << " members, " << a.view().error;
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, milliseconds(1000));
  const ClusterView v = a.view();
  const Member& m = v.members.at("10.0.0.2");
  EXPECT_EQ(m.underlay_ip, "10.0.0.2");
  EXPECT_EQ(m.vnis, std::vector<uint32_t>{100});
  EXPECT_NE(m.lease_id, 0);
  EXPECT_GT(v.revision, 0);
}

TEST_F(ClusterStoreTest, RemovedEndpointDisappearsFromOtherHosts) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  a.publish(host_state(
      "10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5"), ep("aa:00:00:00:00:02", "10.200.0.6")}));
  ASSERT_TRUE(wait_until([&] { return has_endpoint(b.view(), "aa:00:00:00:00:02", "10.0.0.1"); },
                         seconds(2)));
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
  EXPECT_TRUE(wait_until([&] { return !has_endpoint(b.view(), "aa:00:00:00:00:02", "10.0.0.1"); },
                         seconds(1)));
  EXPECT_TRUE(has_endpoint(b.view(), "aa:00:00:00:00:01", "10.0.0.1"));
}

TEST_F(ClusterStoreTest, StationThatMovedStaysWithItsNewHost) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  a.publish(host_state("10.0.0.1", {ep("cc:00:00:00:00:01", "10.200.0.5")}));
  ASSERT_TRUE(wait_until([&] { return has_endpoint(b.view(), "cc:00:00:00:00:01", "10.0.0.1"); },
                         seconds(2)));
  b.publish(host_state("10.0.0.2", {ep("cc:00:00:00:00:01", "10.200.0.5")}));  // it moved to b
  ASSERT_TRUE(wait_until([&] { return has_endpoint(a.view(), "cc:00:00:00:00:01", "10.0.0.2"); },
                         seconds(2)));
  // No tug of war while a still lists it: a leaves it to b.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(has_endpoint(b.view(), "cc:00:00:00:00:01", "10.0.0.2"));
  EXPECT_TRUE(has_endpoint(a.view(), "cc:00:00:00:00:01", "10.0.0.2"));
  a.publish(host_state("10.0.0.1", {}));  // a forgets it later: b's entry must stay
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:09", "10.200.0.9")}));
  ASSERT_TRUE(wait_until([&] { return has_endpoint(b.view(), "aa:00:00:00:00:09", "10.0.0.1"); },
                         seconds(2)));
  EXPECT_TRUE(has_endpoint(b.view(), "cc:00:00:00:00:01", "10.0.0.2"));
  EXPECT_TRUE(has_endpoint(a.view(), "cc:00:00:00:00:01", "10.0.0.2"));
}

TEST_F(ClusterStoreTest, MoreEndpointsThanOneTxnHoldsAllArrive) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  std::vector<Endpoint> eps;
  for (int i = 0; i < 300; ++i) {  // etcd takes at most 128 operations per txn
    char m[18];
    std::snprintf(m, sizeof m, "aa:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    eps.push_back(ep(m, "10.200.0." + std::to_string(i % 250 + 2)));
  }
  a.publish(host_state("10.0.0.1", eps));
  EXPECT_TRUE(wait_until([&] { return b.view().endpoints.size() == 300; }, seconds(3)))
      << b.view().endpoints.size();
  eps.resize(10);  // 290 deletions: three txns
  a.publish(host_state("10.0.0.1", eps));
  EXPECT_TRUE(wait_until([&] { return b.view().endpoints.size() == 10; }, seconds(3)))
      << b.view().endpoints.size();
}

TEST_F(ClusterStoreTest, FailsOverToTheNextEndpointOfTheList) {
  // The first endpoint refuses connections (nobody listens there).
  const std::string dead = "127.0.0.1:" + std::to_string(test::free_loopback_port());
  StoreOptions oa = options(dead, "10.0.0.1");
  oa.endpoints.push_back(etcd_.endpoint());
  ClusterStore a(oa), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
  EXPECT_TRUE(wait_until([&] { return has_endpoint(b.view(), "aa:00:00:00:00:01", "10.0.0.1"); },
                         seconds(2)));
  EXPECT_TRUE(wait_until([&] { return a.view().connected; }, seconds(1)));
}

TEST_F(ClusterStoreTest, LostLeaseIsGrantedAgainAndEverythingPublishedAgain) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
  ASSERT_TRUE(wait_until(
      [&] {
        const ClusterView v = b.view();
        return v.members.count("10.0.0.1") && has_endpoint(v, "aa:00:00:00:00:01", "10.0.0.1");
      },
      seconds(2)));
  const int64_t old_lease = b.view().members.at("10.0.0.1").lease_id;
  // As when etcd expired it (stalled past the TTL): the lease and a's keys go.
  EtcdClient etcd({etcd_.endpoint()}, milliseconds(1000));
  ASSERT_FALSE(etcd.lease_revoke(old_lease));
  EXPECT_TRUE(wait_until(
      [&] {
        const ClusterView v = b.view();
        const auto it = v.members.find("10.0.0.1");
        return it != v.members.end() && it->second.lease_id != old_lease &&
               has_endpoint(v, "aa:00:00:00:00:01", "10.0.0.1");
      },
      seconds(3)));
}

TEST_F(ClusterStoreTest, CleanStopRemovesTheHostAtOnce) {
  // TTL 30 s: only the revoke can remove it within the second.
  ClusterStore b(options(etcd_.endpoint(), "10.0.0.2"));
  b.start({});
  {
    ClusterStore a(options(etcd_.endpoint(), "10.0.0.1", 30));
    a.start({});
    a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
    ASSERT_TRUE(wait_until([&] { return b.view().members.count("10.0.0.1") == 1; }, seconds(2)));
  }
  EXPECT_TRUE(wait_until(
      [&] {
        const ClusterView v = b.view();
        return v.members.count("10.0.0.1") == 0 && v.endpoints.empty();
      },
      seconds(1)));
}

TEST_F(ClusterStoreTest, KilledHostDisappearsWhenItsLeaseExpires) {
  const int ttl = 2;
  ClusterStore b(options(etcd_.endpoint(), "10.0.0.2"));
  const pid_t child = ::fork();  // before b's thread: the child starts from one thread
  if (child == 0) {
    ClusterStore a(options(etcd_.endpoint(), "10.0.0.1", ttl));
    a.start({});
    a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
    ::pause();  // until SIGKILL: no stop, no revoke
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  b.start({});
  ASSERT_TRUE(wait_until([&] { return has_endpoint(b.view(), "aa:00:00:00:00:01", "10.0.0.1"); },
                         seconds(3)));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until(
      [&] {
        const ClusterView v = b.view();
        return v.members.count("10.0.0.1") == 0 && v.endpoints.empty();
      },
      seconds(ttl + 2), milliseconds(10)));
  // Gone by the lease, not at once (a revoke would have done that).
  EXPECT_GT(std::chrono::steady_clock::now() - killed, milliseconds(ttl * 1000 / 3));
}

TEST_F(ClusterStoreTest, ViewSurvivesEtcdStallAndRestartThenReconciles) {
  ClusterStore a(options(etcd_.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  a.publish(host_state("10.0.0.1", {ep("aa:00:00:00:00:01", "10.200.0.5")}));
  b.publish(host_state("10.0.0.2", {ep("bb:00:00:00:00:01", "10.200.1.5")}));
  ASSERT_TRUE(wait_until(
      [&] {
        const ClusterView v = a.view();
        return v.members.size() == 2 && has_endpoint(v, "bb:00:00:00:00:01", "10.0.0.2");
      },
      seconds(2)));
  // Stalled first (SIGSTOP: connections hang, only the timeouts tell), then gone.
  etcd_.pause();
  ASSERT_TRUE(wait_until([&] { return !a.view().connected && !b.view().connected; }, seconds(5)));
  etcd_.kill();
  const ClusterView kept = a.view();
  EXPECT_EQ(kept.members.size(), 2u);
  EXPECT_TRUE(has_endpoint(kept, "bb:00:00:00:00:01", "10.0.0.2"));
  EXPECT_FALSE(kept.error.empty());
  // Published while etcd is away: goes out when it is back.
  b.publish(host_state(
      "10.0.0.2", {ep("bb:00:00:00:00:01", "10.200.1.5"), ep("bb:00:00:00:00:02", "10.200.1.6")}));
  std::string why;
  ASSERT_TRUE(etcd_.start(&why)) << why;
  EXPECT_TRUE(wait_until(
      [&] {
        const ClusterView v = a.view();
        return v.connected && has_endpoint(v, "bb:00:00:00:00:02", "10.0.0.2") &&
               has_endpoint(v, "bb:00:00:00:00:01", "10.0.0.2") && v.members.size() == 2;
      },
      seconds(6)));
}

TEST_F(ClusterStoreTest, CompactedRevisionForcesFullResync) {
  test::TcpProxy proxy(test::free_loopback_port(), etcd_.port());
  ClusterStore a(options(proxy.endpoint(), "10.0.0.1")), b(options(etcd_.endpoint(), "10.0.0.2"));
  a.start({});
  b.start({});
  b.publish(host_state("10.0.0.2", {ep("bb:00:00:00:00:01", "10.200.1.5")}));
  ASSERT_TRUE(wait_until([&] { return has_endpoint(a.view(), "bb:00:00:00:00:01", "10.0.0.2"); },
                         seconds(2)));
  proxy.cut();  // a alone loses etcd
  ASSERT_TRUE(wait_until([&] { return !a.view().connected; }, seconds(5)));
  // Meanwhile: one endpoint goes, another comes, and the history between is compacted away.
  b.publish(host_state("10.0.0.2", {ep("bb:00:00:00:00:02", "10.200.1.6")}));
  EtcdClient etcd({etcd_.endpoint()}, milliseconds(1000));
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = etcd.range("/lite-vswitch/endpoints/100/bb:00:00:00:00:01", "");
        return r.ok() && r->kvs.empty();
      },
      seconds(2)));
  auto now = etcd.range("/", "");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(etcd.call("/v3/kv/compaction",
                        {{"revision", std::to_string(now->revision)}, {"physical", true}})
                  .ok());
  proxy.restore();
  EXPECT_TRUE(wait_until(
      [&] {
        const ClusterView v = a.view();
        return v.connected && has_endpoint(v, "bb:00:00:00:00:02", "10.0.0.2") &&
               !has_endpoint(v, "bb:00:00:00:00:01", "10.0.0.2");
      },
      seconds(6)));
}

}  // namespace
}  // namespace lvs::ctl::cluster
