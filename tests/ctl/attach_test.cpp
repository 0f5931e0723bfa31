// vsattach and docker0's NAT end to end (label "integration", root): the real vswitchd runs inside
// a network namespace that plays the host, containers are namespaces attached with the real
// vsattach, and an "outside" namespace reaches the host over a veth. Every namespace, process and
// file a test makes is removed by the fixture's guard, whatever the test's outcome; nothing here
// touches the machine's own namespace (172.17/16 included).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "ctl/derived_mac.hpp"
#include "tests/support/daemon_fixture.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;
using test::run;
using test::slurp;
using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";

// A TCP server in a namespace answering each connection with the peer's address: shows whether
// (and to what) the switch's NAT rewrote the source.
std::string peer_echo_server(int port) {
  return std::string(kPython) +
         " -c \"import "
         "socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
         "s.bind(('0.0.0.0'," +
         std::to_string(port) +
         "))\ns.listen(8)\nwhile True:\n"
         " c,a=s.accept()\n c.sendall(a[0].encode())\n c.close()\"";
}
std::string peer_echo_client(const std::string& ip, int port) {
  return std::string(kPython) +
         " -c \"import socket,time\nfor i in range(30):\n try:\n  c=socket.create_connection(('" +
         ip + "'," + std::to_string(port) +
         "),timeout=2)\n  break\n except OSError:\n  "
         "time.sleep(0.1)\nprint(c.recv(100).decode())\"";
}

class AttachTest : public test::DaemonFixture {
 protected:
  void SetUp() override {
    start("lva");
    if (HasFatalFailure()) return;
    ASSERT_EQ(vsctl("add-br brt -- set interface brt options:ip=10.77.0.1/24 "
                    "-- set bridge brt other_config:nat=true"),
              0);
  }

  // A container: a namespace with lo up.
  std::string container(const std::string& suffix) {
    const std::string name = tag + suffix;
    EXPECT_EQ(add_netns(name), 0);
    run("ip -n " + name + " link set lo up");
    return name;
  }

  bool ping(const std::string& ns, const std::string& ip) { return DaemonFixture::ping(ns, ip, 3); }
  std::string port_of(const std::string& ns, const std::string& ifname = "eth0") {
    return host_veth_name(ns, "netns:" + ns, ifname);
  }
  std::string nat_table() {
    std::string out;
    return run("ip netns exec " + host + " nft list table ip lite_vswitch", &out) == 0 ? out : "";
  }
  // The outside world: a namespace joined to the host by a veth, 10.78.0.1 (host) / 10.78.0.2.
  std::string outside() {
    const std::string o = tag + "o";
    EXPECT_EQ(add_netns(o), 0);
    EXPECT_EQ(
        run("ip link add " + tag + "x netns " + host + " type veth peer name eth0 netns " + o), 0);
    EXPECT_EQ(run("ip -n " + host + " addr add 10.78.0.1/24 dev " + tag + "x"), 0);
    EXPECT_EQ(run("ip -n " + host + " link set " + tag + "x up"), 0);
    EXPECT_EQ(run("ip -n " + o + " addr add 10.78.0.2/24 dev eth0"), 0);
    EXPECT_EQ(run("ip -n " + o + " link set eth0 up"), 0);
    EXPECT_EQ(run("ip -n " + o + " link set lo up"), 0);
    return o;
  }
};

