// The control socket in-process: framing, limits, malformed input, many clients.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ctl/control_client.hpp"
#include "ctl/control_server.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl {
namespace {

class ControlServerTest : public testing::Test {
 protected:
  void SetUp() override {
    path = "/tmp/lvs-srv-" + std::to_string(getpid()) + ".sock";
    ASSERT_FALSE(server.listen(path));
    thread = std::thread([this] {
      while (!stop) server.poll_once(20);
    });
  }
  void TearDown() override {
    stop = true;
    thread.join();
    server.close();
  }
  static nlohmann::json tx(std::vector<std::vector<std::string>> chain) {
    return {{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}};
  }

  Service service{default_config(), "", nullptr, nullptr};
  ControlServer server{[this](const nlohmann::json& r) { return service.handle(r); }};
  std::string path;
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

}  // namespace
}  // namespace lvs::ctl
