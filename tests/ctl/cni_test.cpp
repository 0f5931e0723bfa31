// The lite-vswitch CNI plugin end to end (label "integration", root): the test plays the
// runtime — it execs the plugin exactly as one does (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
// CNI_IFNAME, CNI_PATH in the environment, the configuration on stdin) inside the namespace that
// plays the host, against the real vswitchd started there, with Debian's reference plugins
// (host-local, portmap, bandwidth, tuning in /usr/lib/cni) — and then lets Podman do it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ctl/derived_mac.hpp"
#include "tests/support/daemon_fixture.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run;

constexpr const char* kRefPlugins = "/usr/lib/cni";

struct Call {
  int rc = -1;
  std::string out;  // stdout only (stderr goes to the plugin's log)
  json j;           // stdout parsed, null when empty or not JSON
};

class CniTest : public test::DaemonFixture {
 protected:
  void SetUp() override {
    ipv4_only = true;
    start("lvc");
    if (HasFatalFailure()) return;
    // CNI_PATH: the plugin under test first, then the reference plugins (as /opt/cni/bin would).
    fs::create_directories(dir + "/bin");
    fs::create_symlink(LVS_CNI_PLUGIN, dir + "/bin/lite-vswitch");
    cni_path = dir + "/bin:" + kRefPlugins;
  }

  std::string container(const std::string& suffix) {
    const std::string name = tag + suffix;
    EXPECT_EQ(add_netns(name), 0);
    run("ip -n " + name + " link set lo up");
    return name;
  }

  // A network configuration for bridge `cnib` with host-local addresses in 10.81.0.0/24.
  json net(const std::string& version = "1.1.0") {
    return json{
        {"cniVersion", version},
        {"name", "lvsnet"},
        {"type", "lite-vswitch"},
        {"bridge", "cnib"},
        {"isGateway", true},
        {"isDefaultGateway", true},
        {"socket", sock},
        {"ipam", {{"type", "host-local"}, {"subnet", "10.81.0.0/24"}, {"dataDir", dir + "/ipam"}}}};
  }

  // One plugin run as a runtime makes it, in the host namespace.
  Call exec(const std::string& plugin, const std::string& command, const json& conf,
            const std::string& id = "", const std::string& netns = "",
            const std::string& ifname = "eth0", const std::string& extra_env = "") {
    const std::string in = dir + "/stdin.json";
    std::ofstream(in) << conf.dump();
    std::string env = "CNI_COMMAND=" + command + " CNI_PATH=" + cni_path + " " + extra_env;
    if (!id.empty()) env += " CNI_CONTAINERID=" + id + " CNI_IFNAME=" + ifname;
    if (!netns.empty()) env += " CNI_NETNS=" + netns;
    Call c;
    c.rc = run("{ ip netns exec " + host + " env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin " + env +
                   " " + plugin + " < " + in + " 2>>" + dir + "/plugin.log; }",
               &c.out);
    c.j = json::parse(c.out, nullptr, false);
    if (c.j.is_discarded()) c.j = nullptr;
    return c;
  }
  Call cni(const std::string& command, const json& conf, const std::string& id = "",
           const std::string& netns = "", const std::string& ifname = "eth0") {
    return exec(dir + "/bin/lite-vswitch", command, conf, id, netns, ifname);
  }
  static std::string netns_path(const std::string& ns) { return "/run/netns/" + ns; }
  static std::string port_of(const std::string& id, const std::string& ifname = "eth0") {
    return host_veth_name(id, "cni:" + id, ifname);
  }
  std::string ports() {
    std::string out;
    vsctl("list-ports cnib", &out);
    return out;
  }
  // A CNI error object as the spec has it: cniVersion, numeric code, msg (details optional).
  static void expect_error(const Call& c, int code) {
    EXPECT_NE(c.rc, 0) << c.out;
    ASSERT_TRUE(c.j.is_object()) << c.out;
    EXPECT_TRUE(c.j.contains("cniVersion") && c.j["cniVersion"].is_string()) << c.out;
    EXPECT_EQ(c.j.value("code", -1), code) << c.out;
    EXPECT_TRUE(c.j.contains("msg") && c.j["msg"].is_string() &&
                !c.j["msg"].get<std::string>().empty())
        << c.out;
  }

