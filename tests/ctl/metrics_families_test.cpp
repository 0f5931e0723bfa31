// The /metrics families of a snapshot (ctl/metrics_families.hpp) and how the snapshot is taken
// from a Config and the Runtime (ctl/metrics_collect.hpp); the listen address parser.
#include "ctl/metrics_families.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "ctl/metrics_collect.hpp"
#include "ctl/metrics_server.hpp"
#include "fake_runtime.hpp"
#include "switch/drop_reason.hpp"

namespace lvs::ctl {
namespace {

Config two_port_config() {
  Config c;
  BridgeConfig b;
  b.name = "br1";
  b.other_config[kNat] = "true";
  PortConfig p1;
  p1.name = "p1";
  p1.external_ids[kContainerIp] = "10.0.0.2/24";
  p1.external_ids[kPublish] = "8080:80,5353:53/udp";
  PortConfig vx;
  vx.name = "vx\"0";  // a name validate() would refuse: escaping is the formatter's job anyway
  vx.type = "vxlan";
  vx.options["remote_ip"] = "10.9.0.2";
  PortConfig gone;
  gone.name = "gone";
  b.ports = {p1, vx, gone};
  c.bridges.push_back(b);
  return c;
}

test::FakeRuntime runtime_with_counters() {
  test::FakeRuntime rt;
  InterfaceState p1;
  p1.attached = true;
  p1.status = LinkStatus{true, 1450, "02:42:0a:00:00:02"};
  p1.statistics = {{"rx_packets", 11},
                   {"rx_bytes", 1100},
                   {"tx_packets", 12},
                   {"tx_bytes", 1200},
                   {"drop_vlan_not_admitted", 3}};
  rt.states["p1"] = p1;
  InterfaceState vx;
  vx.attached = true;
  vx.statistics = {{"rx_packets", 21}, {"tx_packets", 22}, {"drop_no_neighbour", 4}};
  rt.states["vx\"0"] = vx;
  InterfaceState gone;
  gone.error = "interface gone vanished";
  rt.states["gone"] = gone;
  return rt;
}

std::string render(const Config& c, const Runtime& rt) {
  MetricsDaemon d;
  d.version = "9.9";
  d.uptime_seconds = 12.5;
  d.config_generation = 7;
  d.commit_latency.record(std::chrono::milliseconds(3));
  return render_metrics(collect_metrics(c, rt, d));
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsFamilies, InterfaceCountersAreLabelledByBridgeAndInterface) {
  const auto rt = runtime_with_counters();
  const std::string t = render(two_port_config(), rt);
  EXPECT_TRUE(has_line(t, R"(lvs_interface_rx_packets_total{bridge="br1",interface="p1"} 11)"))
      << t;
  EXPECT_TRUE(has_line(t, R"(lvs_interface_tx_bytes_total{bridge="br1",interface="p1"} 1200)"));
  EXPECT_TRUE(has_line(t, R"(lvs_interface_mtu_bytes{bridge="br1",interface="p1"} 1450)"));
  EXPECT_TRUE(has_line(t, R"(lvs_interface_link_up{bridge="br1",interface="p1"} 1)"));
  EXPECT_TRUE(has_line(
      t,
      R"(lvs_interface_info{bridge="br1",interface="p1",type="system",mac="02:42:0a:00:00:02"} 1)"));
  // Label values are escaped.
  EXPECT_TRUE(has_line(t, R"(lvs_interface_rx_packets_total{bridge="br1",interface="vx\"0"} 21)"));
  // A port that could not be opened: attached 0 and error 1, no counters.
  EXPECT_TRUE(has_line(t, R"(lvs_interface_attached{bridge="br1",interface="gone"} 0)"));
  EXPECT_TRUE(has_line(t, R"(lvs_interface_error{bridge="br1",interface="gone"} 1)"));
  EXPECT_EQ(t.find(R"(lvs_interface_rx_packets_total{bridge="br1",interface="gone"})"),
            std::string::npos);
}

TEST(MetricsFamilies, EveryDropReasonIsOneSeriesOfOneFamily) {
  const auto rt = runtime_with_counters();
  const std::string t = render(two_port_config(), rt);
  for (auto reason : sw::kDropReasonNames) {
    const std::string series = R"(lvs_interface_drops_total{bridge="br1",interface="p1",reason=")" +
                               std::string(reason) + "\"} ";
    EXPECT_NE(t.find(series), std::string::npos) << reason;
  }
  EXPECT_TRUE(has_line(
      t, R"(lvs_interface_drops_total{bridge="br1",interface="p1",reason="vlan_not_admitted"} 3)"));
  EXPECT_EQ(t.find("\nlvs_interface_drop_"), std::string::npos);  // no name per reason
}

TEST(MetricsFamilies, TunnelsBridgesPmdsAndTheDaemon) {
  const auto rt = runtime_with_counters();
  const std::string t = render(two_port_config(), rt);
  const std::string tl = R"({bridge="br1",tunnel="vx\"0",type="vxlan",remote_ip="10.9.0.2"})";
  EXPECT_TRUE(has_line(t, "lvs_tunnel_encap_packets_total" + tl + " 22")) << t;
  EXPECT_TRUE(has_line(t, "lvs_tunnel_decap_packets_total" + tl + " 21"));
  EXPECT_TRUE(has_line(t, "lvs_tunnel_neighbour_misses_total" + tl + " 4"));
  EXPECT_EQ(t.find(R"(tunnel="p1")"), std::string::npos);  // a system port is no tunnel
  EXPECT_TRUE(has_line(t, R"(lvs_fdb_learned_total{bridge="br1"} 7)"));
  EXPECT_TRUE(has_line(t, R"(lvs_fdb_max_entries{bridge="br1"} 8192)"));
  EXPECT_TRUE(has_line(t, R"(lvs_bridge_ports{bridge="br1"} 3)"));
  EXPECT_TRUE(has_line(t, R"(lvs_bridge_nat_enabled{bridge="br1"} 1)"));
  EXPECT_TRUE(has_line(t, R"(lvs_nat_published_ports{bridge="br1"} 2)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_busy_cycles_total{pmd="0",core="none"} 5000)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_sleep_cycles_total{pmd="0",core="none"} 5000)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_wakeups_total{pmd="0",core="none"} 7)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_cycles_per_packet{pmd="0",core="none"} 50)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_rx_queues{pmd="0",core="none"} 1)"));
  EXPECT_TRUE(has_line(t, R"(lvs_pmd_rx_queue_info{pmd="0",queue="br0/p1:0"} 1)"));
  EXPECT_TRUE(has_line(t, R"(lvs_build_info{version="9.9"} 1)"));
  EXPECT_TRUE(has_line(t, "lvs_uptime_seconds 12.5"));
  EXPECT_TRUE(has_line(t, "lvs_config_generation 7"));
  EXPECT_TRUE(has_line(t, R"(lvs_database_commit_duration_seconds_bucket{le="0.0025"} 0)"));
  EXPECT_TRUE(has_line(t, R"(lvs_database_commit_duration_seconds_bucket{le="0.005"} 1)"));
  EXPECT_TRUE(has_line(t, R"(lvs_database_commit_duration_seconds_bucket{le="+Inf"} 1)"));
  EXPECT_TRUE(has_line(t, "lvs_database_commit_duration_seconds_count 1"));
}

