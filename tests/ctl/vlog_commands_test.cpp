// vlog/set and vlog/list (ctl/commands/vlog_commands.cpp) through the daemon's Service: the level
// the log filters with changes only when the whole chain commits, and a bad level names itself.
#include <gtest/gtest.h>

#include "ctl/config_json.hpp"
#include "ctl/log.hpp"
#include "ctl/service.hpp"
#include "tests/ctl/fake_runtime.hpp"

namespace lvs::ctl {
namespace {

class VlogCommandsTest : public testing::Test {
 protected:
  void SetUp() override { set_log_level(LogLevel::kInfo); }
  void TearDown() override { set_log_level(LogLevel::kInfo); }

  // One transaction: the Service's reply.
  nlohmann::json transact(const std::vector<std::vector<std::string>>& chain) {
    return service.handle({{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}});
  }
  // The reply's error message, "" when it committed.
  static std::string error_of(const nlohmann::json& reply) {
    return reply.contains("error") ? reply["error"]["message"].get<std::string>() : "";
  }

  test::FakeRuntime runtime;
  Service service{default_config(), "", nullptr, &runtime};
};

TEST_F(VlogCommandsTest, SetChangesTheLevelAndListPrintsIt) {
  EXPECT_EQ(error_of(transact({{"vlog/set", "debug"}})), "");
  EXPECT_EQ(log_level(), LogLevel::kDebug);
  EXPECT_EQ(transact({{"vlog/list"}})["result"]["outputs"][0], "vswitchd: debug");
  EXPECT_EQ(error_of(transact({{"vlog/set", "warning"}})), "");
  EXPECT_EQ(log_level(), LogLevel::kWarn);
  EXPECT_EQ(error_of(transact({{"vlog/set", "err"}})), "");
  EXPECT_EQ(transact({{"vlog/list"}})["result"]["outputs"][0], "vswitchd: error");
}

TEST_F(VlogCommandsTest, BadLevelIsNamedAndChangesNothing) {
  EXPECT_EQ(error_of(transact({{"vlog/set", "loud"}})),
            "vlog/set: \"loud\" is not a log level (error, warn, info or debug)");
  EXPECT_EQ(log_level(), LogLevel::kInfo);
  EXPECT_EQ(error_of(transact({{"vlog/set"}})), "vlog/set: expects 1 argument(s), got 0");
  EXPECT_EQ(error_of(transact({{"vlog/set", "dpif:debug"}})),
            "vlog/set: unknown subsystem \"dpif\" (the log has one: vswitchd)");
  EXPECT_EQ(error_of(transact({{"vlog/set", "vswitchd:loud"}})),
            "vlog/set: \"loud\" is not a log level (error, warn, info or debug)");
  EXPECT_EQ(log_level(), LogLevel::kInfo);
}

TEST_F(VlogCommandsTest, SubsystemColonLevelAsOpenVswitchSpellsIt) {
  EXPECT_EQ(error_of(transact({{"vlog/set", "vswitchd:debug"}})), "");
  EXPECT_EQ(log_level(), LogLevel::kDebug);
}

TEST_F(VlogCommandsTest, FailedChainLeavesTheLevelAsItWas) {
  EXPECT_NE(error_of(transact({{"vlog/set", "debug"}, {"add-br", "bad/name"}})), "");
  EXPECT_EQ(log_level(), LogLevel::kInfo);
}

}  // namespace
}  // namespace lvs::ctl