  std::string cni_path;
};

TEST_F(CniTest, AddGivesASpecResultAndTwoContainersPingThenCheckAndDelTwice) {
  const std::string c1 = container("a"), c2 = container("b");
  const std::string id1 = tag + "ctr1", id2 = tag + "ctr2";
  json conf = net();
  conf["runtimeConfig"] = {{"mac", "02:42:0a:51:00:99"}};
  Call a = cni("ADD", conf, id1, netns_path(c1));
  ASSERT_EQ(a.rc, 0) << a.out << test::slurp(dir + "/plugin.log");
  conf.erase("runtimeConfig");
  Call b = cni("ADD", conf, id2, netns_path(c2));
  ASSERT_EQ(b.rc, 0) << b.out;

  // The result, key by key (SPEC.md section 5).
  const json& r = a.j;
  EXPECT_EQ(r["cniVersion"], "1.1.0");
  ASSERT_EQ(r["interfaces"].size(), 3u) << r.dump();
  EXPECT_EQ(r["interfaces"][0]["name"], "cnib");
  EXPECT_FALSE(r["interfaces"][0].contains("sandbox"));
  EXPECT_EQ(r["interfaces"][1]["name"], port_of(id1));
  EXPECT_FALSE(r["interfaces"][1].contains("sandbox"));
  EXPECT_EQ(r["interfaces"][2],
            json({{"name", "eth0"}, {"mac", "02:42:0a:51:00:99"}, {"sandbox", netns_path(c1)}}));
  EXPECT_EQ(r["ips"],
            json::parse(R"([{"address":"10.81.0.2/24","gateway":"10.81.0.1","interface":2}])"));
  EXPECT_EQ(r["routes"], json::parse(R"([{"dst":"0.0.0.0/0","gw":"10.81.0.1"}])"));
  EXPECT_EQ(b.j["ips"][0]["address"], "10.81.0.3/24");

  // What the container and the switch got.
  std::string out;
  ASSERT_EQ(in(c1, "cat /sys/class/net/eth0/address", &out), 0);
  EXPECT_EQ(out, "02:42:0a:51:00:99\n");
  ASSERT_EQ(in(c1, "ip route show default", &out), 0);
  EXPECT_EQ(out, "default via 10.81.0.1 dev eth0 \n");
  ASSERT_EQ(vsctl("get port " + port_of(id1) +
                      " vlan_mode tag external_ids:container_id external_ids:container_iface "
                      "external_ids:container_netns external_ids:cni_network",
                  &out),
            0);
  EXPECT_EQ(out, "access\n0\n" + id1 + "\neth0\n\"cni:" + netns_path(c1) + "\"\nlvsnet\n");
  ASSERT_EQ(vsctl("get interface cnib options:ip", &out), 0);
  EXPECT_EQ(out, "\"10.81.0.1/24\"\n");
  EXPECT_TRUE(ping(c1, "10.81.0.3"));
  EXPECT_TRUE(ping(c2, "10.81.0.2"));
  EXPECT_TRUE(ping(c1, "10.81.0.1"));

  // CHECK against the ADD's result: fine; then the address removed behind its back: an error.
  json check = net();
  check["prevResult"] = a.j;
  EXPECT_EQ(cni("CHECK", check, id1, netns_path(c1)).rc, 0);
  ASSERT_EQ(in(c1, "ip addr del 10.81.0.2/24 dev eth0"), 0);
  expect_error(cni("CHECK", check, id1, netns_path(c1)), 7);

  // DEL, twice: both succeed, the port and the veth go, host-local's lease is returned.
  json del = net();
  del["prevResult"] = a.j;
  Call d1 = cni("DEL", del, id1, netns_path(c1));
  EXPECT_EQ(d1.rc, 0) << d1.out;
  EXPECT_EQ(d1.out, "");
  EXPECT_EQ(cni("DEL", del, id1, netns_path(c1)).rc, 0);
  EXPECT_EQ(ports(), port_of(id2) + "\n");
  EXPECT_NE(in(c1, "ip link show eth0"), 0);
  EXPECT_FALSE(fs::exists(dir + "/ipam/lvsnet/10.81.0.2"));
  EXPECT_TRUE(fs::exists(dir + "/ipam/lvsnet/10.81.0.3"));
}

