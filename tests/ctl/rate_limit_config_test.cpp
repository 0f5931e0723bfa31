// Rate limits in the control plane: the Interface columns and Port other_config keys through
// vsctl's engine, the database, and the options of vsattach, Docker and CNI (rate_spec.hpp).
#include <gtest/gtest.h>

#include "ctl/attach_args.hpp"
#include "ctl/cni_config.hpp"
#include "ctl/config_json.hpp"
#include "ctl/output_format.hpp"
#include "ctl/rate_spec.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"
#include "tests/ctl/fake_runtime.hpp"
#include "tests/ctl/vsctl_in_process.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

class RateLimitColumns : public testing::Test {
 protected:
  // One vsctl command line (words split at spaces) as one transaction: stdout or "ERROR: ...".
  std::string vsctl(const std::string& line) { return test::run_vsctl(service, line); }
  const PortConfig& p1() { return *service.config().bridges[0].find_port("p1"); }

  test::FakeRuntime runtime;
  Service service{default_config(), "", nullptr, &runtime};
};

TEST_F(RateLimitColumns, IngressPolicingIsAnInterfaceColumnAsInOpenVswitch) {
  vsctl("add-port br0 p1");
  EXPECT_EQ(vsctl("get interface p1 ingress_policing_rate"), "0\n");
  EXPECT_EQ(vsctl("set interface p1 ingress_policing_rate=10000 ingress_policing_burst=1000"), "");
  EXPECT_EQ(p1().ingress_policing_rate, 10000u);
  EXPECT_EQ(p1().ingress_policing_burst, 1000u);
  EXPECT_EQ(vsctl("get interface p1 ingress_policing_burst"), "1000\n");
  EXPECT_NE(vsctl("list interface p1").find("ingress_policing_rate  : 10000"), std::string::npos)
      << vsctl("list interface p1");
  EXPECT_EQ(vsctl("show"),
            "    Bridge br0\n"
            "        other_config: {nat=\"true\"}\n"
            "        Port br0\n"
            "            Interface br0\n"
            "                type: internal\n"
            "                options: {ip=\"172.17.0.1/16\"}\n"
            "        Port p1\n"
            "            Interface p1\n"
            "                ingress_policing_rate: 10000\n"
            "                ingress_policing_burst: 1000\n");
  EXPECT_EQ(vsctl("set port p1 ingress_policing_rate=1"),
            "ERROR: Port has no column \"ingress_policing_rate\"");
  EXPECT_EQ(vsctl("clear interface p1 ingress_policing_burst"), "");
  EXPECT_EQ(p1().ingress_policing_burst, 0u);
  EXPECT_EQ(vsctl("set interface p1 ingress_policing_rate=0"), "");
  EXPECT_EQ(p1().ingress_policing_rate, 0u);
  EXPECT_EQ(vsctl("add-port br0 p2 -- set interface p2 ingress_policing_rate=500"), "");
  EXPECT_EQ(service.config().bridges[0].find_port("p2")->ingress_policing_rate, 500u);
}

TEST_F(RateLimitColumns, BadPolicingValuesAreRefusedNamingTheColumnAndChangeNothing) {
  vsctl("add-port br0 p1 -- set interface p1 ingress_policing_rate=2000");
  for (const char* bad :
       {"-1", "abc", "1.5", "10k", "4294967296", "99999999999999999999999", "+5", "[]"}) {
    EXPECT_EQ(vsctl(std::string("set interface p1 ingress_policing_rate=") + bad),
              std::string("ERROR: ingress_policing_rate: \"") + bad +
                  "\" is not in 0..4294967295 (kbit/s)")
        << bad;
    EXPECT_EQ(vsctl(std::string("set interface p1 ingress_policing_burst=") + bad),
              std::string("ERROR: ingress_policing_burst: \"") + bad +
                  "\" is not in 0..4294967295 (kbit)")
        << bad;
  }
  // One bad word fails the whole transaction, the good ones before it included.
  EXPECT_NE(vsctl("set interface p1 ingress_policing_rate=5 ingress_policing_burst=x"), "");
  EXPECT_EQ(p1().ingress_policing_rate, 2000u);
  EXPECT_EQ(p1().ingress_policing_burst, 0u);
  EXPECT_EQ(vsctl("remove interface p1 ingress_policing_rate 2000"),
            "ERROR: column ingress_policing_rate cannot be removed from; use set or clear");
}

