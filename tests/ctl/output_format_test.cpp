// What vsctl prints of stored strings: control characters escaped in every format (issue 12).
#include "ctl/output_format.hpp"

#include <gtest/gtest.h>

#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"
#include "tests/ctl/vsctl_in_process.hpp"

namespace lvs::ctl {
namespace {

class OutputFormatTest : public testing::Test {
 protected:
  std::string vsctl(const std::vector<std::string>& words) { return test::run_vsctl(service, words); }
  static bool has_raw_controls(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
      if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;
    }
    return false;
  }
  Service service{default_config(), "", nullptr, nullptr};
};

TEST(EscapeControlCharsTest, ControlsAreEscapedTextIsKept) {
  EXPECT_EQ(escape_control_chars("plain text, caf\xc3\xa9 \xe2\x82\xac"),
            "plain text, caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(escape_control_chars("\x1b[2J\x1b]0;owned\x07"), "\\u001b[2J\\u001b]0;owned\\u0007");
  EXPECT_EQ(escape_control_chars("a\nb\tc\rd\x7f"), "a\\nb\\tc\\rd\\u007f");
  EXPECT_EQ(escape_control_chars("\xc2\x9b"
                                 "31m"),
            "\\u009b31m");                                             // C1 CSI
  EXPECT_EQ(escape_control_chars("\x9b\xff\xc3"), "\\x9b\\xff\\xc3");  // not UTF-8
  EXPECT_EQ(escape_control_chars("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST_F(OutputFormatTest, StoredEscapeSequencesNeverReachTheTerminal) {
  const std::string evil =
      "\x1b[2J\x1b]0;pwned\x07\xc2\x9b"
      "1m";
  ASSERT_EQ(vsctl({"add-port", "br0", "p1", "--", "set", "port", "p1", "external_ids:k=" + evil,
                   "external_ids:" + evil + "=v", "--", "set", "bridge", "br0",
                   "external_ids:k=" + evil}),
            "");
  for (const auto& cmd :
       std::vector<std::vector<std::string>>{{"show"},
                                             {"list", "port", "p1"},
                                             {"list", "interface", "p1"},
                                             {"get", "port", "p1", "external_ids"},
                                             {"get", "port", "p1", "external_ids:k"},
                                             {"--format", "json", "list", "port", "p1"},
                                             {"--format", "json", "show"}}) {
    const std::string out = vsctl(cmd);
    EXPECT_FALSE(has_raw_controls(out))
        << cmd[0] << " " << (cmd.size() > 1 ? cmd[1] : "") << ": " << escape_control_chars(out);
    EXPECT_NE(out.find("\\u001b[2J"), std::string::npos) << cmd[0] << ": " << out;
  }
  EXPECT_EQ(vsctl({"get", "port", "p1", "external_ids:k"}),
            "\"\\u001b[2J\\u001b]0;pwned\\u0007\\u009b1m\"\n");
}

TEST_F(OutputFormatTest, BadNamesAreRefusedWithAReason) {
  // vsctl itself would take --help as its own option: straight to the daemon, as a script may.
  const auto chain = nlohmann::json::array({nlohmann::json::array({"add-br", "--help"})});
  auto reply =
      service.handle({{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}});
  EXPECT_EQ(reply["error"]["message"],
            "bridge name \"--help\" begins with '-' (it would read as an option)");
  EXPECT_EQ(vsctl({"add-port", "br0", "lo"}), "ERROR: port name \"lo\" is the loopback interface");
  EXPECT_EQ(vsctl({"list-ports", "br0"}), "");
}

}  // namespace
}  // namespace lvs::ctl