TEST_F(CniTest, DelSucceedsWhenTheNetnsIsGoneAndGcRemovesWhatIsNotValid) {
  const std::string c1 = container("a"), c2 = container("b"), c3 = container("c");
  const std::string id1 = tag + "k1", id2 = tag + "k2", id3 = tag + "k3";
  ASSERT_EQ(cni("ADD", net(), id1, netns_path(c1)).rc, 0);
  ASSERT_EQ(cni("ADD", net(), id2, netns_path(c2)).rc, 0);
  ASSERT_EQ(cni("ADD", net(), id3, netns_path(c3)).rc, 0);

  // The container's namespace is gone before DEL: DEL still succeeds and cleans up.
  ASSERT_EQ(run("ip netns del " + c1), 0);
  Call d = cni("DEL", net(), id1, netns_path(c1));
  EXPECT_EQ(d.rc, 0) << d.out;
  EXPECT_EQ(ports().find(port_of(id1)), std::string::npos) << ports();
  EXPECT_FALSE(fs::exists(dir + "/ipam/lvsnet/10.81.0.2"));

  // GC keeps the valid attachment (id2), removes this network's others (id3); host-local speaks
  // no 1.1.0, so it is not asked (its lease stays, as the spec allows).
  json gc = net();
  gc["cni.dev/valid-attachments"] = json::array({{{"containerID", id2}, {"ifname", "eth0"}}});
  Call g = cni("GC", gc);
  EXPECT_EQ(g.rc, 0) << g.out;
  EXPECT_EQ(ports(), port_of(id2) + "\n");
  EXPECT_NE(in(c3, "ip link show eth0"), 0);
  EXPECT_TRUE(ping(c2, "10.81.0.1"));
  // GC is 1.1.0's: a 1.0.0 network gets an incompatible-version error.
  expect_error(cni("GC", net("1.0.0")), 1);
}

TEST_F(CniTest, StatusSaysWhetherTheDaemonAnswersAndVersionListsTheSpecVersions) {
  Call v = cni("VERSION", json{{"cniVersion", "1.0.0"}});
  EXPECT_EQ(v.rc, 0);
  EXPECT_EQ(v.j, json::parse(R"({"cniVersion":"1.0.0","supportedVersions":["1.0.0","1.1.0"]})"));

  Call s = cni("STATUS", net());
  EXPECT_EQ(s.rc, 0) << s.out;
  EXPECT_EQ(s.out, "");
  stop_daemon();
  Call down = cni("STATUS", net());
  expect_error(down, 50);
  EXPECT_NE(down.j.value("details", "").find(sock), std::string::npos) << down.out;
  // ADD with the daemon down: "try again later", and no address is kept by host-local.
  const std::string c1 = container("a");
  expect_error(cni("ADD", net(), tag + "x", netns_path(c1)), 11);
  EXPECT_NE(in(c1, "ip link show eth0"), 0);
  EXPECT_TRUE(fs::exists(dir + "/ipam/lvsnet"));  // host-local was asked, and gave it back
  EXPECT_FALSE(fs::exists(dir + "/ipam/lvsnet/10.81.0.2"));
}

