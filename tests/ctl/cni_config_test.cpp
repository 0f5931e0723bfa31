// The CNI plugin's configuration and result handling, without a switch (label "unit").
#include "ctl/cni_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ctl/cni_result.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

json base() {
  return json{{"cniVersion", "1.1.0"},
              {"name", "net1"},
              {"type", "lite-vswitch"},
              {"ipam", {{"type", "host-local"}, {"subnet", "10.1.0.0/24"}}}};
}
CniResult<NetConf> parse(const json& j, const std::string& command = "ADD",
                         const std::string& args = "") {
  Env env;
  env.command = command;
  env.args = args;
  return parse_net_conf(j.dump(), command, env);
}
int code_of(const json& j, const std::string& command = "ADD") {
  auto r = parse(j, command);
  return r ? 0 : r.error().code;
}

TEST(CniConfigTest, BridgePluginKeysAreReadWithTheirDefaults) {
  auto n = parse(base());
  ASSERT_TRUE(n) << n.error().details;
  EXPECT_EQ(n->bridge, "cni0");
  EXPECT_EQ(n->socket, "/run/lite-vswitch/vswitchd.sock");
  EXPECT_FALSE(n->vlan);
  EXPECT_EQ(n->ipam_type, "host-local");
  json j = base();
  j["bridge"] = "br5";
  j["vlan"] = 7;
  j["vlanTrunk"] = json::array({{{"id", 3}}, {{"minID", 10}, {"maxID", 12}}});
  j["isDefaultGateway"] = true;
  j["mtu"] = 1400;
  j["runtimeConfig"] = {{"mac", "02:00:00:00:00:01"}};
  j["ipam"] = {{"type", "lite-vswitch"}};
  n = parse(j);
  ASSERT_TRUE(n) << n.error().details;
  EXPECT_EQ(n->bridge, "br5");
  EXPECT_EQ(*n->vlan, 7);
  EXPECT_EQ(n->vlan_trunk, (std::vector<std::pair<int, int>>{{3, 3}, {10, 12}}));
  EXPECT_TRUE(n->is_gateway);  // implied by isDefaultGateway
  EXPECT_EQ(*n->mtu, 1400);
  EXPECT_EQ(n->mac, "02:00:00:00:00:01");
  EXPECT_EQ(n->ipam_pool, "br5");  // the bridge's pool by default
  // CNI_ARGS MAC= is overridden by runtimeConfig.mac, and used without it.
  j.erase("runtimeConfig");
  n = parse(j, "ADD", "IgnoreUnknown=1;MAC=02:00:00:00:00:02");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mac, "02:00:00:00:00:02");
}

TEST(CniConfigTest, BadValuesAreRefusedWithTheSpecCodes) {
  auto with = [](const char* key, json v) {
    json j = base();
    j[key] = std::move(v);
    return j;
  };
  EXPECT_EQ(code_of(with("cniVersion", "0.4.0")), kIncompatibleVersion);
  EXPECT_EQ(code_of(with("cniVersion", "1.0.0"), "GC"), kIncompatibleVersion);
  EXPECT_EQ(code_of(with("cniVersion", "1.0.0"), "STATUS"), kIncompatibleVersion);
  EXPECT_EQ(code_of(with("vlan", 4095)), kInvalidConfig);
  EXPECT_EQ(code_of(with("vlan", -1)), kInvalidConfig);
  EXPECT_EQ(code_of(with("vlanTrunk", json::array({{{"id", 0}}}))), kInvalidConfig);
  EXPECT_EQ(code_of(with("vlanTrunk", json::array({{{"minID", 5}}}))), kInvalidConfig);
  EXPECT_EQ(code_of(with("mtu", 10)), kInvalidConfig);
  EXPECT_EQ(code_of(with("hairpinMode", 1)), kInvalidConfig);
  EXPECT_EQ(code_of(with("name", "-bad")), kInvalidConfig);
  EXPECT_EQ(code_of(with("socket", "")), kInvalidConfig);
  EXPECT_EQ(code_of(with("ipam", "host-local")), kInvalidConfig);
  EXPECT_EQ(code_of(with("ipam", {{"type", "lite-vswitch"}, {"subnet", "10.1.0.0"}})),
            kInvalidConfig);
  EXPECT_EQ(code_of(with("macspoofchk", true)), kUnsupportedField);
  EXPECT_EQ(code_of(with("macspoofchk", false)), 0);
  Env env;
  EXPECT_EQ(parse_net_conf("{", "ADD", env).error().code, kDecodingFailure);
  EXPECT_EQ(parse_net_conf("[1]", "ADD", env).error().code, kDecodingFailure);
  // The message names the key.
  auto r = parse(with("vlan", 5000));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().details.find("vlan"), std::string::npos) << r.error().details;
}

