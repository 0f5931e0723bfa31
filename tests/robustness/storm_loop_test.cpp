// Storm control against a real loop (label "integration", root): two system ports of one bridge
// joined by a veth pair, so whatever the switch floods out of one comes back in on the other,
// plus two containers and the bridge's gateway. Without storm control one broadcast circulates
// for ever; with it the loop dies, a broadcast storm injected into the loop is cut and counted,
// and the containers, the host and the daemon keep answering.
#include "tests/robustness/daemon_env.hpp"

namespace lvs::test {
namespace {

class StormLoopTest : public DaemonEnv {
 protected:
  void SetUp() override {
    start("s");
    if (HasFatalFailure()) return;
    ASSERT_EQ(vsctl("add-br brs -- set interface brs options:ip=10.79.0.1/24"), 0);
    c1 = container("c1", "brs", "10.79.0.2");
    c2 = container("c2", "brs", "10.79.0.3");
    la = tag + "la";
    lb = tag + "lb";
    // The loop's veth lives in the host namespace; TearDown deletes it with the namespace.
    ASSERT_EQ(run("ip -n " + host + " link add " + la + " type veth peer name " + lb), 0);
    ASSERT_EQ(run("ip -n " + host + " link set " + la + " up"), 0);
    ASSERT_EQ(run("ip -n " + host + " link set " + lb + " up"), 0);
  }
  void close_loop(const std::string& storm_options = "") {
    ASSERT_EQ(vsctl("add-port brs " + la + " " + storm_options + " -- add-port brs " + lb + " " +
                    storm_options),
              0);
  }
  uint64_t loop_rx() { return stat(la, "rx_packets") + stat(lb, "rx_packets"); }
  // Frames the loop ports received during `window` (after `settle`).
  uint64_t loop_rate(std::chrono::milliseconds settle, std::chrono::milliseconds window) {
    std::this_thread::sleep_for(settle);
    const uint64_t a = loop_rx();
    std::this_thread::sleep_for(window);
    return loop_rx() - a;
  }
  // One broadcast from outside into the loop: sent on la, it arrives on lb.
  void inject(unsigned frames) {
    std::string out;
    ASSERT_EQ(in(host,
                 std::string(LVS_FRAME_FLOOD) + " " + la + " " + std::to_string(frames) +
                     " --src 02:5e:00:00:00:01 --dst ff:ff:ff:ff:ff:ff",
                 &out),
              0)
        << out;
  }