TEST_F(CniTest, BadConfigurationAndEnvironmentGiveCniErrorsAndChangeNothing) {
  const std::string c1 = container("a");
  const std::string id = tag + "bad", ns = netns_path(c1);
  auto with = [&](const char* key, json value) {
    json c = net();
    c[key] = std::move(value);
    return c;
  };
  // Not JSON.
  {
    const std::string in = dir + "/stdin.json";
    std::ofstream(in) << "{not json";
    std::string out;
    ASSERT_NE(run("{ ip netns exec " + host + " env CNI_COMMAND=ADD CNI_CONTAINERID=" + id +
                      " CNI_NETNS=" + ns + " CNI_IFNAME=eth0 CNI_PATH=" + cni_path + " " + dir +
                      "/bin/lite-vswitch < " + in + " 2>/dev/null; }",
                  &out),
              0);
    Call c;
    c.rc = 1;
    c.out = out;
    c.j = json::parse(out, nullptr, false);
    expect_error(c, 6);
  }
  expect_error(cni("ADD", net("0.4.0"), id, ns), 1);
  expect_error(cni("ADD", with("vlan", 5000), id, ns), 7);
  expect_error(cni("ADD", with("vlanTrunk", json::array({{{"minID", 30}, {"maxID", 20}}})), id, ns),
               7);
  expect_error(cni("ADD", with("mtu", "big"), id, ns), 7);
  expect_error(cni("ADD", with("isGateway", "yes"), id, ns), 7);
  expect_error(cni("ADD", with("bridge", "a-bridge-name-too-long"), id, ns), 7);
  Call unsupported = cni("ADD", with("promiscMode", true), id, ns);
  expect_error(unsupported, 2);
  EXPECT_NE(unsupported.j.value("details", "").find("promiscMode"), std::string::npos);
  expect_error(cni("ADD", with("ipam", {{"type", "no-such-ipam"}}), id, ns), 7);
  expect_error(cni("ADD", with("runtimeConfig", {{"mac", "zz:00"}}), id, ns), 7);
  expect_error(cni("ADD", net(), "", ns), 4);         // no CNI_CONTAINERID
  expect_error(cni("ADD", net(), id, ""), 4);         // no CNI_NETNS
  expect_error(cni("ADD", net(), id, ns, "a/b"), 4);  // not an interface name
  expect_error(cni("ADD", net(), id, "/run/netns/" + tag + "none"), 3);
  expect_error(cni("CHECK", net(), id, ns), 7);  // no prevResult
  expect_error(cni("BOGUS", net(), id, ns), 4);
  // An IPAM answer the switch cannot use (an IPv6 address) is given back to the IPAM plugin.
  Call v6 = cni("ADD",
                with("ipam", {{"type", "host-local"},
                              {"ranges", json::array({json::array({{{"subnet", "10.81.0.0/24"}}}),
                                                      json::array({{{"subnet", "fd81::/64"}}})})},
                              {"dataDir", dir + "/ipam"}}),
                id, ns);
  expect_error(v6, 2);
  EXPECT_NE(v6.j.value("details", "").find("fd81::2/64"), std::string::npos) << v6.out;
  EXPECT_FALSE(fs::exists(dir + "/ipam/lvsnet/fd81::2"));
  // Nothing was made: no bridge, no veth, no lease.
  std::string out;
  EXPECT_NE(vsctl("br-exists cnib"), 0);
  EXPECT_NE(in(c1, "ip link show eth0"), 0);
  EXPECT_FALSE(fs::exists(dir + "/ipam/lvsnet/10.81.0.2"));
  // An interface already there is refused and left alone.
  ASSERT_EQ(run("ip -n " + c1 + " link add eth0 type veth peer name eth0p"), 0);
  Call taken = cni("ADD", net(), id, ns);
  EXPECT_NE(taken.rc, 0);
  EXPECT_EQ(taken.j.value("code", 0), 101) << taken.out;
  EXPECT_EQ(in(c1, "ip link show eth0p"), 0);
}

