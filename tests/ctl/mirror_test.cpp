// Port mirroring and live capture end to end (label "integration", root): vswitchd in a namespace
// playing the host, containers as namespaces on veths, tshark/tcpdump reading what the mirror or
// capture wrote. Static neighbours keep ARP out, so every frame on the wire is one the test sent.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/daemon_fixture.hpp"

namespace lvs::ctl {
namespace {

using test::run;
using namespace std::chrono_literals;

class MirrorTest : public test::DaemonFixture {
 protected:
  void SetUp() override {
    ipv4_only = true;
    start("lvm");
    if (HasFatalFailure()) return;
    ASSERT_EQ(vsctl("add-br brm"), 0);
    // c1 and c2 on access ports of VLAN 10, c3 on a trunk (nothing configured in it).
    for (int i = 1; i <= 3; ++i) attach(i);
    ASSERT_EQ(vsctl("add-port brm " + port(1) + " tag=10"), 0);
    ASSERT_EQ(vsctl("add-port brm " + port(2) + " tag=10"), 0);
    ASSERT_EQ(vsctl("add-port brm " + port(3) + " trunks=10,20"), 0);
    neighbour(1, 2);
    neighbour(2, 1);
  }

  std::string ns(int i) { return tag + "c" + std::to_string(i); }
  std::string port(int i) { return tag + "p" + std::to_string(i); }
  std::string ip(int i) { return "10.79.0." + std::to_string(i); }
  std::string mac(int i) { return "02:00:00:00:79:0" + std::to_string(i); }
  void attach(int i) {
    ASSERT_EQ(add_netns(ns(i)), 0);
    ASSERT_EQ(run("ip link add " + port(i) + " netns " + host + " type veth peer name eth0 netns " +
                  ns(i)),
              0);
    ASSERT_EQ(in(ns(i), "ip link set eth0 address " + mac(i)), 0);
    ASSERT_EQ(in(ns(i), "ip addr add " + ip(i) + "/24 dev eth0"), 0);
    ASSERT_EQ(in(ns(i), "ip link set eth0 up"), 0);
    ASSERT_EQ(run("ip -n " + host + " link set " + port(i) + " up"), 0);
  }
  void neighbour(int from, int to) {
    ASSERT_EQ(in(ns(from), "ip neigh replace " + ip(to) + " lladdr " + mac(to) + " dev eth0"), 0);
  }
  // tshark's fields of every frame of a pcap file matching `filter`, one line each.
  std::string decode(const std::string& file, const std::string& filter = "") {
    std::string out;
    run("(tshark -r " + file + (filter.empty() ? "" : " -Y '" + filter + "'") +
            " -T fields -e eth.src -e eth.dst -e vlan.id -e icmp.type 2>/dev/null)",
        &out);
    return out;
  }
  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  nlohmann::json bridge_show() {
    std::string out;
    EXPECT_EQ(vsctl("--format json show", &out), 0);
    const auto doc = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << out;
    if (doc.is_discarded()) return {};
    for (const auto& b : doc["bridges"])
      if (b["name"] == "brm") return b;
    ADD_FAILURE() << out;
    return {};
  }
};

TEST_F(MirrorTest, PcapMirrorHoldsExactlyTheSelectedFramesWithTheirWireTags) {
  const std::string f = dir + "/m1.pcap", f10 = dir + "/m10.pcap", f20 = dir + "/m20.pcap";
  std::string out;
  ASSERT_EQ(
      vsctl("add-mirror brm m1 --src " + port(1) + " --dst " + port(3) + " --output-pcap " + f,
            &out),
      0)
      << out;
  ASSERT_EQ(vsctl("add-mirror brm m10 --src " + port(1) + " --vlan 10 --output-pcap " + f10), 0);
  ASSERT_EQ(vsctl("add-mirror brm m20 --src " + port(1) + " --vlan 20,30 --output-pcap " + f20), 0);
  ASSERT_EQ(in(ns(1), "ping -c 3 -i 0.2 -W 1 " + ip(2), &out), 0) << out;
  std::this_thread::sleep_for(300ms);
  // Deleting the mirrors closes their files (what was buffered is written).
  for (const char* m : {"m1", "m10", "m20"})
    ASSERT_EQ(vsctl(std::string("del-mirror brm ") + m), 0);
  // Received on the access port: 3 echo requests, untagged as they came from c1. Sent on the
  // trunk: the first request only (c2 unknown yet: flooded), tagged 10 as it left.
  const std::string all = decode(f);
  EXPECT_EQ(lines(all), 4u) << all;
  const std::string rx = decode(f, "icmp.type==8 && !vlan && eth.src==" + mac(1));
  EXPECT_EQ(lines(rx), 3u) << all;
  const std::string tx = decode(f, "icmp.type==8 && vlan.id==10 && eth.dst==" + mac(2));
  EXPECT_EQ(lines(tx), 1u) << all;
  // --vlan: the access port's frames are VLAN 10 frames.
  EXPECT_EQ(lines(decode(f10)), 3u);
  EXPECT_EQ(lines(decode(f20)), 0u);
  EXPECT_EQ(run("tcpdump -r " + f20 + " 2>&1", &out), 0) << out;  // a valid, empty file

  // del-mirror stopped it: more traffic adds nothing.
  ASSERT_EQ(in(ns(1), "ping -c 2 -i 0.2 -W 1 " + ip(2)), 0);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(lines(decode(f)), 4u);
  EXPECT_TRUE(bridge_show()["mirrors"].is_null());
}

TEST_F(MirrorTest, TapOutputShowsAContainersTrafficToTcpdumpOnTheHost) {
  std::string out;
  ASSERT_EQ(vsctl("add-port brm " + tag + "mo -- set interface " + tag + "mo type=internal"), 0);
  ASSERT_EQ(
      vsctl("add-mirror brm mt --src " + port(2) + " --dst " + port(2) + " --output " + tag + "mo",
            &out),
      0)
      << out;
  const std::string f = dir + "/tap.pcap";
  const pid_t dump = in_background(host, "tcpdump -i " + tag + "mo -U -w " + f + " icmp");
  std::this_thread::sleep_for(2s);  // tcpdump is listening
  ASSERT_EQ(in(ns(1), "ping -c 3 -i 0.2 -W 1 " + ip(2), &out), 0) << out;
  std::this_thread::sleep_for(1s);
  ::kill(-dump, SIGINT);
  wait_for(dump, 5s);
  // Both directions of c2's port, untagged (an access port's frames on the wire).
  EXPECT_EQ(lines(decode(f, "icmp.type==8 && !vlan")), 3u) << decode(f);
  EXPECT_EQ(lines(decode(f, "icmp.type==0 && !vlan")), 3u) << decode(f);
  auto show = bridge_show();
  ASSERT_EQ(show["mirrors"].size(), 1u) << show;
  EXPECT_EQ(show["mirrors"][0]["output_port"], tag + "mo");
  EXPECT_EQ(show["mirrors"][0]["statistics"]["tx_packets"], 6) << show;
  // The mirror survives a restart of the daemon, as any configuration.
  stop_daemon(SIGTERM);
  start_daemon();
  show = bridge_show();
  ASSERT_EQ(show["mirrors"].size(), 1u) << show;
  EXPECT_EQ(show["mirrors"][0]["name"], "mt");
  // Errors change nothing.
  EXPECT_NE(vsctl("add-mirror brm mt --output " + port(3), &out), 0);
  EXPECT_NE(out.find("already has a mirror named mt"), std::string::npos) << out;
  EXPECT_NE(vsctl("add-mirror brm m2 --src " + port(3) + " --output " + port(3), &out), 0);
  EXPECT_NE(out.find("cannot also be a source"), std::string::npos) << out;
  EXPECT_NE(vsctl("add-mirror brm m2 --src nosuch --output " + port(3), &out), 0);
  EXPECT_NE(out.find("port nosuch is not on bridge brm"), std::string::npos) << out;
  EXPECT_NE(vsctl("add-mirror brx m2 --output " + port(3), &out), 0);
  EXPECT_NE(out.find("no bridge named brx"), std::string::npos) << out;
  EXPECT_NE(vsctl("add-mirror brm m2 --src " + port(1), &out), 0);
  EXPECT_NE(out.find("needs an output"), std::string::npos) << out;
  EXPECT_NE(vsctl("add-mirror brm m2 --output " + port(3) + " --output-pcap /tmp/x.pcap", &out), 0);
  EXPECT_NE(out.find("exclusive"), std::string::npos) << out;
  EXPECT_EQ(bridge_show()["mirrors"].size(), 1u);
}

TEST_F(MirrorTest, CaptureWritesNFramesThatTcpdumpReadsAndStreamsToStdout) {
  const std::string f = dir + "/cap.pcap";
  std::string out;
  const pid_t cap = in_background(host, std::string(LVS_VSCTL) + " --socket " + sock + " capture " +
                                            port(1) + " --direction rx -c 3 -w " + f);
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(in(ns(1), "ping -c 5 -i 0.2 -W 1 " + ip(2), &out), 0) << out;
  EXPECT_EQ(wait_for(cap, 5s), 0);  // it ends by itself after 3 frames
  ASSERT_EQ(run("(tcpdump -n -r " + f + " 2>/dev/null)", &out), 0);
  EXPECT_EQ(lines(out), 3u) << out;
  EXPECT_EQ(lines(decode(f, "icmp.type==8 && eth.src==" + mac(1))), 3u);
  // -w -: the stream goes to stdout, tcpdump reads it from a pipe.
  const std::string txt = dir + "/stream.txt";
  const pid_t pipe = in_background(host, "sh -c '" + std::string(LVS_VSCTL) + " --socket " + sock +
                                             " capture " + port(2) +
                                             " --direction tx -c 2 -w - | "
                                             "tcpdump -n -r - > " +
                                             txt + " 2>/dev/null'");
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(in(ns(1), "ping -c 3 -i 0.2 -W 1 " + ip(2), &out), 0) << out;
  EXPECT_EQ(wait_for(pipe, 5s), 0);
  out = test::slurp(txt);
  EXPECT_EQ(lines(out), 2u) << out;
  EXPECT_NE(out.find("ICMP echo request"), std::string::npos) << out;
  // Ended captures are gone from the datapath.
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(bridge_show()["captures"].is_null()) << bridge_show();
  // A port that does not exist: a clear error.
  EXPECT_NE(vsctl("capture nosuch -w " + f, &out), 0);
  EXPECT_NE(out.find("no port named nosuch"), std::string::npos) << out;
}

TEST_F(MirrorTest, ACaptureThatCannotKeepUpDropsCopiesNotTheMirroredTraffic) {
  // The reader never reads: the pipe, the socket and the rings fill, then copies are dropped.
  const pid_t cap = in_background(host, "sh -c '" + std::string(LVS_VSCTL) + " --socket " + sock +
                                            " capture " + port(1) + " -w - | sleep 60'");
  std::this_thread::sleep_for(500ms);
  std::string out;
  ASSERT_EQ(in(ns(1), "ping -f -c 20000 -W 1 -q " + ip(2), &out), 0) << out;
  EXPECT_NE(out.find(" 0% packet loss"), std::string::npos) << out;
  const auto show = bridge_show();
  ASSERT_EQ(show["captures"].size(), 1u) << show;
  const auto& stats = show["captures"][0]["statistics"];
  EXPECT_GT(stats["mirror_drops"].get<uint64_t>(), 0u) << show;
  EXPECT_GE(stats["tx_packets"].get<uint64_t>(), 40000u) << show;
  // The capture ends with its vsctl: the daemon stops copying.
  kill_background(cap);
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(bridge_show()["captures"].is_null()) << bridge_show();
}

}  // namespace
}  // namespace lvs::ctl