TEST_F(RateLimitColumns, EgressLimitIsPortOtherConfigValidatedBesideStormControl) {
  vsctl("add-port br0 p1");
  EXPECT_EQ(vsctl("set port p1 other_config:egress-rate-kbps=1000000 "
                  "other_config:egress-burst-kb=80000 other_config:storm-broadcast-pps=100"),
            "");
  EXPECT_EQ(p1().egress_kbit(kEgressRateKbps), 1'000'000u);
  EXPECT_EQ(p1().egress_kbit(kEgressBurstKb), 80'000u);
  for (const char* bad : {"-1", "fast", "4294967296", "1e6", ""}) {
    EXPECT_EQ(vsctl(std::string("set port p1 other_config:egress-rate-kbps=") + bad),
              std::string("ERROR: port p1: other_config:egress-rate-kbps \"") + bad +
                  "\" is not in 0..4294967295 (kbit/s)")
        << bad;
    EXPECT_EQ(vsctl(std::string("set port p1 other_config:egress-burst-kb=") + bad),
              std::string("ERROR: port p1: other_config:egress-burst-kb \"") + bad +
                  "\" is not in 0..4294967295 (kbit)")
        << bad;
  }
  EXPECT_EQ(p1().egress_kbit(kEgressRateKbps), 1'000'000u) << "a refused value changed it";
  EXPECT_EQ(vsctl("set port p1 other_config:egress-rate=5"),
            "ERROR: port p1: unknown other_config key \"egress-rate\" (known: "
            "storm-broadcast-pps, storm-multicast-pps, storm-unknown-unicast-pps, "
            "egress-rate-kbps, egress-burst-kb, rstp-*)");
  EXPECT_EQ(vsctl("remove port p1 other_config egress-rate-kbps egress-burst-kb"), "");
  EXPECT_EQ(vsctl("get port p1 other_config"), "{storm-broadcast-pps=\"100\"}\n");
}

TEST(RateLimitDatabase, LimitsSurviveTheDatabaseAndBadOnesAreRefused) {
  Config c = default_config();
  PortConfig p;
  p.name = "p1";
  p.ingress_policing_rate = 10000;
  p.ingress_policing_burst = 800;
  p.other_config[kEgressRateKbps] = "20000";
  c.bridges[0].ports.push_back(p);
  const json doc = to_json(c);
  EXPECT_EQ(doc["bridges"][0]["ports"][1]["ingress_policing_rate"], 10000);
  EXPECT_FALSE(doc["bridges"][0]["ports"][0].contains("ingress_policing_rate"))
      << "written only when set";
  auto back = config_from_json(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, c);
  for (const json& bad : {json(-5), json("100"), json(1.5), json(4294967296)}) {
    json d = doc;
    d["bridges"][0]["ports"][1]["ingress_policing_burst"] = bad;
    auto r = config_from_json(d);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message,
              "bridges[0].ports[1].ingress_policing_burst: expected an integer in 0..4294967295");
  }
}

TEST(RateSpec, KbpsAndAnOptionalBurstApplyBothWays) {
  auto r = parse_rate_spec("--rate", "10000");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (PortRateLimits{10000, 0, 10000, 0}));
  r = parse_rate_spec("--rate", "1000000,80000");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (PortRateLimits{1'000'000, 80'000, 1'000'000, 80'000}));
  EXPECT_EQ(format_rate_spec(*r), "1000000,80000");
  for (const char* bad : {"", "0", "-5", "10k", "10M", "4294967296", "1.5"})
    EXPECT_EQ(parse_rate_spec("--rate", bad).error().message,
              std::string("--rate: rate \"") + bad +
                  "\" is not in 1..4294967295 (kbit/s; the form is KBPS[,BURST_KBIT])")
        << bad;
  for (const char* bad : {"10000,", "10000,0", "10000,x", "10000,1,2"})
    EXPECT_EQ(parse_rate_spec("-o lite-vswitch.rate", bad).error().message,
              std::string("-o lite-vswitch.rate: burst \"") + (bad + 6) +
                  "\" is not in 1..4294967295 (kbit)")
        << bad;
}

