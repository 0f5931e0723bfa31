// The control socket in-process: framing, limits, malformed input, many clients, and what one
// client may cost the others (nesting depth, pipelining, slots, timeouts).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "ctl/control_client.hpp"
#include "ctl/control_server.hpp"
#include "ctl/service.hpp"
#include "tests/support/raw_client.hpp"

namespace lvs::ctl {
namespace {

using test::RawClient;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ControlServerTest : public testing::Test {
 protected:
  void SetUp() override {
    // A private directory: the server refuses to bind in one others may write (/tmp itself).
    dir = "/tmp/lvs-srv-" + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    path = dir + "/s.sock";
    start({});
  }
  void TearDown() override {
    halt();
    std::filesystem::remove_all(dir);
  }
  void start(ServerLimits limits) {
    halt();
    server = std::make_unique<ControlServer>(
        [this](const nlohmann::json& r) { return service.handle(r); }, limits);
    ASSERT_FALSE(server->listen(path));
    stop = false;
    thread = std::thread([this] {
      while (!stop) server->poll_once(20);
    });
  }
  // Stops serving (the counters can then be read); the connections stay open.
  void halt() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  static nlohmann::json tx(std::vector<std::vector<std::string>> chain) {
    return {{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}};
  }
  static std::string line_of(const nlohmann::json& j) { return j.dump() + "\n"; }
  // A ping on a fresh connection; its round trip, or -1 ms when no pong came.
  std::chrono::milliseconds ping_time(std::chrono::milliseconds timeout = 3000ms) {
    const auto t0 = Clock::now();
    ControlClient c;
    if (c.connect(path, static_cast<int>(timeout.count()))) return -1ms;
    auto r = c.call({{"id", 9}, {"method", "ping"}}, static_cast<int>(timeout.count()));
    if (!r.ok() || !r->contains("result")) return -1ms;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  }

  Service service{default_config(), "", nullptr, nullptr};
  std::unique_ptr<ControlServer> server;
  std::string dir, path;
  std::atomic<bool> stop{false};
  std::thread thread;
};

TEST_F(ControlServerTest, SocketIsMode0660AndASecondServerIsRefused) {
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(ControlServer::check_free(path)->message, "another vswitchd is already serving on " + path);
}

TEST_F(ControlServerTest, BadJsonOversizedAndUnknownGetErrorsAndServingGoesOn) {
  ControlClient c;
  ASSERT_FALSE(c.connect(path, 2000));
  auto bad = c.call_raw("{not json\n", 2000);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(nlohmann::json::parse(*bad)["error"]["code"], "bad_request");
  auto unknown = c.call({{"id", 2}, {"method", "nope"}}, 2000);
  EXPECT_EQ((*unknown)["error"]["code"], "unknown_method");
  EXPECT_EQ((*unknown)["id"], 2);
  // The same connection still works.
  EXPECT_TRUE((*c.call(tx({{"add-br", "br1"}}), 2000)).contains("result"));

  ControlClient big;
  ASSERT_FALSE(big.connect(path, 2000));
  auto reply = big.call_raw(std::string(kMaxRequestBytes + 100, 'x'), 5000);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(nlohmann::json::parse(*reply)["error"]["code"], "too_large");

  ControlClient after;
  ASSERT_FALSE(after.connect(path, 2000));
  auto list = after.call(tx({{"list-br"}}), 2000);
  EXPECT_EQ((*list)["result"]["outputs"][0], nlohmann::json::array({"br0", "br1"}));
}

TEST_F(ControlServerTest, DeeplyNestedRequestsGetAnErrorAndServingGoesOn) {
  // 100,000 levels in the id, in params and in a command word: each one an error reply.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<std::string> requests = {
      R"({"id":)" + deep + R"(,"method":"ping"})",
      R"({"id":1,"method":"transact","params":)" + deep + "}",
      R"({"id":1,"method":"transact","params":{"commands":[["add-br",)" + deep + "]]}}",
  };
  RawClient c(path);
  ASSERT_TRUE(c.connected());
  for (const auto& r : requests) {
    ASSERT_TRUE(c.send_all(r + "\n"));
    const std::string reply = c.line(5000ms);
    EXPECT_EQ(RawClient::code_of(reply), "bad_request") << reply.substr(0, 200);
    EXPECT_NE(reply.find("nested deeper than 64 levels"), std::string::npos) << reply.substr(0, 200);
  }
  // Shallow but structured ids are refused too: nothing of the request is copied but scalars.
  ASSERT_GT(c.send_some(R"({"id":[[1]],"method":"ping"})" "\n"), 0u);
  const std::string reply = c.line();
  EXPECT_EQ(RawClient::code_of(reply), "bad_request") << reply;
  EXPECT_NE(reply.find("must be a number, string or null, not an array"), std::string::npos) << reply;
  ASSERT_GT(c.send_some(R"({"id":"x","method":"ping"})" "\n"), 0u);
  EXPECT_EQ(c.line(), R"({"id":"x","result":"pong"})");
  EXPECT_GE(ping_time().count(), 0);
}

TEST_F(ControlServerTest, AClientThatDoesNotReadIsNoLongerReadAndOthersAreServed) {
  ServerLimits limits;
  limits.max_reply_backlog = 64u << 10;
  limits.max_queued_requests = 16;
  start(limits);
  // 20,000 pipelined requests (about 1.4 MB), replies never read.
  std::string burst;
  for (int i = 0; i < 20000; ++i) burst += line_of(tx({{"list-br"}}));
  RawClient greedy(path);
  ASSERT_TRUE(greedy.connected());
  size_t sent = greedy.send_some(burst);
  for (int i = 0; i < 20 && sent < burst.size(); ++i) {
    std::this_thread::sleep_for(20ms);
    sent += greedy.send_some(burst.substr(sent));
  }
  // Back-pressure: the server stopped reading, so the kernel's buffers filled up.
  EXPECT_LT(sent, burst.size());
  const auto t = ping_time();
  EXPECT_GE(t.count(), 0);
  EXPECT_LT(t, 1000ms);
  // Reading the replies lets the pipeline go on: they come in order, each one answered.
  for (int i = 0; i < 100; ++i) ASSERT_NE(greedy.line().find("\"result\""), std::string::npos) << i;
  // Gone: what it left queued is not run.
  greedy.close();
  std::this_thread::sleep_for(100ms);
  halt();
  EXPECT_GT(server->dropped_requests(), 0u);
  EXPECT_EQ(server->clients(), 0u);
}

TEST_F(ControlServerTest, PipelinesAreServedFairly) {
  // A switch with many ports makes each `list interface` cost something.
  std::vector<std::vector<std::string>> add;
  for (int i = 0; i < 400; ++i) add.push_back({"add-port", "br0", "p" + std::to_string(i)});
  ControlClient setup;
  ASSERT_FALSE(setup.connect(path, 2000));
  ASSERT_TRUE((*setup.call(tx(add), 10000)).contains("result"));
  const auto t0 = Clock::now();
  ASSERT_TRUE((*setup.call(tx({{"list", "interface"}}), 10000)).contains("result"));
  const auto one = Clock::now() - t0;

  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += line_of(tx({{"list", "interface"}}));
  RawClient greedy(path);
  ASSERT_TRUE(greedy.connected());
  greedy.send_some(burst);
  std::this_thread::sleep_for(50ms);  // its pipeline is running now
  const auto t = ping_time(5000ms);
  std::printf("one list interface: %.2f ms; ping during 1000 of them: %lld ms\n",
              std::chrono::duration<double, std::milli>(one).count(),
              static_cast<long long>(t.count()));
  EXPECT_GE(t.count(), 0);
  EXPECT_LT(t, 1000ms);
}

TEST_F(ControlServerTest, AHalfClosedClientIsAnsweredAHungUpOneIsNot) {
  RawClient polite(path);
  ASSERT_TRUE(polite.connected());
  polite.send_some(line_of({{"id", 1}, {"method", "ping"}}) + line_of({{"id", 2}, {"method", "ping"}}));
  polite.shut_write();
  EXPECT_EQ(polite.line(), R"({"id":1,"result":"pong"})");
  EXPECT_EQ(polite.line(), R"({"id":2,"result":"pong"})");
  EXPECT_EQ(polite.line(), "EOF");
}

TEST_F(ControlServerTest, IdleAndHalfSentConnectionsTimeOutWithAReason) {
  ServerLimits limits;
  limits.idle_timeout = 400ms;
  limits.partial_timeout = 200ms;
  start(limits);
  RawClient idle(path), partial(path), busy_one(path);
  ASSERT_TRUE(idle.connected() && partial.connected() && busy_one.connected());
  partial.send_some(R"({"id":1,"method":)");
  const auto t0 = Clock::now();
  const std::string p = partial.line(2000ms);
  const auto partial_after = Clock::now() - t0;
  EXPECT_EQ(RawClient::code_of(p), "timeout") << p;
  EXPECT_NE(p.find("request line not finished"), std::string::npos) << p;
  EXPECT_LT(partial_after, 390ms);
  // A connection that keeps asking is never idle.
  for (int i = 0; i < 6; ++i) {
    busy_one.send_some(line_of({{"id", i}, {"method", "ping"}}));
    EXPECT_NE(busy_one.line().find("pong"), std::string::npos);
    std::this_thread::sleep_for(100ms);
  }
  const std::string i = idle.line(2000ms);
  EXPECT_EQ(RawClient::code_of(i), "timeout") << i;
  EXPECT_NE(i.find("idle"), std::string::npos) << i;
  EXPECT_EQ(idle.line(), "EOF");
}

TEST_F(ControlServerTest, AThrottledPipelineIsNotTimedOutForTheLineTheServerStoppedReading) {
  ServerLimits limits;
  limits.max_reply_backlog = 256;
  limits.partial_timeout = 200ms;
  start(limits);
  std::vector<std::vector<std::string>> add;
  for (int i = 0; i < 100; ++i) add.push_back({"add-port", "br0", "p" + std::to_string(i)});
  ASSERT_TRUE(service.handle(tx(add)).contains("result"));
  // 50 replies of ~20 KB: more than the kernel's socket buffer and the server's backlog hold.
  RawClient c(path);
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += line_of(tx({{"list", "interface"}}));
  ASSERT_TRUE(c.send_all(burst + R"({"id":50,)"));
  std::this_thread::sleep_for(500ms);  // not reading: the server holds its queue
  for (int i = 0; i < 50; ++i) ASSERT_NE(c.line().find("\"result\""), std::string::npos) << i;
  ASSERT_TRUE(c.send_all(R"("method":"ping"})" "\n")) << c.line();
  EXPECT_EQ(c.line(), R"({"id":50,"result":"pong"})");
}

TEST_F(ControlServerTest, FullSlotsDisplaceTheLongestWaitingOrAnswerBusy) {
  ServerLimits limits;
  limits.max_clients = 8;
  limits.evict_after = 300ms;
  start(limits);
  std::vector<std::unique_ptr<RawClient>> hogs;
  for (int i = 0; i < 8; ++i) {
    hogs.push_back(std::make_unique<RawClient>(path));
    if (i % 2) hogs.back()->send_some(R"({"id":1,"method":)");  // half-sent requests too
  }
  std::this_thread::sleep_for(100ms);
  // All slots taken by connections that have not waited evict_after: the newcomer hears why.
  RawClient late(path);
  const std::string b = late.line();
  EXPECT_EQ(RawClient::code_of(b), "busy") << b;
  EXPECT_NE(b.find("all 8 control connections are in use"), std::string::npos) << b;
  std::this_thread::sleep_for(300ms);
  // Now the one that has waited longest makes room, and is told so.
  const auto t = ping_time();
  EXPECT_GE(t.count(), 0);
  EXPECT_EQ(RawClient::code_of(hogs[0]->line()), "busy");
  halt();
  EXPECT_EQ(server->busy(), 1u);
  EXPECT_EQ(server->evicted(), 1u);
}

TEST_F(ControlServerTest, ManyClientsAtOnce) {
  constexpr int kClients = 32, kEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ControlClient c;
      if (c.connect(path, 5000)) return;
      for (int j = 0; j < kEach; ++j) {
        const std::string port = "c" + std::to_string(i) + "p" + std::to_string(j);
        auto r = c.call(tx({{"add-port", "br0", port}}), 5000);
        if (r.ok() && r->contains("result")) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  // Plus br0's own internal port.
  EXPECT_EQ(service.config().bridges[0].ports.size(), static_cast<size_t>(kClients * kEach + 1));
}

TEST_F(ControlServerTest, ASocketDirectoryThatIsALinkOrWritableByOthersIsRefused) {
  halt();
  server.reset();
  const std::string elsewhere = dir + "/elsewhere", link = dir + "/run";
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_symlink(elsewhere, link);
  ControlServer s([](const nlohmann::json&) { return nlohmann::json(); });
  auto e = s.bind(link + "/s.sock");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "run directory " + link + " is a symbolic link (refusing to follow it)");
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
  std::filesystem::permissions(elsewhere, std::filesystem::perms::all);
  e = s.bind(elsewhere + "/s.sock");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("run directory " + elsewhere + " is writable by others (mode 0777)"),
            std::string::npos)
      << e->message;
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
}

}  // namespace
}  // namespace lvs::ctl