TEST_F(CniTest, VlanMakesAnAccessPortAndVlanTrunkATrunkAndVlansAreSeparate) {
  const std::string c1 = container("a"), c2 = container("b"), c3 = container("c");
  json v10 = net(), v20 = net(), trunk = net();
  v10["vlan"] = 10;
  v20["vlan"] = 20;
  v10["isGateway"] = v20["isGateway"] = v10["isDefaultGateway"] = v20["isDefaultGateway"] = false;
  trunk["vlan"] = 10;
  trunk["vlanTrunk"] = json::array({{{"id", 30}}, {{"minID", 40}, {"maxID", 42}}});
  ASSERT_EQ(cni("ADD", v10, tag + "v1", netns_path(c1)).rc, 0);
  ASSERT_EQ(cni("ADD", v20, tag + "v2", netns_path(c2)).rc, 0);
  Call t = cni("ADD", trunk, tag + "v3", netns_path(c3));
  ASSERT_EQ(t.rc, 0) << t.out;
  std::string out;
  ASSERT_EQ(vsctl("get port " + port_of(tag + "v1") + " vlan_mode tag", &out), 0);
  EXPECT_EQ(out, "access\n10\n");
  ASSERT_EQ(vsctl("get port " + port_of(tag + "v3") + " vlan_mode tag trunks", &out), 0);
  EXPECT_EQ(out, "native-untagged\n10\n[30, 40, 41, 42]\n");
  // 10.81.0.2 (VLAN 10) reaches the trunk's native VLAN 10 (10.81.0.4), not VLAN 20 (10.81.0.3).
  EXPECT_TRUE(ping(c1, "10.81.0.4"));
  EXPECT_FALSE(DaemonFixture::ping(c1, "10.81.0.3", 1));
}

TEST_F(CniTest, PortIsolationKeepsContainersApartButNotFromTheGateway) {
  const std::string c1 = container("a"), c2 = container("b"), c3 = container("c");
  json iso = net();
  iso["portIsolation"] = true;
  ASSERT_EQ(cni("ADD", iso, tag + "i1", netns_path(c1)).rc, 0);
  ASSERT_EQ(cni("ADD", iso, tag + "i2", netns_path(c2)).rc, 0);
  ASSERT_EQ(cni("ADD", net(), tag + "i3", netns_path(c3)).rc, 0);  // not isolated
  std::string out;
  ASSERT_EQ(vsctl("get port " + port_of(tag + "i1") + " protected", &out), 0);
  EXPECT_EQ(out, "true\n");
  EXPECT_TRUE(ping(c1, "10.81.0.1"));                     // the gateway
  EXPECT_TRUE(ping(c1, "10.81.0.4"));                     // an unprotected container
  EXPECT_FALSE(DaemonFixture::ping(c1, "10.81.0.3", 1));  // the other isolated one
}

// The "bandwidth" capability: runtimeConfig.bandwidth (bits/s and bits, the container's view)
// becomes the port's limits; a bad one is code 7 and makes no port.
TEST_F(CniTest, RuntimeConfigBandwidthLimitsTheContainersPort) {
  const std::string c1 = container("a");
  json bw = net();
  bw["runtimeConfig"]["bandwidth"] = {{"ingressRate", 10'000'000}, {"ingressBurst", 8'000'000},
                                      {"egressRate", 20'000'000}, {"egressBurst", 4'000'000}};
  Call add = cni("ADD", bw, tag + "b1", netns_path(c1));
  ASSERT_EQ(add.rc, 0) << add.out;
  std::string out;
  const std::string port = port_of(tag + "b1");
  ASSERT_EQ(vsctl("get interface " + port + " ingress_policing_rate ingress_policing_burst", &out), 0);
  EXPECT_EQ(out, "20000\n4000\n") << "the container's egress is what the port receives";
  ASSERT_EQ(vsctl("get port " + port + " other_config", &out), 0);
  EXPECT_EQ(out, "{egress-burst-kb=\"8000\", egress-rate-kbps=\"10000\"}\n");
  EXPECT_TRUE(ping(c1, "10.81.0.1"));
  json bad = net();
  bad["runtimeConfig"]["bandwidth"] = {{"egressRate", -1}, {"egressBurst", 100}};
  const std::string c2 = container("b");
  expect_error(cni("ADD", bad, tag + "b2", netns_path(c2)), 7);
  EXPECT_EQ(ports().find(port_of(tag + "b2")), std::string::npos);
  bad["runtimeConfig"]["bandwidth"] = {{"ingressRate", 1000}};
  expect_error(cni("ADD", bad, tag + "b2", netns_path(c2)), 7);
  EXPECT_EQ(ports().find(port_of(tag + "b2")), std::string::npos);
}