TEST(CniConfigTest, EnvironmentIsCheckedPerCommand) {
  Env env{"ADD", "abc", "/run/netns/x", "eth0", "", ""};
  EXPECT_FALSE(check_env(env));
  env.netns.clear();
  EXPECT_EQ(check_env(env)->code, kInvalidEnvironment);
  env.command = "DEL";  // DEL needs no netns
  EXPECT_FALSE(check_env(env));
  env.container_id = "";
  EXPECT_EQ(check_env(env)->code, kInvalidEnvironment);
  env.container_id = "_x";
  EXPECT_EQ(check_env(env)->code, kInvalidEnvironment);
  env = Env{"DEL", "abc", "", "eth0/1", "", ""};
  EXPECT_EQ(check_env(env)->code, kInvalidEnvironment);
  env = Env{"GC", "", "", "", "", "/opt/cni/bin"};
  EXPECT_FALSE(check_env(env));
}

TEST(CniResultTest, IpamResultsOfEveryVersionParseAndResultsAreWrittenPerSpec) {
  // 0.4.0 (ips with "version"), 1.0.0 (without).
  for (
      const char* text :
      {R"({"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/24","gateway":"10.1.0.1"}],
                              "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})",
       R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}],
                              "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})"}) {
    auto r = parse_result(json::parse(text));
    ASSERT_TRUE(r) << r.error().details;
    ASSERT_EQ(r->ips.size(), 1u);
    EXPECT_EQ(format_ipv4(r->ips[0].address.addr), "10.1.0.5");
    EXPECT_EQ(r->ips[0].address.prefix, 24);
    EXPECT_EQ(format_ipv4(*r->ips[0].gateway), "10.1.0.1");
    ASSERT_EQ(r->routes.size(), 1u);
    EXPECT_FALSE(r->routes[0].gw);
  }
  NetResult r;
  r.interfaces = {{"br", "02:00:00:00:00:01", ""},
                  {"veth", "02:00:00:00:00:02", ""},
                  {"eth0", "02:00:00:00:00:03", "/run/netns/x"}};
  r.ips = {{*parse_ipv4_prefix("10.1.0.5/24"), parse_ipv4("10.1.0.1"), 2}};
  r.routes = {{Ipv4Prefix{0, 0}, parse_ipv4("10.1.0.1")}};
  EXPECT_EQ(result_json(r, "1.1.0"), json::parse(R"({"cniVersion":"1.1.0",
      "interfaces":[{"name":"br","mac":"02:00:00:00:00:01"},{"name":"veth","mac":"02:00:00:00:00:02"},
                    {"name":"eth0","mac":"02:00:00:00:00:03","sandbox":"/run/netns/x"}],
      "ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":2}],
      "routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}],"dns":{}})"));
  // It reads back what it wrote.
  auto back = parse_result(result_json(r, "1.1.0"));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back->ips[0].interface, 2u);
  // What it cannot apply is refused, naming it; an index past the interfaces is malformed.
  EXPECT_EQ(parse_result(json::parse(R"({"ips":[{"address":"fd00::5/64"}]})")).error().code,
            kUnsupportedField);
  EXPECT_EQ(
      parse_result(json::parse(R"({"routes":[{"dst":"10.9.0.0/16","table":100}]})")).error().code,
      kUnsupportedField);
  EXPECT_EQ(parse_result(json::parse(R"({"ips":[{"address":"10.1.0.5/24","interface":0}]})"))
                .error()
                .code,
            kInvalidConfig);
  EXPECT_EQ(parse_result(json::parse(R"({"ips":[{"address":"10.1.0.300/24"}]})")).error().code,
            kInvalidConfig);
}

TEST(CniConfigTest, VersionsCompareAsSemanticVersions) {
  EXPECT_LT(compare_versions("1.0.0", "1.1.0"), 0);
  EXPECT_LT(compare_versions("0.4.0", "1.0.0"), 0);
  EXPECT_EQ(compare_versions("1.1.0", "1.1.0"), 0);
  EXPECT_GT(compare_versions("1.10.0", "1.9.0"), 0);
}

}  // namespace
}  // namespace lvs::ctl::cni
