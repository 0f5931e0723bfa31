// vsctl trace over the real pipeline (tests/support/bridge_harness.hpp): for each case of the
// VLAN matrix the trace's text is checked against a golden written out below, and then the same
// frame goes through the datapath, whose outputs (ports, tags) and drop counters must be what
// the trace said. The trace itself must send, learn and count nothing.
#include <gtest/gtest.h>

#include <map>

#include "ctl/trace_flow.hpp"
#include "ctl/trace_format.hpp"
#include "ctl/trace_json.hpp"
#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using nlohmann::json;
using sw::VlanMode;
using sw::VlanPolicy;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";

std::vector<uint8_t> flow_frame(const std::vector<std::string>& words) {
  auto flow = ctl::parse_trace_flow(words);
  if (!flow) throw std::runtime_error(flow.error().message);
  return flow->frame;
}

json trace(BridgeHarness& br, const std::string& in, const std::vector<uint8_t>& frame) {
  const sw::TraceReport r = br.datapath().trace("br0", in, frame);
  if (!r.error.empty()) throw std::runtime_error(r.error);
  return ctl::trace_json("br0", r,
                         [&](sw::PortIndex i) { return br.datapath().port_name("br0", i); });
}

// "port:untagged" or "port:vlan=V,pcp=P", sorted by port.
std::vector<std::string> outputs_of(const json& t) {
  std::vector<std::string> out;
  for (const auto& o : t["outputs"])
    out.push_back(o["port"].get<std::string>() + ":" +
                  (o["vlan"].is_null() ? std::string("untagged")
                                       : "vlan=" + o["vlan"].dump() + ",pcp=" + o["pcp"].dump()));
  std::sort(out.begin(), out.end());
  return out;
}

// Sends the traced frame for real; the datapath must output what the trace said and count the
// drops it named. Before that, checks the trace sent, learnt and counted nothing.
void expect_datapath_agrees(BridgeHarness& br, const std::string& in,
                            const std::vector<uint8_t>& frame, const json& t,
                            const std::vector<std::string>& ports) {
  const size_t entries = br.fdb().dump(br.clock().now_ms()).size();
  for (const auto& p : ports) {
    EXPECT_TRUE(br.received_bytes(p).empty()) << "the trace sent something on " << p;
    EXPECT_EQ(br.counters(p).rx_packets, 0u) << p;
  }
  EXPECT_EQ(br.fdb().dump(br.clock().now_ms()).size(), entries) << "the trace learnt";

  std::map<std::string, uint64_t> drops_before;
  for (size_t i = 0; i < sw::kDropReasonCount; ++i)
    drops_before[std::string(sw::kDropReasonNames[i])] = br.drops(in, sw::DropReason(i));
  br.send_raw(in, frame);
  std::vector<std::string> got;
  for (const auto& p : ports)
    for (const auto& b : br.received_bytes(p)) {
      const bool tagged = b.size() >= 18 && b[12] == 0x81 && b[13] == 0x00;
      got.push_back(p + ":" +
                    (tagged ? "vlan=" + std::to_string((b[14] << 8 | b[15]) & 0xfff) +
                                  ",pcp=" + std::to_string(b[14] >> 5)
                            : std::string("untagged")));
    }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, outputs_of(t)) << t.dump(2);
  std::vector<std::string> counted;
  for (size_t i = 0; i < sw::kDropReasonCount; ++i) {
    const std::string name(sw::kDropReasonNames[i]);
    if (br.drops(in, sw::DropReason(i)) > drops_before[name]) counted.push_back(name);
  }
  std::vector<std::string> said;
  for (const auto& d : t["drops"]) said.push_back(d.get<std::string>());
  EXPECT_EQ(counted, said);
  EXPECT_EQ(br.leaked(), 0);
}

struct Case {
  std::vector<BridgeHarness::PortDef> ports;
  std::string in;
  std::vector<std::string> flow;  // trace words after BRIDGE (in_port included)
  std::string golden;
  // A MAC to put in the table first: (mac, vlan, port), static.
  std::optional<std::tuple<std::string, uint16_t, std::string>> known;
};