// A conflist as a runtime runs it (SPEC.md section 3): ADD in order, each plugin given the one
// before's result as prevResult; CHECK in order and DEL in reverse with the final result.
TEST_F(CniTest, FirstPluginOfAConflistChainedWithPortmapBandwidthAndTuning) {
  const std::string c1 = container("a");
  const std::string id = tag + "ch", ns = netns_path(c1), port = port_of(id);
  json first = net("1.0.0");  // the reference plugins speak up to 1.0.0
  json plugins =
      json::array({first,
                   {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
                   {{"type", "bandwidth"}, {"ingressRate", 8000000}, {"ingressBurst", 80000}},
                   {{"type", "tuning"}, {"sysctl", {{"net.core.somaxconn", "512"}}}}});
  const json runtime_config = {
      {"portMappings",
       json::array({{{"hostPort", 18081}, {"containerPort", 8081}, {"protocol", "tcp"}}})}};
  auto derive = [&](json p, const json& prev) {
    p["cniVersion"] = "1.0.0";
    p["name"] = "lvsnet";
    if (p.contains("capabilities")) {
      p.erase("capabilities");
      p["runtimeConfig"] = runtime_config;
    }
    if (!prev.is_null()) p["prevResult"] = prev;
    return p;
  };
  json result;
  for (const auto& p : plugins) {
    const std::string type = p["type"];
    Call c = exec(
        type == "lite-vswitch" ? dir + "/bin/lite-vswitch" : std::string(kRefPlugins) + "/" + type,
        "ADD", derive(p, result), id, ns);
    ASSERT_EQ(c.rc, 0) << type << ": " << c.out << test::slurp(dir + "/plugin.log");
    result = c.j;
  }
  // Every plugin passed our interfaces and addresses on.
  ASSERT_EQ(result["interfaces"].size(), 3u) << result.dump();
  EXPECT_EQ(result["interfaces"][1]["name"], port);
  EXPECT_EQ(result["ips"][0]["address"], "10.81.0.2/24");
  EXPECT_EQ(result["ips"][0]["interface"], 2);

  std::string out;
  ASSERT_EQ(in(c1, "cat /proc/sys/net/core/somaxconn", &out), 0);  // tuning
  EXPECT_EQ(out, "512\n");
  ASSERT_EQ(run("tc -n " + host + " qdisc show dev " + port, &out),
            0);  // bandwidth, on our host end
  EXPECT_NE(out.find("tbf"), std::string::npos) << out;
  // portmap: the host's port 18081 reaches the container's 8081 through the switch.
  in_background(
      c1,
      "python3 -c \"import socket\ns=socket.socket()\ns.bind(('0.0.0.0',8081))\ns.listen(1)\n"
      "c,a=s.accept()\nc.sendall(b'through-the-switch')\"");
  ASSERT_EQ(in(host,
               "python3 -c \"import socket,time\nfor i in range(50):\n try:\n"
               "  c=socket.create_connection(('10.81.0.1',18081),timeout=2)\n  break\n"
               " except OSError:\n  time.sleep(0.1)\nprint(c.recv(100).decode())\"",
               &out),
            0)
      << out;
  EXPECT_EQ(out, "through-the-switch\n");

  for (const auto& p : plugins) {
    const std::string type = p["type"];
    // portmap 1.1.1's CHECK looks for an IPv6 DNAT chain it never makes for an IPv4-only result
    // ("chain CNI-DN-... not found"), whoever comes first: a runtime would set disableCheck.
    if (type == "portmap") continue;
    Call c = exec(
        type == "lite-vswitch" ? dir + "/bin/lite-vswitch" : std::string(kRefPlugins) + "/" + type,
        "CHECK", derive(p, result), id, ns);
    EXPECT_EQ(c.rc, 0) << type << ": " << c.out;
  }
  for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
    const std::string type = (*it)["type"];
    Call c = exec(
        type == "lite-vswitch" ? dir + "/bin/lite-vswitch" : std::string(kRefPlugins) + "/" + type,
        "DEL", derive(*it, result), id, ns);
    EXPECT_EQ(c.rc, 0) << type << ": " << c.out;
  }
  EXPECT_EQ(ports(), "");
  ASSERT_EQ(run("ip netns exec " + host + " iptables-save -t nat", &out), 0);
  EXPECT_EQ(out.find("18081"), std::string::npos) << out;
}