// The shape promtool and Prometheus expect: every sample's family was declared just before with
// HELP and TYPE, once; counters end in _total; nothing else does.
TEST(MetricsFamilies, EveryFamilyHasHelpAndTypeOnceAndCountersEndInTotal) {
  const auto rt = runtime_with_counters();
  std::istringstream in(render(two_port_config(), rt));
  std::string line, family, type;
  std::set<std::string> seen;
  size_t samples = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(seen.insert(family).second) << family << " declared twice";
      ASSERT_TRUE(std::getline(in, line));
      ASSERT_TRUE(line.starts_with("# TYPE " + family + " ")) << line;
      type = line.substr(8 + family.size());
      EXPECT_EQ(type == "counter", family.ends_with("_total")) << family;
      continue;
    }
    const std::string name = line.substr(0, line.find_first_of("{ "));
    const bool ok = name == family ||
                    (type == "histogram" && (name == family + "_bucket" ||
                                             name == family + "_sum" || name == family + "_count"));
    EXPECT_TRUE(ok) << line << " outside its family " << family;
    ++samples;
  }
  EXPECT_GT(samples, 50u);
}

TEST(MetricsAddress, ParsesIpv4AndBracketedIpv6) {
  auto a = parse_listen_address("127.0.0.1:9477");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9477);
  auto b = parse_listen_address("[::1]:80");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 80);
  EXPECT_TRUE(parse_listen_address("0.0.0.0:1"));
  EXPECT_TRUE(parse_listen_address("[::]:65535"));
}

TEST(MetricsAddress, RefusesWhatIsNotAnAddressAndPortNamingIt) {
  const std::pair<const char*, const char*> bad[] = {
      {"localhost:9477", "\"localhost\" is not an IPv4 address"},
      {"::1:9477", "an IPv6 address goes in brackets"},
      {"[::1]9477", "no \":PORT\" after \"]\""},
      {"[::1:9477", "no \"]\""},
      {"[1.2.3.4]:80", "\"1.2.3.4\" is not an IPv6 address"},
      {"127.0.0.1", "no \":PORT\""},
      {"127.0.0.1:0", "\"0\" is not a port (1..65535)"},
      {"127.0.0.1:65536", "\"65536\" is not a port"},
      {"127.0.0.1:http", "\"http\" is not a port"},
      {"300.0.0.1:80", "\"300.0.0.1\" is not an IPv4 address"},
  };
  for (auto [text, why] : bad) {
    auto r = parse_listen_address(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(std::string("--metrics-address: \"") + text + "\""),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace lvs::ctl
