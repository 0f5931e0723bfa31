// The daemon's side of ARP / ND suppression: DatapathDriver::set_neighbours (what the cluster
// glue calls) and the trace's neighbour_suppression stage.
#include <gtest/gtest.h>

#include "ctl/datapath_driver.hpp"
#include "ctl/trace_json.hpp"
#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

sw::NeighbourEntry entry(uint16_t vlan, const char* ip, const char* mac) {
  return {vlan, *sw::IpAddr::parse(ip), *sw::MacAddr::parse(mac)};
}

TEST(NeighbourDriver, SetNeighboursReplacesTheBridgesTableOrNamesWhatIsWrong) {
  sw::ManualClock clock;
  sw::Datapath dp({.pmd_threads = 1, .pool = test_pool(), .clock = &clock});
  ctl::DatapathDriver driver(dp, ctl::PortFactory{}, ctl::PortContext{.pool = test_pool()});
  ctl::Config config;
  config.bridges.push_back({.name = "br0"});
  ASSERT_FALSE(driver.commit(config));

  ASSERT_FALSE(driver.set_neighbours("br0", {entry(100, "10.200.3.5", "02:00:00:00:03:05"),
                                             entry(100, "fd00::5", "02:00:00:00:03:05")}));
  EXPECT_EQ(dp.neighbours("br0").size(), 2u);

  auto e = driver.set_neighbours("br9", {});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ctl::kErrNotFound);
  EXPECT_NE(e->message.find("br9"), std::string::npos) << e->message;
  e = driver.set_neighbours("br0", {entry(100, "10.200.3.6", "ff:ff:ff:ff:ff:ff")});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ctl::kErrInvalid);
  EXPECT_NE(e->message.find("10.200.3.6"), std::string::npos) << e->message;
  EXPECT_EQ(dp.neighbours("br0").size(), 2u);  // a refused table changes nothing

  ASSERT_FALSE(driver.commit(config));  // a commit keeps the table
  EXPECT_EQ(dp.neighbours("br0").size(), 2u);
  ASSERT_FALSE(driver.set_neighbours("br0", {}));
  EXPECT_TRUE(dp.neighbours("br0").empty());
}

TEST(NeighbourDriver, TraceShowsTheSuppressionStage) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}});
  ASSERT_FALSE(br.datapath().set_neighbours("br0", {entry(0, "10.0.0.9", "02:00:00:00:09:09")}));
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,  0xa, 0x08, 0x06,
                              0,    1,    8,    0,    6,    4,    0, 1, 2, 0, 0,  0,   0,    0xa,
                              10,   0,    0,    1,    0,    0,    0, 0, 0, 0, 10, 0,   0,    9};
  const sw::TraceReport r = br.datapath().trace("br0", "p1", arp);
  ASSERT_EQ(r.error, "");
  const auto t =
      ctl::trace_json("br0", r, [&](sw::PortIndex i) { return br.datapath().port_name("br0", i); });
  bool found = false;
  for (const auto& s : t["stages"])
    if (s["stage"] == "neighbour_suppression") {
      found = true;
      EXPECT_EQ(s["mac"], "02:00:00:00:09:09");
      EXPECT_EQ(s["result"], "ARP reply") << s.dump();
    }
  EXPECT_TRUE(found) << t.dump(2);
  EXPECT_EQ(t["verdict"].get<std::string>().rfind("answered by the switch: output to p1", 0), 0u)
      << t["verdict"];
}

}  // namespace
}  // namespace lvs::test