TEST_F(CniTest, TheSwitchsOwnIpamLeasesDocker0MacsAndReleasesOnDelAndGc) {
  const std::string c1 = container("a"), c2 = container("b");
  const std::string id1 = tag + "o1", id2 = tag + "o2";
  json conf = net();
  conf["ipam"] = {{"type", "lite-vswitch"}, {"subnet", "10.83.0.0/24"}};
  Call a = cni("ADD", conf, id1, netns_path(c1));
  ASSERT_EQ(a.rc, 0) << a.out << test::slurp(dir + "/plugin.log");
  Call b = cni("ADD", conf, id2, netns_path(c2));
  ASSERT_EQ(b.rc, 0) << b.out;
  EXPECT_EQ(a.j["ips"],
            json::parse(R"([{"address":"10.83.0.2/24","gateway":"10.83.0.1","interface":2}])"));
  EXPECT_EQ(a.j["interfaces"][2]["mac"], "02:42:0a:53:00:02");  // docker0's scheme
  EXPECT_EQ(b.j["interfaces"][2]["mac"], "02:42:0a:53:00:03");
  EXPECT_TRUE(ping(c1, "10.83.0.3"));
  std::string out;
  ASSERT_EQ(vsctl("ipam/show cnib", &out), 0);
  EXPECT_NE(out.find(id1 + "/eth0"), std::string::npos) << out;
  EXPECT_NE(out.find(id2 + "/eth0"), std::string::npos) << out;

  json check = conf;
  check["prevResult"] = a.j;
  EXPECT_EQ(cni("CHECK", check, id1, netns_path(c1)).rc, 0);
  // GC with only id1 valid: id2's port and lease go.
  json gc = conf;
  gc["cni.dev/valid-attachments"] = json::array({{{"containerID", id1}, {"ifname", "eth0"}}});
  Call g = cni("GC", gc);
  EXPECT_EQ(g.rc, 0) << g.out;
  ASSERT_EQ(vsctl("ipam/show cnib", &out), 0);
  EXPECT_EQ(out.find(id2 + "/eth0"), std::string::npos) << out;
  EXPECT_NE(out.find(id1 + "/eth0"), std::string::npos) << out;
  EXPECT_EQ(ports(), port_of(id1) + "\n");
  // DEL releases, twice is fine; the freed address is handed out again.
  EXPECT_EQ(cni("DEL", conf, id1, netns_path(c1)).rc, 0);
  EXPECT_EQ(cni("DEL", conf, id1, netns_path(c1)).rc, 0);
  ASSERT_EQ(vsctl("ipam/show cnib", &out), 0);
  EXPECT_EQ(out.find(id1 + "/eth0"), std::string::npos) << out;
  Call again = cni("ADD", conf, id2, netns_path(c2));
  ASSERT_EQ(again.rc, 0) << again.out;
  EXPECT_EQ(again.j["ips"][0]["address"], "10.83.0.2/24");
}

