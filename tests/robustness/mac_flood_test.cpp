// MAC flooding against a running daemon (label "integration", root): a container on a system
// port sends 1,000,000 frames with random source (and destination) MACs as fast as it can, as
// macof does, while two other containers keep talking (ping and a short iperf3 run). The table
// must stay within its cap, the attacker's entries must be the ones evicted, the victims' frames
// must stay unicast (the attacker's port is sent none of them) and the daemon's memory bounded.
#include <algorithm>

#include "tests/robustness/daemon_env.hpp"

namespace lvs::test {
namespace {

constexpr int kCap = 1024;

class MacFloodTest : public DaemonEnv {
 protected:
  void SetUp() override {
    start("m");
    if (HasFatalFailure()) return;
    ASSERT_EQ(vsctl("add-br brm -- set interface brm options:ip=10.81.0.1/24 -- set bridge brm "
                    "other_config:mac-table-size=" +
                    std::to_string(kCap)),
              0);
    attacker = container("a", "brm", "10.81.0.9");
    v1 = container("v1", "brm", "10.81.0.2");
    v2 = container("v2", "brm", "10.81.0.3");
  }
  // Sends `frames` random-MAC frames from the attacker; samples the table size meanwhile.
  // Returns the largest entry count seen.
  uint64_t flood(unsigned frames, uint64_t seed) {
    const pid_t p = in_background(attacker,
                                  std::string(LVS_FRAME_FLOOD) + " eth0 " + std::to_string(frames) +
                                      " --src random --dst random --seed " + std::to_string(seed),
                                  dir + "/flood.log");
    uint64_t most = 0;
    int rc = -1;
    for (int i = 0; i < 600 && rc == -1; ++i) {
      auto s = fdb_stats("brm");
      if (s.contains("entries")) most = std::max(most, s["entries"].get<uint64_t>());
      rc = wait_for(p, 0s);
      if (rc == -1) std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(rc, 0) << slurp(dir + "/flood.log");
    std::printf("attacker: %s", slurp(dir + "/flood.log").c_str());
    // Let the switch drain what is still queued, then sample once more.
    std::this_thread::sleep_for(300ms);
    auto s = fdb_stats("brm");
    if (s.contains("entries")) most = std::max(most, s["entries"].get<uint64_t>());
    return most;
  }

  std::string attacker, v1, v2;
};

TEST_F(MacFloodTest, AMillionRandomMacsStayWithinTheCapAndTheVictimsKeepUnicast) {
  ASSERT_TRUE(ping(v1, "10.81.0.3"));
  ASSERT_TRUE(ping(v2, "10.81.0.1"));
  ASSERT_TRUE(ping(attacker, "10.81.0.1"));
  const std::string v1_mac = mac_of(v1, "eth0"), v2_mac = mac_of(v2, "eth0");
  const long rss0 = rss_kib();
  const uint64_t attacker_tx0 = stat(attacker, "tx_packets");
  const uint64_t v2_tx0 = stat(v2, "tx_packets"), attacker_rx0 = stat(attacker, "rx_packets");

  // The victims talk throughout: 5 s of pings and a 4 s TCP run, started before the attack.
  const pid_t server = in_background(v2, "iperf3 -s -1", dir + "/iperf-s.log");
  ASSERT_TRUE(wait_tcp_listening(v2, 5201)) << slurp(dir + "/iperf-s.log");
  const pid_t pinger =
      in_background(v1, "ping -q -n -c 100 -i 0.05 -W 1 10.81.0.3", dir + "/ping.log");
  const pid_t client = in_background(v1, "iperf3 -c 10.81.0.3 -t 4 -f m", dir + "/iperf-c.log");
  // The attack starts once the victims' TCP is up (the client's connections established).
  ASSERT_TRUE(test::wait_until(
      [&] {
        std::string out;
        return in(v1, "ss -Htn state established 'dport = :5201'", &out) == 0 &&
               out.find("10.81.0.3:5201") != std::string::npos;
      },
      10s, 20ms))
      << slurp(dir + "/iperf-c.log");

  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t most = flood(1'000'000, 1);
  const double attack_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(wait_for(pinger, 30s), 0) << slurp(dir + "/ping.log");
  EXPECT_EQ(wait_for(client, 30s), 0) << slurp(dir + "/iperf-c.log");
  wait_for(server, 5s);

  const auto fs = fdb_stats("brm");
  const uint64_t attacker_rx = stat(attacker, "rx_packets") - attacker_rx0;
  const uint64_t attacker_tx = stat(attacker, "tx_packets") - attacker_tx0;
  const uint64_t v2_tx = stat(v2, "tx_packets") - v2_tx0;
  std::printf(
      "attack %.1f s: switch took %llu of the attacker's frames; table %s; largest seen "
      "%llu; attacker port sent %llu frames, v2 port %llu\n",
      attack_s, static_cast<unsigned long long>(attacker_rx), fs.dump().c_str(),
      static_cast<unsigned long long>(most), static_cast<unsigned long long>(attacker_tx),
      static_cast<unsigned long long>(v2_tx));
  const std::string ping_log = slurp(dir + "/ping.log"), iperf_log = slurp(dir + "/iperf-c.log");
  std::printf(
      "victims: %s%s", ping_log.c_str(),
      iperf_log.substr(iperf_log.find("- - -") == std::string::npos ? 0 : iperf_log.find("- - -"))
          .c_str());

  // The table never grew beyond its cap, though far more MACs than that were learnt.
  EXPECT_LE(most, static_cast<uint64_t>(kCap));
  EXPECT_GT(attacker_rx, 10u * kCap) << "the switch must have seen a real flood";
  EXPECT_GT(fs["learned"].get<uint64_t>(), 10u * kCap);
  EXPECT_GT(fs["evicted"].get<uint64_t>(), 5u * kCap);
  // The victims' entries survived on their ports: the evicted ones were the attacker's.
  std::map<std::string, std::string> where;
  auto rows = vsctl_json("fdb/show brm");
  ASSERT_TRUE(rows.is_array());
  for (const auto& r : rows) where[r["mac"].get<std::string>()] = r["port"].get<std::string>();
  EXPECT_EQ(where[v1_mac], v1);
  EXPECT_EQ(where[v2_mac], v2);
  const long rss1 = rss_kib();  // after the same control requests as the second round makes
  // Their traffic stayed unicast: nothing of it was flooded to the attacker's port (a few ARP
  // broadcasts at most) during thousands of TCP segments and 100 pings.
  EXPECT_LT(attacker_tx, 20u);
  int sent = 0, received = 0;
  const auto at = ping_log.find("packets transmitted");
  ASSERT_NE(at, std::string::npos) << ping_log;
  std::sscanf(ping_log.c_str() + ping_log.rfind('\n', at) + 1, "%d packets transmitted, %d", &sent,
              &received);
  EXPECT_GE(received, 95) << ping_log;

  // Memory: a second flood must not grow the daemon (the first may touch pool pages for the
  // first time; the table is allocated at its cap).
  flood(300'000, 2);
  vsctl_json("fdb/show brm");
  const long rss2 = rss_kib();
  std::printf("vswitchd VmRSS: %ld KiB before, %ld after 1 M, %ld after 300 K more\n", rss0, rss1,
              rss2);
  EXPECT_LT(rss1 - rss0, 64 * 1024);
  EXPECT_LT(rss2 - rss1, 2 * 1024);
  EXPECT_LE(fdb_stats("brm")["entries"].get<uint64_t>(), static_cast<uint64_t>(kCap));
}

}  // namespace
}  // namespace lvs::test