TEST(RateSpec, CniBandwidthIsBitsFromTheContainersSide) {
  // The container's ingress is what the switch sends it: the port's egress limit.
  auto r = from_cni_bandwidth({.ingress_rate = 10'000'000,
                               .ingress_burst = 8'000'000,
                               .egress_rate = 1'000'000'000,
                               .egress_burst = 1'500});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (PortRateLimits{.ingress_rate_kbps = 1'000'000,
                                .ingress_burst_kbit = 2,  // 1,500 bits, rounded up
                                .egress_rate_kbps = 10'000,
                                .egress_burst_kbit = 8'000}));
  EXPECT_EQ(from_cni_bandwidth({.ingress_rate = 123}).error().message,
            "ingressRate is set: ingressBurst must be set too");
  EXPECT_EQ(from_cni_bandwidth({.egress_burst = 10}).error().message,
            "egressBurst is set: egressRate must be set too");
  EXPECT_EQ(
      from_cni_bandwidth({.egress_rate = 1, .egress_burst = 8ull * 4'294'967'295}).error().message,
      "egressBurst 34359738360 is not under 4 GB (bits)");
  EXPECT_FALSE(from_cni_bandwidth({})->any());
}

TEST(RateSpec, CommandsSetExactlyTheLimitsAndLeaveOtherKeys) {
  const auto set = rate_limit_commands("p1", {10000, 0, 20000, 400});
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0],
            (std::vector<std::string>{"set", "Interface", "p1", "ingress_policing_rate=10000",
                                      "ingress_policing_burst=0"}));
  EXPECT_EQ(set[1], (std::vector<std::string>{"remove", "Port", "p1", "other_config",
                                              "egress-rate-kbps", "egress-burst-kb"}));
  EXPECT_EQ(set[2],
            (std::vector<std::string>{"set", "Port", "p1", "other_config:egress-rate-kbps=20000",
                                      "other_config:egress-burst-kb=400"}));
  EXPECT_EQ(rate_limit_commands("p1", {}).size(), 2u) << "no limits: cleared, nothing set";
}

TEST(RateSpec, VsattachTakesRateAndRefusesItWithDetach) {
  auto a = parse_attach_args({"br0", "c1", "--rate", "10000,800"});
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(a->rate);
  EXPECT_EQ(*a->rate, (PortRateLimits{10000, 800, 10000, 800}));
  EXPECT_FALSE(parse_attach_args({"br0", "c1"})->rate);
  EXPECT_EQ(
      parse_attach_args({"br0", "c1", "--rate", "fast"}).error().message,
      "--rate: rate \"fast\" is not in 1..4294967295 (kbit/s; the form is KBPS[,BURST_KBIT])");
  EXPECT_EQ(parse_attach_args({"br0", "c1", "--rate"}).error().message, "--rate: missing value");
  EXPECT_FALSE(parse_attach_args({"--detach", "br0", "c1", "--rate", "10"}));
}

TEST(RateSpec, CniRuntimeConfigBandwidthIsReadAndCheckedAsTheBandwidthPlugin) {
  json conf = {{"cniVersion", "1.1.0"},
               {"name", "net1"},
               {"type", "lite-vswitch"},
               {"runtimeConfig",
                {{"bandwidth",
                  {{"ingressRate", 10'000'000},
                   {"ingressBurst", 8'000'000},
                   {"egressRate", 20'000'000},
                   {"egressBurst", 16'000'000}}}}}};
  cni::Env env;
  env.command = "ADD";
  auto n = cni::parse_net_conf(conf.dump(), "ADD", env);
  ASSERT_TRUE(n) << n.error().details;
  EXPECT_EQ(n->bandwidth, (PortRateLimits{20'000, 16'000, 10'000, 8'000}));
  for (const json& bad : {json(-1), json("10M"), json(1.5)}) {
    json c = conf;
    c["runtimeConfig"]["bandwidth"]["egressRate"] = bad;
    auto r = cni::parse_net_conf(c.dump(), "ADD", env);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, cni::kInvalidConfig);
    EXPECT_NE(r.error().details.find("runtimeConfig.bandwidth.egressRate"), std::string::npos)
        << r.error().details;
  }
  json c = conf;
  c["runtimeConfig"]["bandwidth"].erase("ingressBurst");
  auto r = cni::parse_net_conf(c.dump(), "ADD", env);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details,
            "runtimeConfig.bandwidth: ingressRate is set: ingressBurst must be set too");
}

}  // namespace
}  // namespace lvs::ctl
