// Attacks on the control socket of a running vswitchd (label "integration", root), as a client
// allowed on the socket (root or a --socket-group member: a Docker/CNI plugin, an operator
// script) could make them, and planted links where the daemon writes (issue 12). Each must get
// an error (or be refused with a reason) while the switch keeps forwarding and other clients
// keep being answered.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <memory>

#include "tests/robustness/daemon_env.hpp"
#include "tests/support/raw_client.hpp"

namespace lvs::test {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

class ControlAttackTest : public DaemonEnv {
 protected:
  bool daemon_alive() {
    int st = 0;
    return daemon > 0 && ::waitpid(daemon, &st, WNOHANG) == 0;
  }
  // Round trip of one vsctl command, ms (-1 when it failed).
  double vsctl_ms(const std::string& args) {
    const auto t0 = Clock::now();
    return vsctl(args) == 0 ? ms_since(t0) : -1;
  }
  // vswitchd started on its own with `args`, expected to refuse to start: its exit status and
  // (in `log`) what it said.
  int refused_start(const std::string& db, const std::string& sock,
                    const std::vector<std::string>& args, std::string* log) {
    const std::string path = dir + "/refused.log";
    std::filesystem::remove(path);
    const pid_t p = spawn_vswitchd_in_netns(LVS_VSWITCHD, host, db, sock, path, args);
    int st = 0;
    for (int i = 0; i < 100 && ::waitpid(p, &st, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(50ms);
    if (::waitpid(p, &st, WNOHANG) == 0) {  // it started: that is the failure
      ::kill(p, SIGKILL);
      ::waitpid(p, &st, 0);
      *log = slurp(path);
      return 0;
    }
    *log = slurp(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
};

TEST_F(ControlAttackTest, DeepAndHugeRequestsGetErrorsWhileContainersKeepForwarding) {
  start("c");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(vsctl("add-br brc -- set interface brc options:ip=10.82.0.1/24"), 0);
  const std::string c1 = container("1", "brc", "10.82.0.2");
  const std::string c2 = container("2", "brc", "10.82.0.3");
  ASSERT_TRUE(ping(c1, "10.82.0.3"));
  const pid_t pinger =
      in_background(c1, "ping -q -n -c 60 -i 0.05 -W 1 10.82.0.3", dir + "/ping.log");

  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  RawClient c(sock);
  ASSERT_TRUE(c.connected());
  for (const std::string& r :
       {R"({"id":)" + deep + R"(,"method":"ping"})",
        R"({"id":1,"method":"transact","params":)" + deep + "}",
        R"({"id":1,"method":"transact","params":{"commands":[["list-br",)" + deep + "]]}}"}) {
    const auto t0 = Clock::now();
    ASSERT_TRUE(c.send_all(r + "\n"));
    const std::string reply = c.line(5000ms);
    std::printf("%zu-byte request nested 100,000 deep: answered in %.1f ms: %s\n", r.size(),
                ms_since(t0), reply.substr(0, 160).c_str());
    EXPECT_EQ(RawClient::code_of(reply), "bad_request") << reply.substr(0, 200);
    ASSERT_TRUE(daemon_alive()) << daemon_log();
  }
  // 100 MB in one request line (brackets: deep and huge at once): refused after the 4 MiB limit.
  RawClient huge(sock);
  const std::string chunk(1 << 20, '[');
  size_t sent = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i) {
    if (!huge.send_all(chunk)) break;
    sent += chunk.size();
  }
  const std::string reply = huge.line(5000ms);
  std::printf("100 MB request: %zu bytes taken, answered in %.1f ms: %s\n", sent, ms_since(t0),
              reply.c_str());
  EXPECT_EQ(RawClient::code_of(reply), "too_large") << reply;
  EXPECT_LT(sent, 100u << 20);

  EXPECT_EQ(wait_for(pinger, 30s), 0) << slurp(dir + "/ping.log");
  const std::string pings = slurp(dir + "/ping.log");
  std::printf("pings during the attack: %s", pings.substr(pings.find("---")).c_str());
  EXPECT_GE(ping_replies(c2, "10.82.0.2", 5, 0.1), 4);
  EXPECT_NE(pings.find(" 0% packet loss"), std::string::npos) << pings;
  ASSERT_TRUE(daemon_alive()) << daemon_log();
  EXPECT_GE(vsctl_ms("list-br"), 0);
}

TEST_F(ControlAttackTest, AThousandPipelinedRequestsThenCloseKeepMemoryBoundedAndOthersAnswered) {
  start("p");
  ASSERT_FALSE(HasFatalFailure());
  // A big switch: 500 ports (their interfaces do not exist: kept and reported, cheap to make),
  // so that each `list interface` reply is large and slow to build.
  std::string add = "add-br brp";
  for (int i = 0; i < 500; ++i) add += " -- add-port brp lvpp" + std::to_string(i);
  ASSERT_EQ(vsctl(add), 0);
  std::string one;
  const auto t1 = Clock::now();
  ASSERT_EQ(vsctl("--format json list interface", &one), 0);
  const double one_ms = ms_since(t1);
  const long rss0 = rss_kib();

  std::string burst;
  const std::string req =
      R"({"id":1,"method":"transact","params":{"commands":[["list","interface"]]}})"
      "\n";
  for (int i = 0; i < 1000; ++i) burst += req;
  RawClient attacker(sock);
  ASSERT_TRUE(attacker.connected());
  const size_t taken = attacker.send_some(burst);  // one write; its replies are never read
  std::vector<double> latencies;
  long rss_peak = rss0;
  for (int i = 0; i < 10; ++i) {
    latencies.push_back(vsctl_ms("list-br"));
    rss_peak = std::max(rss_peak, rss_kib());
    std::this_thread::sleep_for(100ms);
  }
  attacker.close();
  for (int i = 0; i < 5; ++i) {
    latencies.push_back(vsctl_ms("list-br"));
    rss_peak = std::max(rss_peak, rss_kib());
    std::this_thread::sleep_for(100ms);
  }
  const long rss1 = rss_kib();
  std::printf(
      "list interface (500 ports): %zu-byte reply in %.1f ms; attacker's write: %zu of %zu "
      "bytes taken\n",
      one.size(), one_ms, taken, burst.size());
  std::printf("vsctl list-br during and after the attack (ms):");
  for (double l : latencies) std::printf(" %.0f", l);
  std::printf("\nvswitchd VmRSS: %ld KiB before, %ld peak, %ld after\n", rss0, rss_peak, rss1);
  for (double l : latencies) {
    EXPECT_GE(l, 0);
    EXPECT_LT(l, 1000);
  }
  // At most the reply backlog (4 MiB) plus the replies being built.
  EXPECT_LT(rss_peak - rss0, 48 * 1024);
  ASSERT_TRUE(daemon_alive()) << daemon_log();
}

TEST_F(ControlAttackTest, ThreeHundredIdleAndHalfSentConnectionsDoNotLockOutVsctl) {
  start("i");
  ASSERT_FALSE(HasFatalFailure());
  std::vector<std::unique_ptr<RawClient>> hogs;
  for (int i = 0; i < 300; ++i) {
    hogs.push_back(std::make_unique<RawClient>(sock));
    ASSERT_TRUE(hogs.back()->connected()) << i;
    if (i % 2) hogs.back()->send_some(R"({"id":1,"method":"transact","params":)");
  }
  std::this_thread::sleep_for(500ms);
  std::vector<double> latencies;
  for (int i = 0; i < 5; ++i) latencies.push_back(vsctl_ms("list-br"));
  int busy = 0, silent = 0;
  for (auto& h : hogs) {
    const std::string l = h->line(10ms);
    busy += RawClient::code_of(l) == "busy";
    silent += l.empty();
  }
  std::printf("300 hogs: vsctl list-br (ms):");
  for (double l : latencies) std::printf(" %.0f", l);
  std::printf("; hogs told busy: %d, still connected: %d\n", busy, silent);
  for (double l : latencies) {
    EXPECT_GE(l, 0);
    EXPECT_LT(l, 1000);
  }
  // Nobody was dropped without a word: every hog either holds its slot or was told why.
  EXPECT_EQ(busy + silent, 300);
  EXPECT_GE(busy, 300 - 256);
}

TEST_F(ControlAttackTest, PlantedLinksAreRefusedAndTheirTargetsUntouched) {
  start("s");
  ASSERT_FALSE(HasFatalFailure());
  namespace fs = std::filesystem;
  std::string log;
  // The temp file of the running daemon's next database write.
  const std::string target = dir + "/target";
  { std::ofstream(target) << "precious\n"; }
  const std::string db_before = slurp(db);
  const std::string tmp = db + ".tmp." + std::to_string(daemon);
  fs::create_symlink(target, tmp);
  std::string out;
  EXPECT_NE(vsctl("add-br brs", &out), 0);
  EXPECT_NE(out.find(tmp + " is a symbolic link (refusing to write through it; remove it)"),
            std::string::npos)
      << out;
  EXPECT_EQ(slurp(target), "precious\n");
  EXPECT_EQ(slurp(db), db_before);
  vsctl("list-br", &out);
  EXPECT_EQ(out, "br0\n");  // the refused change was not applied either

  // The lock, the pidfile and the run directory of a daemon starting.
  const std::string d = dir + "/d";
  fs::create_directories(d);
  fs::create_symlink(dir + "/lock-target", d + "/conf.json.lock");
  EXPECT_NE(refused_start(d + "/conf.json", d + "/s.sock", {}, &log), 0);
  EXPECT_NE(log.find(d + "/conf.json.lock is a symbolic link (refusing to follow it)"),
            std::string::npos)
      << log;
  EXPECT_FALSE(fs::exists(dir + "/lock-target"));
  fs::remove(d + "/conf.json.lock");

  fs::create_symlink(target, d + "/vswitchd.pid");
  EXPECT_NE(
      refused_start(d + "/conf.json", d + "/s.sock", {"--pidfile", d + "/vswitchd.pid"}, &log), 0);
  EXPECT_NE(log.find(d + "/vswitchd.pid is a symbolic link (refusing to follow it)"),
            std::string::npos)
      << log;
  EXPECT_EQ(slurp(target), "precious\n");
  fs::remove(d + "/vswitchd.pid");

  fs::create_directories(dir + "/elsewhere");
  fs::create_symlink(dir + "/elsewhere", d + "/run");
  EXPECT_NE(refused_start(d + "/conf.json", d + "/run/s.sock", {}, &log), 0);
  EXPECT_NE(log.find("run directory " + d + "/run is a symbolic link (refusing to follow it)"),
            std::string::npos)
      << log;
  EXPECT_TRUE(fs::is_empty(dir + "/elsewhere"));

  // A database directory anyone may write (where anyone could plant those links).
  const std::string w = dir + "/w";
  fs::create_directories(w);
  fs::permissions(w, fs::perms::all);
  EXPECT_NE(refused_start(w + "/conf.json", d + "/s.sock", {}, &log), 0);
  EXPECT_NE(log.find("database directory " + w + " is writable by others (mode 0777)"),
            std::string::npos)
      << log;
  EXPECT_TRUE(fs::is_empty(w));
  ASSERT_TRUE(daemon_alive());
}

TEST_F(ControlAttackTest, ControlCharactersAreEscapedAndBadNamesRefused) {
  start("e");
  ASSERT_FALSE(HasFatalFailure());
  // ESC [2J (clear screen), an OSC title, BEL and a C1 CSI, stored as an external_ids value.
  ASSERT_EQ(vsctl("set bridge br0 \"$(printf 'external_ids:k=\\033[2J\\033]0;pwned\\007\\302\\233"
                  "1m')\""),
            0);
  for (const std::string cmd : {"show", "list bridge br0", "get bridge br0 external_ids",
                                "--format json list bridge br0"}) {
    std::string out;
    ASSERT_EQ(vsctl(cmd, &out), 0) << cmd;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << cmd << ": " << out;
    EXPECT_EQ(out.find('\x07'), std::string::npos) << cmd;
    EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos) << cmd;
    EXPECT_NE(out.find("\\u001b[2J"), std::string::npos) << cmd << ": " << out;
    if (cmd == "show") std::printf("vsctl show: %s", out.c_str());
  }
  std::string out;
  EXPECT_NE(vsctl("add-port br0 lo", &out), 0);
  EXPECT_EQ(out, "vsctl: port name \"lo\" is the loopback interface\n");
  EXPECT_NE(vsctl("add-br -br", &out), 0);
  EXPECT_NE(out.find("begins with '-'"), std::string::npos) << out;
  auto r = ctl::transact(sock, {{"add-br", "--help"}}, 5000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["error"]["message"],
            "bridge name \"--help\" begins with '-' (it would read as an option)");
  vsctl("list-br", &out);
  EXPECT_EQ(out, "br0\n");
}

}  // namespace
}  // namespace lvs::test