TEST_F(AttachTest, NoAddressLeasesTheNextFreeOneOfTheBridgesPoolAndDetachReturnsIt) {
  const std::string c1 = container("c1"), c2 = container("c2");
  std::string out;
  ASSERT_EQ(vsattach("brt " + c1, &out), 0) << out;
  EXPECT_EQ(out, "attached " + c1 + " eth0 10.77.0.2/24 to brt as port " + port_of(c1) +
                     ", default via 10.77.0.1\n");
  ASSERT_EQ(vsattach("brt " + c2 + " auto", &out), 0) << out;
  ASSERT_EQ(in(c2, "ip -o -4 addr show dev eth0", &out), 0);
  EXPECT_NE(out.find("10.77.0.3/24"), std::string::npos) << out;
  // docker0's MAC scheme: 02:42 + the address.
  ASSERT_EQ(in(c2, "cat /sys/class/net/eth0/address", &out), 0);
  EXPECT_EQ(out, "02:42:0a:4d:00:03\n");
  EXPECT_TRUE(ping(c1, "10.77.0.3"));
  // A rerun keeps its lease; the leases are the ports'.
  ASSERT_EQ(vsattach("brt " + c1), 0);
  ASSERT_EQ(vsctl("ipam/show brt", &out), 0);
  auto pool = nlohmann::json::parse(out);
  ASSERT_EQ(pool["leases"].size(), 2u) << out;
  EXPECT_EQ(pool["leases"][0]["owner"], port_of(c1));
  EXPECT_EQ(pool["leases"][0]["address"], "10.77.0.2");
  // The leases survive a restart of the daemon.
  stop_daemon(SIGKILL);
  start_daemon();
  ASSERT_EQ(vsctl("ipam/show brt", &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["leases"].size(), 2u) << out;
  ASSERT_EQ(vsattach("--detach brt " + c1, &out), 0) << out;
  ASSERT_EQ(vsctl("ipam/show brt", &out), 0);
  pool = nlohmann::json::parse(out);
  ASSERT_EQ(pool["leases"].size(), 1u) << out;
  EXPECT_EQ(pool["leases"][0]["owner"], port_of(c2));
  // The freed address goes to the next container.
  const std::string c3 = container("c3");
  ASSERT_EQ(vsattach("brt " + c3, &out), 0) << out;
  EXPECT_NE(out.find(" 10.77.0.2/24 "), std::string::npos) << out;
  // A bridge without an address has no pool: a clear error, nothing made.
  ASSERT_EQ(vsctl("add-br brn"), 0);
  const std::string c4 = container("c4");
  EXPECT_NE(vsattach("brn " + c4, &out), 0);
  EXPECT_NE(out.find("bridge brn has no pool"), std::string::npos) << out;
  EXPECT_NE(in(c4, "ip link show eth0"), 0);
}

TEST_F(AttachTest, TwoContainersPingEachOtherAndTheGatewayAndCarryTcpWithOffloadsOn) {
  const std::string c1 = container("c1"), c2 = container("c2");
  std::string out;
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 U:" + c1, &out), 0) << out;
  EXPECT_EQ(out, "attached " + c1 + " eth0 10.77.0.2/24 to brt as port " + port_of(c1) +
                     ", default via 10.77.0.1\n");
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.3/24 --mtu 1400"), 0);

  // pipework's container view: eth0 (the container had only lo), the address, the gateway.
  ASSERT_EQ(in(c1, "ip -o -4 addr show dev eth0", &out), 0);
  EXPECT_NE(out.find("10.77.0.2/24"), std::string::npos) << out;
  ASSERT_EQ(in(c1, "ip route show default", &out), 0);
  EXPECT_EQ(out, "default via 10.77.0.1 dev eth0 \n");
  ASSERT_EQ(in(c1, "cat /sys/class/net/eth0/address", &out), 0);
  EXPECT_EQ(out, *derived_mac("U:" + c1) + "\n");
  ASSERT_EQ(in(c2, "cat /sys/class/net/eth0/mtu", &out), 0);
  EXPECT_EQ(out, "1400\n");
  // Offloads stay on (the system port kind carries virtio-net headers).
  ASSERT_EQ(in(c1, "ethtool -k eth0", &out), 0);
  EXPECT_NE(out.find("tcp-segmentation-offload: on"), std::string::npos) << out;

  EXPECT_TRUE(ping(c1, "10.77.0.3"));
  EXPECT_TRUE(ping(c2, "10.77.0.2"));
  EXPECT_TRUE(ping(c1, "10.77.0.1"));  // the bridge's internal port, in the host
  ASSERT_EQ(in(c1, "ping -q -c 20 -i 0.05 10.77.0.3", &out), 0) << out;
  if (const size_t rtt = out.find("rtt "); rtt != std::string::npos)
    std::printf("container-to-container ping: %s", out.substr(rtt).c_str());

  // Running it again changes nothing (same port, same addresses, one port per container).
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 U:" + c1), 0);
  ASSERT_EQ(vsctl("list-ports brt", &out), 0);
  EXPECT_EQ(out,
            std::min(port_of(c1), port_of(c2)) + "\n" + std::max(port_of(c1), port_of(c2)) + "\n");
  ASSERT_EQ(
      vsctl("get port " + port_of(c1) + " external_ids:container_id external_ids:container_iface",
            &out),
      0);
  EXPECT_EQ(out, c1 + "\neth0\n");

  in_background(c2, "iperf3 -s -1 -p 5201");
  ASSERT_TRUE(wait_tcp_listening(c2, 5201));
  ASSERT_EQ(in(c1, "iperf3 -c 10.77.0.3 -p 5201 -t 3 -J", &out), 0) << out;
  const double gbps =
      nlohmann::json::parse(out)["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
  std::printf("container-to-container TCP through vswitchd: %.2f Gbit/s\n", gbps);
  RecordProperty("tcp_gbps", std::to_string(gbps));
  EXPECT_GT(gbps, 0.2);

  ASSERT_EQ(vsattach("--detach brt " + c2, &out), 0);
  EXPECT_EQ(out, "detached " + c2 + " eth0 (port " + port_of(c2) + ") from brt\n");
  EXPECT_NE(in(c2, "ip link show eth0"), 0);
  EXPECT_NE(run("ip -n " + host + " link show " + port_of(c2)), 0);
  ASSERT_EQ(vsctl("list-ports brt", &out), 0);
  EXPECT_EQ(out, port_of(c1) + "\n");
  ASSERT_EQ(vsattach("--detach brt " + c2, &out), 0);  // twice is harmless
}

TEST_F(AttachTest, SecondInterfaceIsEth1AndFailuresUndoTheirWork) {
  const std::string c1 = container("c1");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24"), 0);
  ASSERT_EQ(vsattach("br0 " + c1 + " 172.17.0.2/16"), 0);  // the default bridge, docker0's role
  std::string out;
  ASSERT_EQ(in(c1, "ip -o -4 addr show dev eth1", &out), 0);
  EXPECT_NE(out.find("172.17.0.2/16"), std::string::npos) << out;
  EXPECT_TRUE(ping(c1, "172.17.0.1"));

  // The daemon refuses the port (host port published twice): the veth made for it goes away.
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --publish 8080:80"), 0);
  EXPECT_EQ(vsattach("brt " + c1 + " 10.77.0.5/24 -i eth7 --publish 8080:81", &out), 1);
  EXPECT_NE(out.find("host port 8080/tcp is already published by port " + port_of(c1)),
            std::string::npos)
      << out;
  EXPECT_NE(in(c1, "ip link show eth7"), 0);
  EXPECT_NE(run("ip -n " + host + " link show " + port_of(c1, "eth7")), 0);

  EXPECT_EQ(vsattach("brt " + tag + "nosuch 10.77.0.9/24", &out), 1);
  EXPECT_NE(out.find("no network namespace /run/netns/" + tag + "nosuch"), std::string::npos)
      << out;
}

// The same containers through AF_XDP (net_af_xdp; copy mode on a veth): vsattach turns the
// container end's transmit offloads off, since AF_XDP frames carry no virtio-net header.
TEST_F(AttachTest, AfxdpContainersPingEachOtherAndCarryTcp) {
  const std::string c1 = container("c1"), c2 = container("c2");
  std::string out;
  // Frames must fit one 2 KiB mbuf after the AF_XDP headroom: a larger MTU is refused and the
  // run undone, instead of a port that silently drops big frames.
  EXPECT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --mtu 9000 --port-type afxdp", &out), 1);
  EXPECT_NE(out.find("MTU 9000 of " + port_of(c1) + " is above the 1778 an afxdp port carries"),
            std::string::npos)
      << out;
  EXPECT_NE(in(c1, "ip link show eth0"), 0);
  ASSERT_EQ(vsctl("list-ports brt", &out), 0);
  EXPECT_EQ(out, "");

  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --port-type afxdp", &out), 0) << out;
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.3/24 --port-type afxdp"), 0);
  ASSERT_EQ(vsctl("get interface " + port_of(c1) + " type error link_state", &out), 0);
  EXPECT_EQ(out, "afxdp\n[]\nup\n");
  ASSERT_EQ(in(c1, "ethtool -k eth0", &out), 0);
  EXPECT_NE(out.find("tcp-segmentation-offload: off"), std::string::npos) << out;
  EXPECT_NE(out.find("tx-checksumming: off"), std::string::npos) << out;

  EXPECT_TRUE(ping(c1, "10.77.0.3"));
  EXPECT_TRUE(ping(c2, "10.77.0.2"));
  EXPECT_TRUE(ping(c1, "10.77.0.1"));
  ASSERT_EQ(in(c1, "ping -q -c 20 -i 0.05 10.77.0.3", &out), 0) << out;
  ASSERT_EQ(vsctl("set interface " + port_of(c1) + " mtu_request=2000"), 0);
  ASSERT_EQ(vsctl("get interface " + port_of(c1) + " error mtu", &out), 0);
  EXPECT_EQ(out, "\"mtu_request 2000: above the 1778 an afxdp port carries\"\n1500\n");
  ASSERT_EQ(
      vsctl("get interface " + port_of(c2) + " statistics:rx_packets statistics:tx_packets", &out),
      0);
  std::istringstream counters(out);
  long rx = 0, tx = 0;
  counters >> rx >> tx;
  EXPECT_GE(rx, 20);
  EXPECT_GE(tx, 20);

  in_background(c2, "iperf3 -s -1 -p 5202");
  ASSERT_TRUE(wait_tcp_listening(c2, 5202));
  ASSERT_EQ(in(c1, "iperf3 -c 10.77.0.3 -p 5202 -t 2 -J", &out), 0) << out;
  const double gbps =
      nlohmann::json::parse(out)["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
  std::printf("container-to-container TCP through afxdp ports: %.2f Gbit/s\n", gbps);
  EXPECT_GT(gbps, 0.05);

  // Attached again as system: the offloads come back, the same port changes kind.
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24"), 0);
  ASSERT_EQ(in(c1, "ethtool -k eth0", &out), 0);
  EXPECT_NE(out.find("tcp-segmentation-offload: on"), std::string::npos) << out;
  EXPECT_NE(out.find("tx-checksumming: on"), std::string::npos) << out;
  ASSERT_EQ(vsctl("get interface " + port_of(c1) + " type", &out), 0);
  EXPECT_EQ(out, "system\n");
  EXPECT_TRUE(ping(c1, "10.77.0.3"));

  // A container that disappears: its port reports the error, the other one carries on.
  const std::string gone = port_of(c2);
  ASSERT_EQ(run("ip netns del " + c2), 0);
  const std::string vanished = "\"interface " + gone + " vanished\"\ndown\n";
  EXPECT_TRUE(test::wait_until(
      [&] {
        return vsctl("get interface " + gone + " error link_state", &out) == 0 && out == vanished;
      },
      10s, 20ms));
  EXPECT_EQ(out, vanished);
  EXPECT_TRUE(ping(c1, "10.77.0.1"));
}

// Open vSwitch's mtu_request on the kinds backed by a kernel interface: applied at once, after a
// change and after a daemon restart; a value the kernel refuses shows as the port's error and
// leaves it forwarding.
TEST_F(AttachTest, MtuRequestSetsTheKernelMtuOfSystemAndInternalPorts) {
  const std::string c1 = container("c1");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --mtu 9000"), 0);
  const std::string p1 = port_of(c1);
  auto kernel_mtu = [&](const std::string& ifname) {
    std::string out;
    run("ip netns exec " + host + " cat /sys/class/net/" + ifname + "/mtu", &out);
    return out;
  };
  std::string out;
  ASSERT_EQ(
      vsctl("set interface " + p1 + " mtu_request=4000 -- set interface brt mtu_request=1400"), 0);
  EXPECT_EQ(kernel_mtu(p1), "4000\n");
  EXPECT_EQ(kernel_mtu("brt"), "1400\n");
  ASSERT_EQ(vsctl("get interface " + p1 + " mtu mtu_request error", &out), 0);
  EXPECT_EQ(out, "4000\n4000\n[]\n");
  ASSERT_EQ(vsctl("set interface " + p1 + " mtu_request=8000"), 0);
  EXPECT_EQ(kernel_mtu(p1), "8000\n");
  // Frames up to the new MTU pass (the container end is 9000): no fragmentation, DF set.
  ASSERT_EQ(in(c1, "ping -c 1 -W 2 -M do -s 1372 10.77.0.1", &out), 0) << out;

  // The internal port is a new tap after a restart: the MTU is applied to it again.
  stop_daemon();
  start_daemon();
  EXPECT_EQ(kernel_mtu("brt"), "1400\n");
  EXPECT_EQ(kernel_mtu(p1), "8000\n");

  // A kind with no MTU to set: the port still forwards and its error says why.
  ASSERT_EQ(vsctl("add-port brt n0 -- set interface n0 type=dpdk options:dpdk-devargs=net_null0 "
                  "mtu_request=2000"),
            0);
  ASSERT_EQ(vsctl("get interface n0 error link_state", &out), 0);
  EXPECT_EQ(out, "\"mtu_request 2000: not supported by port kind dpdk\"\nup\n");
  ASSERT_EQ(vsctl("clear interface n0 mtu_request", &out), 0) << out;
  ASSERT_EQ(vsctl("get interface n0 error", &out), 0);
  EXPECT_EQ(out, "[]\n");
}

TEST_F(AttachTest, SeedsVlanScenarioIsolatesVlan100From200) {
  // pipework ovs0 con1 192.168.0.1/24 @100 ... con3/con4 @200, on our test subnet.
  const std::string c1 = container("c1"), c2 = container("c2"), c3 = container("c3"),
                    c4 = container("c4");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.11/24 @100"), 0);
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.12/24 @100"), 0);
  ASSERT_EQ(vsattach("brt " + c3 + " 10.77.0.13/24 @200"), 0);
  ASSERT_EQ(vsattach("brt " + c4 + " 10.77.0.14/24 U:" + c4 + "@200"), 0);
  std::string out;
  ASSERT_EQ(vsctl("get port " + port_of(c1) + " tag", &out), 0);
  EXPECT_EQ(out, "100\n");
  EXPECT_TRUE(ping(c1, "10.77.0.12"));
  EXPECT_TRUE(ping(c3, "10.77.0.14"));
  EXPECT_NE(in(c1, "ping -c 2 -i 0.2 -W 1 10.77.0.13"), 0);
  EXPECT_NE(in(c2, "ping -c 2 -i 0.2 -W 1 10.77.0.14"), 0);
}

TEST_F(AttachTest, PublishedPortFromOutsideFromTheHostAndHairpinAndMasqueradeOut) {
  const std::string o = outside();
  const std::string c1 = container("c1"), c2 = container("c2");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --publish 8080:80"), 0);
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.3/24"), 0);
  const std::string table = nat_table();
  EXPECT_NE(table.find("ip saddr 10.77.0.0/24 oifname != \"brt\" masquerade"), std::string::npos)
      << table;
  EXPECT_NE(table.find("tcp dport 8080 dnat to 10.77.0.2:80"), std::string::npos) << table;
  std::string out;
  ASSERT_EQ(in(host, "cat /proc/sys/net/ipv4/ip_forward", &out), 0);
  EXPECT_EQ(out, "1\n");

  in_background(c1, peer_echo_server(80));
  ASSERT_TRUE(wait_tcp_listening(c1, 80));
  // From outside, through the host: DNAT only, the container sees the real client.
  ASSERT_EQ(in(o, peer_echo_client("10.78.0.1", 8080), &out), 0) << out;
  EXPECT_EQ(out, "10.78.0.2\n");
  // From the host itself (nat output chain).
  ASSERT_EQ(in(host, peer_echo_client("10.78.0.1", 8080), &out), 0) << out;
  EXPECT_EQ(out, "10.78.0.1\n");
  // Hairpin: another container through the host's address comes back masqueraded to the gateway.
  ASSERT_EQ(in(c2, peer_echo_client("10.78.0.1", 8080), &out), 0) << out;
  EXPECT_EQ(out, "10.77.0.1\n");

  // Outbound: the outside sees the host's address, not the container's.
  in_background(o, peer_echo_server(9000));
  ASSERT_TRUE(wait_tcp_listening(o, 9000));
  ASSERT_EQ(in(c2, peer_echo_client("10.78.0.2", 9000), &out), 0) << out;
  EXPECT_EQ(out, "10.78.0.1\n");

  // Detach takes the published port's rules with it; del-br takes the bridge's.
  ASSERT_EQ(vsattach("--detach brt " + c1), 0);
  EXPECT_EQ(nat_table().find("dnat"), std::string::npos) << nat_table();
  ASSERT_EQ(vsctl("del-br brt -- set bridge br0 other_config:nat=false"), 0);
  EXPECT_EQ(nat_table(), "");
}

TEST_F(AttachTest, GcRemovesPortsOfDeletedContainers) {
  const std::string c1 = container("c1"), c2 = container("c2");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --publish 8081:80"), 0);
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.3/24"), 0);
  ASSERT_EQ(run("ip netns del " + c1), 0);
  // The kernel destroys the namespace (and the veth with it) asynchronously.
  EXPECT_TRUE(test::wait_until(
      [&] { return run("ip -n " + host + " link show " + port_of(c1)) != 0; }, 5s, 50ms));
  std::string out;
  ASSERT_EQ(vsattach("--gc", &out), 0);
  EXPECT_EQ(out, "removed port " + port_of(c1) + " of " + c1 + " (container gone)\n");
  ASSERT_EQ(vsctl("list-ports brt", &out), 0);
  EXPECT_EQ(out, port_of(c2) + "\n");
  EXPECT_EQ(nat_table().find("8081"), std::string::npos);
  ASSERT_EQ(vsattach("--gc", &out), 0);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(ping(c2, "10.77.0.1"));
}

TEST_F(AttachTest, DaemonRestartKeepsEveryAttachmentAndTheNatRules) {
  const std::string c1 = container("c1"), c2 = container("c2"), c3 = container("c3");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24 --publish 8082:80"), 0);
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.3/24"), 0);
  ASSERT_EQ(vsattach("brt " + c3 + " 10.77.0.4/24 @10"), 0);
  ASSERT_TRUE(ping(c1, "10.77.0.3"));
  ASSERT_TRUE(ping(c1, "10.77.0.1"));  // c1 now holds the gateway's MAC in its ARP cache
  std::string gw_mac;
  ASSERT_EQ(in(host, "cat /sys/class/net/brt/address", &gw_mac), 0);
  stop_daemon();
  EXPECT_EQ(nat_table(), "");  // a clean stop takes the switch's table with it
  EXPECT_NE(in(c1, "ping -c 1 -W 1 10.77.0.3"), 0);
  start_daemon();
  EXPECT_NE(nat_table().find("tcp dport 8082 dnat to 10.77.0.2:80"), std::string::npos)
      << nat_table();
  EXPECT_TRUE(ping(c1, "10.77.0.3"));
  EXPECT_TRUE(ping(c2, "10.77.0.1"));
  // The gateway (a new tap) kept its MAC: c1's cached entry works at once, no ARP re-probe.
  std::string mac_now;
  ASSERT_EQ(in(host, "cat /sys/class/net/brt/address", &mac_now), 0);
  EXPECT_EQ(mac_now, gw_mac);
  EXPECT_EQ(in(c1, "ping -c 1 -W 1 10.77.0.1"), 0);
  std::string out;
  ASSERT_EQ(vsctl("get port " + port_of(c3) + " tag external_ids:container_ip", &out), 0);
  EXPECT_EQ(out, "10\n\"10.77.0.4/24\"\n");
}

TEST_F(AttachTest, UntaggedAttachIsAnAccessPortTaggedFramesFromTheContainerAreDropped) {
  // Without @VLAN the container's port is vlan_mode=access tag=0, not a trunk of every VLAN:
  // frames it tags 100 must not reach a container of VLAN 100.
  const std::string c1 = container("c1"), c2 = container("c2");
  ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.21/24"), 0);
  ASSERT_EQ(vsattach("brt " + c2 + " 10.77.0.22/24 @100"), 0);
  std::string out;
  ASSERT_EQ(vsctl("get port " + port_of(c1) + " vlan_mode tag", &out), 0);
  EXPECT_EQ(out, "access\n0\n");
  ASSERT_EQ(vsctl("get interface " + port_of(c2) + " statistics:tx_packets", &out), 0);
  const long before = std::stol(out);
  // 20 broadcasts tagged VLAN 100 (ARP-like payload), through a raw socket in c1.
  const std::string send =
      "python3 -c \"import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
      "s.bind(('eth0', 0)); f=b'\\xff'*6+b'\\x02\\x00\\x00\\x00\\x00\\x21'+b'\\x81\\x00\\x00\\x64'"
      "+b'\\x08\\x06'+b'\\x00'*46; [s.send(f) for _ in range(20)]\"";
  ASSERT_EQ(in(c1, send), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(vsctl("get interface " + port_of(c1) + " statistics:drop_vlan_not_admitted", &out), 0);
  EXPECT_GE(std::stol(out), 20);
  ASSERT_EQ(vsctl("get interface " + port_of(c2) + " statistics:tx_packets", &out), 0);
  EXPECT_EQ(std::stol(out), before);
  // An explicit trunk is still possible.
  const std::string c3 = container("c3");
  ASSERT_EQ(vsattach("brt " + c3 + " 10.77.0.23/24 --trunk=100,200"), 0);
  ASSERT_EQ(vsctl("get port " + port_of(c3) + " vlan_mode trunks", &out), 0);
  EXPECT_EQ(out, "trunk\n[100, 200]\n");
}

}  // namespace
}  // namespace lvs::ctl
