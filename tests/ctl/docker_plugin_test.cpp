// Docker drives the switch (label "integration", root): a real dockerd (Debian's docker.io) and a
// vswitchd --docker-plugin share a network namespace that plays the host; containers run from an
// image made here (busybox-static, `docker import`; nothing is pulled). One dockerd serves every
// test of this binary (it is one CTest test: tests/ctl/CMakeLists.txt), started and removed by the
// suite, with its own data root, exec root, pidfile and socket. The plugin is named after this
// process (its socket lives in the suite's directory, found by dockerd through a spec file in
// /etc/docker/plugins, removed by vswitchd on stop and by the suite), so runs never collide.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "ctl/control_client.hpp"
#include "tests/support/test_process.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run;
using test::slurp;
using namespace std::chrono_literals;

struct Env {
  std::string tag, host, outside, dir, db, sock, plugin_sock, plugin, docker;
  pid_t vswitchd = -1, dockerd = -1;
  bool ready = false;
};
Env env;

void start_vswitchd() {
  env.vswitchd = test::spawn_vswitchd_in_netns(
      LVS_VSWITCHD, env.host, env.db, env.sock, env.dir + "/vswitchd.log",
      {"--docker-plugin", "--docker-plugin-socket", env.plugin_sock});
  ControlClient c;
  ASSERT_FALSE(c.connect(env.sock, 20000)) << slurp(env.dir + "/vswitchd.log");
  for (int i = 0; i < 200 && !fs::exists(env.plugin_sock); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(fs::exists(env.plugin_sock)) << slurp(env.dir + "/vswitchd.log");
}

// dockerd in the same network namespace but the machine's mount namespace (its cgroups; `ip
// netns exec` would hide them behind a fresh /sys), with everything of its own under dir.
void start_dockerd() {
  env.dockerd = ::fork();
  if (env.dockerd == 0) {
    const int out = ::open((env.dir + "/dockerd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    const int ns = ::open(("/run/netns/" + env.host).c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(126);
    const std::string data = "--data-root=" + env.dir + "/data",
                      exec = "--exec-root=" + env.dir + "/exec",
                      pid = "--pidfile=" + env.dir + "/docker.pid",
                      h = "-H=unix://" + env.dir + "/docker.sock";
    ::execl("/usr/sbin/dockerd", "dockerd", data.c_str(), exec.c_str(), pid.c_str(), h.c_str(),
            "--bridge=none", nullptr);
    ::_exit(127);
  }
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = run(env.docker + " version") == 0;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(up) << slurp(env.dir + "/dockerd.log");
}
void stop_dockerd() {
  ::kill(env.dockerd, SIGTERM);
  for (int i = 0; i < 150 && ::waitpid(env.dockerd, nullptr, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(100ms);
  ::kill(env.dockerd, SIGKILL);
  ::waitpid(env.dockerd, nullptr, 0);
  env.dockerd = -1;
}

int docker(const std::string& args, std::string* out = nullptr) {
  std::string o;
  const int rc = run(env.docker + " " + args, &o);
  if (out)
    *out = o;
  else if (rc != 0)
    std::fprintf(stderr, "docker %s: %s", args.c_str(), o.c_str());
  return rc;
}
int vsctl(const std::string& args, std::string* out = nullptr) {
  return run(std::string(LVS_VSCTL) + " --socket " + env.sock + " " + args, out);
}
int in_host(const std::string& cmd, std::string* out = nullptr) {
  return run("ip netns exec " + env.host + " " + cmd, out);
}
bool ping_from(const std::string& ctr, const std::string& ip, int tries = 3) {
  for (int i = 0; i < tries; ++i)
    if (docker("exec " + ctr + " ping -c 1 -W 1 " + ip, nullptr) == 0) return true;
  return false;
}
bool no_ping_from(const std::string& ctr, const std::string& ip) {
  std::string out;
  return docker("exec " + ctr + " ping -c 2 -W 1 " + ip, &out) != 0;
}
std::string ip_of(const std::string& ctr, const std::string& net) {
  std::string out;
  docker("inspect -f '{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}' " + ctr,
         &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
// curl on the plugin socket: "STATUS BODY".
std::string plugin_call(const std::string& method, const std::string& body_file_or_data) {
  std::string out;
  run("curl -s -o /dev/stdout -w ' %{http_code}' -H 'Content-Type: application/json' "
      "--unix-socket " +
          env.plugin_sock + " -X POST http://plugin/" + method + " --data-binary " +
          body_file_or_data,
      &out);
  return out;
}

class DockerPluginTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    env.tag = "lvd" + std::to_string(::getpid() % 100000);
    env.host = env.tag + "h";
    env.outside = env.tag + "o";
    env.dir = "/tmp/" + env.tag;
    fs::remove_all(env.dir);
    fs::create_directories(env.dir);
    env.db = env.dir + "/conf.json";
    env.sock = env.dir + "/vswitchd.sock";
    env.plugin = env.tag;
    env.plugin_sock = env.dir + "/" + env.plugin + ".sock";
    env.docker = "/usr/bin/docker -H unix://" + env.dir + "/docker.sock";
    run("ip netns del " + env.host);
    run("ip netns del " + env.outside);
    ASSERT_EQ(run("ip netns add " + env.host), 0);
    ASSERT_EQ(in_host("ip link set lo up"), 0);
    // The outside world: 10.79.0.1 (host) <-> 10.79.0.2 (outside).
    ASSERT_EQ(run("ip netns add " + env.outside), 0);
    ASSERT_EQ(run("ip link add " + env.tag + "x netns " + env.host +
                  " type veth peer name eth0 netns " + env.outside),
              0);
    ASSERT_EQ(in_host("ip addr add 10.79.0.1/24 dev " + env.tag + "x"), 0);
    ASSERT_EQ(in_host("ip link set " + env.tag + "x up"), 0);
    ASSERT_EQ(run("ip -n " + env.outside + " addr add 10.79.0.2/24 dev eth0"), 0);
    ASSERT_EQ(run("ip -n " + env.outside + " link set eth0 up"), 0);
    ASSERT_EQ(run("ip -n " + env.outside + " link set lo up"), 0);
    // Start with an empty switch (no br0: its 172.17/16 is the machine's docker0 subnet).
    {
      std::ofstream f(env.db);
      f << R"({"schema_version": 1, "bridges": []})"
        << "\n";
    }
    start_vswitchd();
    if (testing::Test::HasFatalFailure()) return;
    const auto t0 = std::chrono::steady_clock::now();
    start_dockerd();
    if (testing::Test::HasFatalFailure()) return;
    std::printf("dockerd ready in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    // The image: busybox-static and its applets.
    const std::string root = env.dir + "/rootfs";
    fs::create_directories(root + "/bin");
    fs::create_directories(root + "/www");
    fs::copy_file("/bin/busybox", root + "/bin/busybox");
    for (const char* a : {"sh", "ping", "httpd", "ip", "sleep", "cat", "nc", "printf"})
      fs::create_symlink("busybox", root + "/bin/" + a);
    { std::ofstream(root + "/www/index.html") << "hello from lite-vswitch\n"; }
    ASSERT_EQ(run("tar -C " + root + " -c . | " + env.docker + " import - lvsbb:1"), 0);
    env.ready = true;
  }

  static void TearDownTestSuite() {
    if (env.dockerd > 0) {
      run(env.docker + " rm -f $(" + env.docker + " ps -aq) 2>/dev/null");
      ::kill(env.dockerd, SIGTERM);
      for (int i = 0; i < 100 && ::waitpid(env.dockerd, nullptr, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(100ms);
      ::kill(env.dockerd, SIGKILL);
      ::waitpid(env.dockerd, nullptr, 0);
    }
    if (env.vswitchd > 0) {
      ::kill(env.vswitchd, SIGTERM);
      ::waitpid(env.vswitchd, nullptr, 0);
    }
    fs::remove("/etc/docker/plugins/" + env.plugin + ".spec");
    run("umount -R " + env.dir + "/exec 2>/dev/null; umount -R " + env.dir + "/data 2>/dev/null");
    run("ip netns del " + env.outside);
    run("ip netns del " + env.host);
    fs::remove_all(env.dir);
  }

  void SetUp() override { ASSERT_TRUE(env.ready); }

  std::string net_create(const std::string& name, const std::string& args) {
    std::string out;
    EXPECT_EQ(docker("network create -d " + env.plugin + " --ipam-driver " + env.plugin + " " +
                         args + " " + name,
                     &out),
              0)
        << out;
    return out;
  }
  // `docker network create` of a network the plugin must refuse: what docker printed.
  std::string net_refused(const std::string& name, const std::string& args) {
    std::string out;
    EXPECT_NE(docker("network create -d " + env.plugin + " --ipam-driver " + env.plugin + " " +
                         args + " " + name,
                     &out),
              0)
        << name;
    return out;
  }
  std::string run_ctr(const std::string& name, const std::string& args,
                      const std::string& cmd = "sleep 600") {
    std::string out;
    EXPECT_EQ(docker("run -d --name " + name + " " + args + " lvsbb:1 " + cmd, &out), 0) << out;
    return out;
  }
};

TEST_F(DockerPluginTest, BadRequestsGetErrorsAndChangeNothing) {
  const json before = json::parse(slurp(env.db));
  std::string out = plugin_call("NetworkDriver.CreateNetwork", "'{\"NetworkID\": '");
  EXPECT_NE(out.find("request body is not JSON"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with(" 400")) << out;
  out = plugin_call("NetworkDriver.Frobnicate", "'{}'");
  EXPECT_TRUE(out.ends_with(" 404")) << out;
  EXPECT_NE(out.find("unknown method NetworkDriver.Frobnicate"), std::string::npos) << out;
  out = plugin_call("Nothing/here", "'{}'");
  EXPECT_TRUE(out.ends_with(" 404")) << out;
  out = plugin_call(
      "NetworkDriver.CreateEndpoint",
      "'{\"NetworkID\":\"0123456789abcdef0123\",\"EndpointID\":\"0123456789abcdef9999\","
      "\"Interface\":{\"Address\":\"10.1.0.2/24\"}}'");
  EXPECT_NE(out.find("no network 0123456789abcdef0123 on this switch"), std::string::npos) << out;
  out = plugin_call("NetworkDriver.CreateNetwork",
                    "'{\"NetworkID\":\"0123456789abcdef0123\",\"IPv4Data\":[]}'");
  EXPECT_NE(out.find("the network needs an IPv4 subnet"), std::string::npos) << out;
  out = plugin_call("NetworkDriver.CreateNetwork", "'{\"NetworkID\":\"x;rm\",\"IPv4Data\":[]}'");
  EXPECT_NE(out.find("is not a Docker id"), std::string::npos) << out;
  // Deep nesting and a huge body are refused before the driver sees them.
  { std::ofstream(env.dir + "/deep.json") << std::string(100000, '[') << std::string(100000, ']'); }
  out = plugin_call("IpamDriver.RequestPool", "@" + env.dir + "/deep.json");
  EXPECT_NE(out.find("nests deeper than"), std::string::npos) << out.substr(0, 200);
  { std::ofstream(env.dir + "/huge.json") << "{\"Pool\":\"" << std::string(3 << 20, 'a') << "\"}"; }
  out = plugin_call("IpamDriver.RequestPool", "@" + env.dir + "/huge.json");
  EXPECT_TRUE(out.ends_with(" 413")) << out.substr(0, 200);
  // Through docker: a bad option names itself.
  out = net_refused("badnet", "--subnet 10.93.0.0/24 -o lite-vswitch.vlan=5000");
  EXPECT_NE(out.find("lite-vswitch.vlan: \"5000\" is not a VLAN id"), std::string::npos) << out;
  EXPECT_EQ(json::parse(slurp(env.db)), before);
  // The plugin still answers.
  out = plugin_call("Plugin.Activate", "''");
  EXPECT_EQ(out, "{\"Implements\":[\"NetworkDriver\",\"IpamDriver\"]} 200");
}

TEST_F(DockerPluginTest, ContainersPingWithDockerMacsVlansSeparateAndRestartsKeepWorking) {
  net_create("n1", "--subnet 10.91.0.0/24 --gateway 10.91.0.1 -o lite-vswitch.bridge=lvsbr");
  net_create("n2",
             "--subnet 10.92.0.0/24 --gateway 10.92.0.1 -o lite-vswitch.bridge=lvsbr -o "
             "lite-vswitch.vlan=20");
  run_ctr("ca", "--network n1");
  run_ctr("cb", "--network n1");
  run_ctr("cc", "--network n2 --cap-add NET_ADMIN");
  const std::string ia = ip_of("ca", "n1"), ib = ip_of("cb", "n1"), ic = ip_of("cc", "n2");
  EXPECT_EQ(ia, "10.91.0.2");
  EXPECT_EQ(ib, "10.91.0.3");
  EXPECT_EQ(ic, "10.92.0.2");
  std::string out;
  ASSERT_EQ(docker("exec ca cat /sys/class/net/eth0/address", &out), 0);
  EXPECT_EQ(out, "02:42:0a:5b:00:02\n");
  EXPECT_TRUE(ping_from("ca", ib));
  EXPECT_TRUE(ping_from("cb", ia));
  EXPECT_TRUE(ping_from("ca", "10.91.0.1"));  // the gateway, in the host
  EXPECT_TRUE(ping_from("cc", "10.92.0.1"));
  // VLAN 20 is another segment: c reaching n1's subnet directly on its link gets no answer.
  ASSERT_EQ(docker("exec cc ip route add 10.91.0.0/24 dev eth0", &out), 0) << out;
  EXPECT_TRUE(no_ping_from("cc", ia));
  // The switch shows the ports as access ports of their VLANs, and the leases.
  ASSERT_EQ(vsctl("--format json list port", &out), 0);
  int access20 = 0;
  for (const auto& p : json::parse(out))
    if (p["vlan_mode"] == "access" && p["tag"] == 20) ++access20;
  EXPECT_EQ(access20, 2) << out;  // c and n2's gateway

  // kill -9 of vswitchd and a restart: traffic flows again, new containers join.
  ::kill(env.vswitchd, SIGKILL);
  ::waitpid(env.vswitchd, nullptr, 0);
  start_vswitchd();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(ping_from("ca", ib, 10));
  run_ctr("cd", "--network n1");
  EXPECT_EQ(ip_of("cd", "n1"), "10.91.0.4");
  EXPECT_TRUE(ping_from("cd", ia));

  // docker network connect adds eth1.
  ASSERT_EQ(docker("network connect n2 cd"), 0);
  ASSERT_EQ(docker("exec cd ip -o -4 addr show dev eth1", &out), 0) << out;
  EXPECT_NE(out.find("10.92.0.3/24"), std::string::npos) << out;
  EXPECT_TRUE(ping_from("cd", ic));

  // Removing everything leaves nothing behind on the switch.
  ASSERT_EQ(docker("rm -f ca cb cc cd"), 0);
  ASSERT_EQ(docker("network rm n1 n2"), 0);
  ASSERT_EQ(vsctl("--format json show", &out), 0);
  EXPECT_EQ(json::parse(out)["bridges"].size(), 0u) << out;  // lvsbr went with its last network
  ASSERT_EQ(vsctl("ipam/show", &out), 0);
  EXPECT_EQ(out, "[]\n");
  ASSERT_EQ(in_host("ip -o link show", &out), 0);
  EXPECT_EQ(out.find("lvh"), std::string::npos) << out;
  EXPECT_EQ(out.find("lvg"), std::string::npos) << out;
}

TEST_F(DockerPluginTest, IccFalseIsolatesContainersButNotTheGateway) {
  net_create("iso", "--subnet 10.94.0.0/24 -o lite-vswitch.icc=false");
  run_ctr("i1", "--network iso");
  run_ctr("i2", "--network iso");
  const std::string i1 = ip_of("i1", "iso"), i2 = ip_of("i2", "iso");
  EXPECT_TRUE(ping_from("i1", "10.94.0.1"));
  EXPECT_TRUE(ping_from("i2", "10.94.0.1"));
  EXPECT_TRUE(no_ping_from("i1", i2));
  EXPECT_TRUE(no_ping_from("i2", i1));
  // After a dockerd restart (its containers stop with it) the plugin still answers for the
  // network: a new container joins it, isolated as before.
  ASSERT_EQ(docker("kill i1 i2"), 0);  // sleep as pid 1 ignores dockerd's SIGTERM for 10 s
  stop_dockerd();
  start_dockerd();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(docker("start i1"), 0);
  run_ctr("i3", "--network iso");
  EXPECT_TRUE(ping_from("i3", "10.94.0.1"));
  EXPECT_TRUE(no_ping_from("i3", ip_of("i1", "iso")));
  ASSERT_EQ(docker("rm -f i3"), 0);
  ASSERT_EQ(docker("rm -f i1 i2"), 0);
  ASSERT_EQ(docker("network rm iso"), 0);
  std::string out;
  ASSERT_EQ(vsctl("--format json show", &out), 0);
  const json shown = json::parse(out);  // a temporary would die before the loop's body
  for (const auto& b : shown["bridges"])
    EXPECT_NE(b["name"].get<std::string>().substr(0, 3), "lvb") << out;
}

TEST_F(DockerPluginTest, RateOptionLimitsEveryEndpointBothWaysAndBadRatesAreRefused) {
  std::string out;
  out = net_refused("badrate", "--subnet 10.92.0.0/24 -o lite-vswitch.rate=10M");
  EXPECT_NE(out.find("lite-vswitch.rate: rate \"10M\" is not in 1..4294967295"), std::string::npos)
      << out;
  net_create("rl", "--subnet 10.92.0.0/24 -o lite-vswitch.rate=10000,800");
  run_ctr("r1", "--network rl");
  EXPECT_TRUE(ping_from("r1", "10.92.0.1"));
  ASSERT_EQ(vsctl("--format json show", &out), 0);
  std::string port;
  const json shown = json::parse(out);  // alive through the loop (a temporary would not be)
  for (const auto& b : shown["bridges"])
    for (const auto& p : b["ports"])
      if (p["name"].get<std::string>().starts_with("lvh")) port = p["name"].get<std::string>();
  ASSERT_FALSE(port.empty()) << out;
  ASSERT_EQ(vsctl("get interface " + port + " ingress_policing_rate ingress_policing_burst", &out),
            0);
  EXPECT_EQ(out, "10000\n800\n");
  ASSERT_EQ(vsctl("get port " + port + " other_config", &out), 0);
  EXPECT_EQ(out, "{egress-burst-kb=\"800\", egress-rate-kbps=\"10000\"}\n");
  ASSERT_EQ(docker("rm -f r1"), 0);
  ASSERT_EQ(docker("network rm rl"), 0);
}

TEST_F(DockerPluginTest, PublishedPortAnswersFromOutsideTheHostAddressAndLoopback) {
  net_create("web", "--subnet 10.95.0.0/24");
  net_create("other", "--subnet 10.96.0.0/24");
  run_ctr("cw", "--network web -p 18080:80", "httpd -f -p 80 -h /www");
  run_ctr("oth", "--network other");
  std::string out;
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    answered =
        run("ip netns exec " + env.outside + " curl -s -m 2 http://10.79.0.1:18080/", &out) == 0;
    if (!answered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(answered) << out;
  EXPECT_EQ(out, "hello from lite-vswitch\n");
  EXPECT_EQ(in_host("curl -s -m 2 http://10.79.0.1:18080/", &out), 0) << out;
  EXPECT_EQ(out, "hello from lite-vswitch\n");
  EXPECT_EQ(in_host("curl -s -m 2 http://127.0.0.1:18080/", &out), 0) << out;
  EXPECT_EQ(out, "hello from lite-vswitch\n");
  // -p 80 (no host port): the plugin picks a free one from 49153 and records it on the port.
  run_ctr("cw2", "--network web -p 80", "httpd -f -p 80 -h /www");
  std::string publish;
  for (int i = 0; i < 50 && publish.empty(); ++i) {
    if (i) std::this_thread::sleep_for(100ms);
    ASSERT_EQ(vsctl("--format json list port", &out), 0);
    for (const auto& p : json::parse(out))
      if (p["external_ids"].contains("container_ip") && p["external_ids"]["container_ip"] == "10.95.0.3/24")
        publish = p["external_ids"].value("publish", "");
  }
  EXPECT_EQ(publish, "49153:80/tcp") << out;
  answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    answered = run("ip netns exec " + env.outside + " curl -s -m 2 http://10.79.0.1:49153/", &out) == 0;
    if (!answered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(answered) << out;
  // Hairpin: a container reaches a published port of its own network through the host.
  // (busybox-static's wget crashes here; its nc speaks the HTTP/1.0 request.)
  EXPECT_EQ(docker("exec cw2 sh -c 'printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | nc -w 2 10.79.0.1 18080'", &out), 0)
      << out;
  EXPECT_NE(out.find("hello from lite-vswitch"), std::string::npos) << out;
  // -p 127.0.0.1:P:80 answers on that address only; -p A-B:80 takes the first free of A..B.
  run_ctr("cl", "--network web -p 127.0.0.1:18083:80 -p 18090-18092:80", "httpd -f -p 80 -h /www");
  run_ctr("cl2", "--network web -p 18090-18092:80", "httpd -f -p 80 -h /www");
  answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    answered = in_host("curl -s -m 2 http://127.0.0.1:18083/", &out) == 0;
    if (!answered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(answered) << out;
  EXPECT_NE(run("ip netns exec " + env.outside + " curl -s -m 1 http://10.79.0.1:18083/", &out), 0)
      << out;
  EXPECT_NE(in_host("curl -s -m 1 http://10.79.0.1:18083/", &out), 0) << out;
  std::string ranges;
  ASSERT_EQ(vsctl("--format json list port", &out), 0);
  for (const auto& p : json::parse(out))
    if (p["external_ids"].contains("publish") &&
        p["external_ids"]["publish"].get<std::string>().find("1809") != std::string::npos)
      ranges += p["external_ids"]["publish"].get<std::string>() + " ";
  EXPECT_NE(ranges.find("127.0.0.1:18083:80/tcp"), std::string::npos) << ranges;
  EXPECT_NE(ranges.find("18090:80/tcp"), std::string::npos) << ranges;
  EXPECT_NE(ranges.find("18091:80/tcp"), std::string::npos) << ranges;
  EXPECT_EQ(run("ip netns exec " + env.outside + " curl -s -m 2 http://10.79.0.1:18091/", &out), 0)
      << out;
  ASSERT_EQ(docker("rm -f cl cl2"), 0);
  // Networks do not route to each other through the host (Docker's DOCKER-ISOLATION).
  EXPECT_TRUE(no_ping_from("oth", ip_of("cw", "web")));
  EXPECT_TRUE(ping_from("oth", "10.79.0.2"));  // but both reach the outside (masquerade)
  ASSERT_EQ(docker("rm -f cw cw2 oth"), 0);
  ASSERT_EQ(docker("network rm web other"), 0);
  EXPECT_NE(run("ip netns exec " + env.outside + " curl -s -m 1 http://10.79.0.1:18080/"), 0);
}

TEST_F(DockerPluginTest, InternalNetworkRoutesNowhereAndBridgeDriverOptionsWork) {
  std::string out;
  // docker0 users' option names: the bridge driver's mtu, icc, bridge name.
  net_create("inn", "--internal --subnet 10.97.0.0/24 -o com.docker.network.driver.mtu=1400 "
                    "-o com.docker.network.bridge.name=lvsint");
  run_ctr("in1", "--network inn --cap-add NET_ADMIN");
  run_ctr("in2", "--network inn");
  const std::string in2 = ip_of("in2", "inn");
  ASSERT_EQ(docker("exec in1 ip route", &out), 0);
  EXPECT_EQ(out.find("default"), std::string::npos) << out;  // no way out, as with docker0's
  ASSERT_EQ(docker("exec in1 cat /sys/class/net/eth0/mtu", &out), 0);
  EXPECT_EQ(out, "1400\n");
  EXPECT_TRUE(ping_from("in1", in2));
  EXPECT_TRUE(ping_from("in1", "10.97.0.1"));
  // Even with a route of its own, nothing leaves the subnet through the host.
  ASSERT_EQ(docker("exec in1 ip route add default via 10.97.0.1", &out), 0) << out;
  EXPECT_TRUE(no_ping_from("in1", "10.79.0.2"));
  // Nor does a NAT network's container get in.
  net_create("nat7", "--subnet 10.98.0.0/24 -o com.docker.network.bridge.enable_icc=false");
  run_ctr("nt1", "--network nat7");
  EXPECT_TRUE(ping_from("nt1", "10.79.0.2"));
  EXPECT_TRUE(no_ping_from("nt1", ip_of("in1", "inn")));  // in1 would answer: it has a route
  ASSERT_EQ(vsctl("--format json show", &out), 0);
  bool named = false;
  const json shown = json::parse(out);
  for (const auto& b : shown["bridges"]) named |= b["name"] == "lvsint";
  EXPECT_TRUE(named) << out;
  // Contradictions are refused, naming both options.
  out = net_refused("badmtu",
                    "--subnet 10.99.0.0/24 -o lite-vswitch.mtu=1450 "
                    "-o com.docker.network.driver.mtu=1400");
  EXPECT_NE(out.find("both set the network's mtu"), std::string::npos) << out;
  out = net_refused("badnat", "--internal --subnet 10.99.0.0/24 -o lite-vswitch.nat=true");
  EXPECT_NE(out.find("an --internal network has no NAT"), std::string::npos) << out;
  out = net_refused("badshare",
                    "--subnet 10.99.0.0/24 -o lite-vswitch.bridge=lvsint -o lite-vswitch.vlan=9");
  EXPECT_NE(out.find("carries --internal network"), std::string::npos) << out;
  ASSERT_EQ(docker("rm -f in1 in2 nt1"), 0);
  ASSERT_EQ(docker("network rm inn nat7"), 0);
}

}  // namespace
}  // namespace lvs::ctl