void run_case(const Case& c) {
  BridgeHarness br(c.ports);
  std::vector<std::string> names;
  for (const auto& p : c.ports) names.push_back(p.name);
  if (c.known) {
    const auto& [mac, vlan, port] = *c.known;
    ASSERT_TRUE(br.fdb().add_static(*sw::MacAddr::parse(mac), vlan, br.index(port),
                                    br.clock().now_ms()));
  }
  const auto frame = flow_frame(c.flow);
  const json t = trace(br, c.in, frame);
  EXPECT_EQ(ctl::format_trace(t), c.golden) << ctl::format_trace(t);
  expect_datapath_agrees(br, c.in, frame, t, names);
}


const VlanPolicy kAccess10 = VlanPolicy::access(10);
const VlanPolicy kAccess20 = VlanPolicy::access(20);
const VlanPolicy kTrunk10_20 = VlanPolicy::trunk({10, 20});
const VlanPolicy kTrunkAll = VlanPolicy::trunk({});
const VlanPolicy kNativeTagged10 = VlanPolicy::native(VlanMode::kNativeTagged, 10, {20});
const VlanPolicy kNativeUntagged10 = VlanPolicy::native(VlanMode::kNativeUntagged, 10, {20});

TEST(TraceGolden, AccessToAccessSameVlan) {
  run_case({.ports = {{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kAccess20}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 10 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "output: p2 (untagged, as it came)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (untagged, as it came)\n",
            .known = std::make_tuple(kB, 10, "p2")});
}

TEST(TraceGolden, AccessToTrunkPushesTheTag) {
  run_case({.ports = {{"p1", kAccess10}, {"p2", kTrunk10_20}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 10 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "output: p2 (push VLAN 10 PCP 0)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (push VLAN 10 PCP 0)\n",
            .known = std::make_tuple(kB, 10, "p2")});
}

TEST(TraceGolden, TrunkToAccessPopsTheTag) {
  run_case({.ports = {{"p1", kTrunk10_20}, {"p2", kAccess10}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB,
                     "dl_vlan=10", "dl_pcp=3"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=10 dl_pcp=3 dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, tagged VID 10 PCP 3, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=trunk trunks=10,20: VID 10 is carried\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 10 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "output: p2 (pop VLAN 10)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (pop VLAN 10)\n",
            .known = std::make_tuple(kB, 10, "p2")});
}

TEST(TraceGolden, TrunkToTrunkKeepsTheTag) {
  run_case({.ports = {{"p1", kTrunk10_20}, {"p2", kTrunkAll}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB,
                     "dl_vlan=20", "dl_pcp=5"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=20 dl_pcp=5 dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, tagged VID 20 PCP 5, dl_type 0x0800\n"
                "ingress_vlan: VLAN 20\n"
                "    p1 vlan_mode=trunk trunks=10,20: VID 20 is carried\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 20 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 20 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "output: p2 (keep tag VLAN 20 PCP 5)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (keep tag VLAN 20 PCP 5)\n",
            .known = std::make_tuple(kB, 20, "p2")});
}

TEST(TraceGolden, NativeTaggedUntaggedInJoinsTheNativeVlan) {
  run_case({.ports = {{"p1", kNativeTagged10}, {"p2", kNativeTagged10}, {"p3", kNativeUntagged10}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=native-tagged tag=10 trunks=20: untagged frames join the native VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: not looked up\n"
                "    ff:ff:ff:ff:ff:ff is broadcast: flood\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "flood: p2, p3\n"
                "    VLAN 10 flood set; skipped: p1 (input_port)\n"
                "output: p2 (push VLAN 10 PCP 0), p3 (untagged, as it came)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (push VLAN 10 PCP 0), p3 (untagged, as it came)\n"});
}

TEST(TraceGolden, NativeUntaggedTaggedNativeVlanLeavesUntagged) {
  run_case({.ports = {{"p1", kNativeUntagged10}, {"p2", kNativeUntagged10}, {"p3", kTrunk10_20}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff",
                     "dl_vlan=10", "dl_pcp=6"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff dl_vlan=10 dl_pcp=6 dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, tagged VID 10 PCP 6, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=native-untagged tag=10 trunks=20: VID 10 is carried\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: not looked up\n"
                "    ff:ff:ff:ff:ff:ff is broadcast: flood\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "flood: p2, p3\n"
                "    VLAN 10 flood set; skipped: p1 (input_port)\n"
                "output: p2 (pop VLAN 10), p3 (keep tag VLAN 10 PCP 6)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (pop VLAN 10), p3 (keep tag VLAN 10 PCP 6)\n"});
}

TEST(TraceGolden, PriorityTagIntoTrunkIsRewritten) {
  run_case({.ports = {{"p1", kAccess10}, {"p2", kTrunk10_20}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB,
                     "dl_vlan=0", "dl_pcp=5"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=0 dl_pcp=5 dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, priority-tagged (VID 0, PCP 5), dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: priority-tagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 10 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "output: p2 (rewrite VID 0 -> VLAN 10 PCP 5)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (rewrite VID 0 -> VLAN 10 PCP 5)\n",
            .known = std::make_tuple(kB, 10, "p2")});
}

TEST(TraceGolden, VlanNotInTrunksIsDropped) {
  run_case({.ports = {{"p1", kTrunk10_20}, {"p2", kTrunkAll}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB,
                     "dl_vlan=30"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=30 dl_pcp=0 dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, tagged VID 30 PCP 0, dl_type 0x0800\n"
                "ingress_vlan: drop\n"
                "    p1 vlan_mode=trunk trunks=10,20: VID 30 is not among the VLANs it carries\n"
                "\n"
                "Verdict: drop: vlan_not_admitted (the input port's VLAN policy refuses the frame)\n"});
}

TEST(TraceGolden, UnknownDestinationFloodsTheVlan) {
  run_case({.ports = {{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kTrunkAll}, {"p4", kAccess20}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: miss\n"
                "    02:00:00:00:00:0b on VLAN 10 is unknown: flood\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "flood: p2, p3\n"
                "    VLAN 10 flood set; skipped: p1 (input_port)\n"
                "output: p2 (untagged, as it came), p3 (push VLAN 10 PCP 0)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p2 (untagged, as it came), p3 (push VLAN 10 PCP 0)\n"});
}

TEST(TraceGolden, FrameBackToItsInputPortIsDropped) {
  run_case({.ports = {{"p1", kAccess10}, {"p2", kAccess10}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p1\n"
                "    02:00:00:00:00:0b on VLAN 10 at p1 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "\n"
                "Verdict: drop: hairpin (learnt on the port it came in on)\n",
            .known = std::make_tuple(kB, 10, "p1")});
}

TEST(TraceGolden, ProtectedPortsFloodSkipsTheOthers) {
  run_case({.ports = {{.name = "p1", .vlan = kAccess10, .protected_port = true},
                      {.name = "p2", .vlan = kAccess10, .protected_port = true},
                      {.name = "p3", .vlan = kAccess10}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: not looked up\n"
                "    ff:ff:ff:ff:ff:ff is broadcast: flood\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "flood: p3\n"
                "    VLAN 10 flood set; skipped: p1 (input_port), p2 (protected)\n"
                "output: p3 (untagged, as it came)\n"
                "    nothing is sent\n"
                "\n"
                "Verdict: output to p3 (untagged, as it came)\n"});
}

TEST(TraceGolden, ProtectedPortsUnicastIsDropped) {
  run_case({.ports = {{.name = "p1", .vlan = kAccess10, .protected_port = true},
                      {.name = "p2", .vlan = kAccess10, .protected_port = true}},
            .in = "p1",
            .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
            .golden = "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
                "\n"
                "parse: ok\n"
                "    60 bytes, untagged, dl_type 0x0800\n"
                "ingress_vlan: VLAN 10\n"
                "    p1 vlan_mode=access tag=10: untagged frames join the access VLAN\n"
                "learn: would learn 02:00:00:00:00:0a on VLAN 10 at p1\n"
                "    the trace learns nothing\n"
                "fdb_lookup: hit p2\n"
                "    02:00:00:00:00:0b on VLAN 10 at p2 (static)\n"
                "storm_control: no limits\n"
                "    p1 has no storm-control rates\n"
                "unicast: to p2\n"
                "    one output port\n"
                "\n"
                "Verdict: drop: protected (unicast from a protected port to another protected port)\n",
            .known = std::make_tuple(kB, 10, "p2")});
}

}  // namespace
}  // namespace lvs::test