  std::string c1, c2, la, lb;
};

TEST_F(StormLoopTest, WithoutStormControlOneBroadcastCirculatesForEver) {
  ASSERT_TRUE(ping(c1, "10.79.0.3"));
  close_loop();
  inject(1);
  const uint64_t laps = loop_rate(500ms, 1000ms);
  std::printf("one broadcast in a loop without storm control: %llu laps/s\n",
              static_cast<unsigned long long>(laps));
  EXPECT_GT(laps, 1000u) << "the loop should keep the frame going";
  // Storm control set on the running loop kills it.
  const std::string limits =
      " other_config:storm-broadcast-pps=1000 other_config:storm-multicast-pps=1000"
      " other_config:storm-unknown-unicast-pps=1000";
  ASSERT_EQ(vsctl("set port " + la + limits + " -- set port " + lb + limits), 0);
  EXPECT_LT(loop_rate(500ms, 1000ms), 100u);
  EXPECT_GT(stat(la, "drop_storm_broadcast") + stat(lb, "drop_storm_broadcast"), 0u);
}

TEST_F(StormLoopTest, WithStormControlTheLoopDiesAndAStormIsCutWhileContainersKeepTalking) {
  const std::string limits =
      "other_config:storm-broadcast-pps=1000 other_config:storm-multicast-pps=1000 "
      "other_config:storm-unknown-unicast-pps=1000";
  // Neighbours are resolved, and pinned, before the loop closes. An ARP request sent into a loop
  // comes back and moves its sender's MAC onto a loop port; traffic to it then circulates as
  // known unicast (not a flood, so not limited) until the sender's next frame, and an earlier
  // version of this test lost its pings that way now and then. Only a spanning tree removes a
  // loop (not implemented); storm control bounds what it floods, which is what is tested here.
  ASSERT_TRUE(ping(c1, "10.79.0.1"));
  ASSERT_TRUE(ping(c1, "10.79.0.3"));
  ASSERT_TRUE(ping(host, "10.79.0.3"));
  ASSERT_TRUE(ping(c2, "10.79.0.1"));
  const std::string gw_mac = mac_of(host, "brs"), c1_mac = mac_of(c1, "eth0"),
                    c2_mac = mac_of(c2, "eth0");
  auto pin = [&](const std::string& ns, const std::string& dev, const std::string& ip,
                 const std::string& mac) {
    ASSERT_EQ(in(ns, "ip neigh replace " + ip + " lladdr " + mac + " nud permanent dev " + dev), 0);
  };
  pin(c1, "eth0", "10.79.0.1", gw_mac);
  pin(c1, "eth0", "10.79.0.3", c2_mac);
  pin(c2, "eth0", "10.79.0.1", gw_mac);
  pin(c2, "eth0", "10.79.0.2", c1_mac);
  pin(host, "brs", "10.79.0.2", c1_mac);
  pin(host, "brs", "10.79.0.3", c2_mac);
  close_loop(limits);

  // A storm: broadcasts into the loop as fast as the sender can, for as long as the checks take,
  // while c1 pings the gateway and c2 and the host pings c2, all at once (20 x 50 ms each).
  const pid_t storm =
      in_background(host,
                    std::string(LVS_FRAME_FLOOD) + " " + la +
                        " 100000000 --src 02:5e:00:00:00:01 --dst ff:ff:ff:ff:ff:ff",
                    dir + "/storm.log");
  // The checks start once the storm is on: the loop's far port receives it.
  const uint64_t before_storm = stat(lb, "rx_packets");
  ASSERT_TRUE(
      test::wait_until([&] { return stat(lb, "rx_packets") > before_storm + 1000; }, 10s, 20ms))
      << slurp(dir + "/storm.log");
  const uint64_t storm_rx0 = stat(lb, "rx_packets");
  const auto t_ping = std::chrono::steady_clock::now();
  const pid_t p1 = in_background(c1, "ping -q -n -c 20 -i 0.05 -W 1 10.79.0.1", dir + "/p1.log");
  const pid_t p2 = in_background(c1, "ping -q -n -c 20 -i 0.05 -W 1 10.79.0.3", dir + "/p2.log");
  const pid_t p3 = in_background(host, "ping -q -n -c 20 -i 0.05 -W 1 10.79.0.3", dir + "/p3.log");
  wait_for(p1, 20s);
  wait_for(p2, 20s);
  wait_for(p3, 20s);
  const double ping_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_ping).count();
  const auto t0 = std::chrono::steady_clock::now();
  std::string show;
  EXPECT_EQ(vsctl("show", &show), 0) << "the daemon answers during the storm";
  const double show_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t storm_rx = stat(lb, "rx_packets") - storm_rx0;
  ASSERT_EQ(wait_for(storm, 0s), -1)
      << "the storm must outlast the checks: " << slurp(dir + "/storm.log");
  kill_background(storm);
  auto replies = [&](const std::string& log) {
    const std::string text = slurp(log);
    int sent = 0, received = 0;
    const auto at = text.find("packets transmitted");
    if (at != std::string::npos)
      std::sscanf(text.c_str() + text.rfind('\n', at) + 1, "%d packets transmitted, %d", &sent,
                  &received);
    return received;
  };
  const int to_gw = replies(dir + "/p1.log"), to_c2 = replies(dir + "/p2.log"),
            host_to_c2 = replies(dir + "/p3.log");
  std::printf(
      "during the storm (%.0f frames/s into the loop for %.1f s): c1->gw %d/20, c1->c2 "
      "%d/20, host->c2 %d/20, vsctl show %.3f s\n",
      static_cast<double>(storm_rx) / ping_s, ping_s, to_gw, to_c2, host_to_c2, show_s);
  EXPECT_GT(storm_rx, 10'000u) << "no storm reached the switch";
  EXPECT_GE(to_gw, 18);
  EXPECT_GE(to_c2, 18);
  EXPECT_GE(host_to_c2, 18);
  EXPECT_LT(show_s, 2.0);

  // Once the sender stops, the loop empties at once (a live loop makes thousands of laps/s).
  EXPECT_LT(loop_rate(500ms, 1000ms), 100u);
  // The storm arrived on lb: counted there, by kind; what got through is about the rate.
  const auto s = stats(lb);
  const uint64_t rx = s["rx_packets"], dropped = s["drop_storm_broadcast"];
  std::printf("lb: rx %llu, storm_broadcast drops %llu\n", static_cast<unsigned long long>(rx),
              static_cast<unsigned long long>(dropped));
  EXPECT_GT(dropped, 0u);
  EXPECT_GT(dropped, rx / 2) << "most of the storm must have been cut";
  EXPECT_EQ(s["drop_storm_multicast"], 0u);
  // Containers still reach each other and the gateway afterwards.
  EXPECT_TRUE(ping(c1, "10.79.0.1"));
  EXPECT_TRUE(ping(c2, "10.79.0.2"));
}

}  // namespace
}  // namespace lvs::test