// Podman 4.3 (CNI backend) with a conflist naming the plugin: two containers ping each other
// over the switch. Podman runs in the namespace that plays the host, with throwaway storage.
TEST_F(CniTest, TwoPodmanContainersPingEachOtherOverTheSwitch) {
  if (run("command -v podman") != 0) GTEST_SKIP() << "podman is not installed";
  const std::string p = dir + "/podman";
  fs::create_directories(p + "/net");
  fs::create_directories(p + "/img/bin");
  fs::copy_file("/bin/busybox", p + "/img/bin/busybox");
  for (const char* tool : {"sh", "ping", "sleep", "ip", "cat"})
    fs::create_symlink("busybox", p + "/img/bin/" + tool);
  ASSERT_EQ(run("tar -C " + p + "/img -cf " + p + "/bb.tar ."), 0);
  std::ofstream(p + "/containers.conf")
      << "[network]\nnetwork_backend = \"cni\"\ncni_plugin_dirs = [\"" + dir + "/bin\", \"" +
             kRefPlugins + "\"]\n";
  json conflist = {
      {"cniVersion", "1.0.0"}, {"name", "lvspod"}, {"plugins", json::array({net("1.0.0")})}};
  conflist["plugins"][0].erase("cniVersion");
  conflist["plugins"][0].erase("name");
  conflist["plugins"][0]["ipam"] = {{"type", "lite-vswitch"}, {"subnet", "10.84.0.0/24"}};
  std::ofstream(p + "/net/lvspod.conflist") << conflist.dump(2);
  // nsenter, not `ip netns exec`: that remounts /sys, and runc needs the cgroup mounts under it.
  const std::string podman =
      "nsenter --net=/run/netns/" + host + " env CONTAINERS_CONF=" + p +
      "/containers.conf podman --root " + p + "/root --runroot " + p +
      "/run --network-config-dir " + p +
      "/net --cgroup-manager cgroupfs --events-backend file --storage-driver vfs ";
  const std::string run_opts =
      " --network lvspod --ulimit nofile=10000:10000 --ulimit nproc=4096:4096 "
      "--cap-add NET_RAW localhost/lvsbb:1 ";
  struct Cleanup {
    std::string cmd;
    ~Cleanup() { run(cmd); }
  } cleanup{podman + "rm -af -t 0"};
  std::string out;
  ASSERT_EQ(run(podman + "import " + p + "/bb.tar localhost/lvsbb:1", &out), 0) << out;
  ASSERT_EQ(run(podman + "run -d --name " + tag + "p1" + run_opts + "sleep 60", &out), 0) << out;
  ASSERT_EQ(run(podman + "inspect --format '{{.NetworkSettings.Networks.lvspod.IPAddress}}' " +
                    tag + "p1",
                &out),
            0)
      << out;
  EXPECT_EQ(out, "10.84.0.2\n");
  ASSERT_EQ(
      run(podman + "run --rm --name " + tag + "p2" + run_opts + "ping -c 2 -W 2 10.84.0.2", &out),
      0)
      << out << test::slurp(dir + "/vswitchd.log");
  EXPECT_NE(out.find("2 packets received"), std::string::npos) << out;
  ASSERT_EQ(run(podman + "exec " + tag + "p1 cat /sys/class/net/eth0/address", &out), 0) << out;
  EXPECT_EQ(out, "02:42:0a:54:00:02\n");
  // Removing the containers removes their ports and leases (podman calls DEL).
  ASSERT_EQ(run(podman + "rm -f -t 0 " + tag + "p1", &out), 0) << out;
  EXPECT_EQ(ports(), "");
  ASSERT_EQ(vsctl("ipam/show cnib", &out), 0);
  EXPECT_EQ(out.find("eth0"), std::string::npos) << out;
}

}  // namespace
}  // namespace lvs::ctl
