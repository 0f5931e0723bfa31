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

// The stage named `name` of a trace (null when the frame did not reach it).
json stage_of(const json& t, const std::string& name) {
  for (const auto& s : t["stages"])
    if (s["stage"] == name) return s;
  return nullptr;
}

// "port:untagged" or "port:vlan=V,pcp=P", sorted by port; not those over their egress limit.
std::vector<std::string> outputs_of(const json& t) {
  std::vector<std::string> out;
  for (const auto& o : t["outputs"])
    if (o["egress_limit"].is_null() || o["egress_limit"]["verdict"] == "admitted")
      out.push_back(o["port"].get<std::string>() + ":" +
                    (o["vlan"].is_null() ? std::string("untagged")
                                         : "vlan=" + o["vlan"].dump() + ",pcp=" + o["pcp"].dump()));
  std::sort(out.begin(), out.end());
  return out;
}

// Traces the frame, checks the trace sent, learnt and counted nothing, then sends the frame for
// real: the datapath must output what the trace said and count the drops it named.
json trace_then_send(BridgeHarness& br, const std::string& in, const std::vector<uint8_t>& frame,
                     const std::vector<std::string>& ports) {
  const auto entries_before = br.fdb().dump(br.clock().now_ms());
  std::map<std::string, sw::PortCounters> before;
  for (const auto& p : ports) before[p] = br.counters(p);
  const json t = trace(br, in, frame);
  for (const auto& p : ports) {
    EXPECT_TRUE(br.received_bytes(p).empty()) << "the trace sent something on " << p;
    const sw::PortCounters now = br.counters(p);
    EXPECT_EQ(now.rx_packets, before[p].rx_packets) << p;
    EXPECT_EQ(now.total_drops(), before[p].total_drops()) << p;
  }
  const auto entries_after = br.fdb().dump(br.clock().now_ms());
  EXPECT_EQ(entries_after.size(), entries_before.size()) << "the trace learnt";

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
  return t;
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
    ASSERT_TRUE(
        br.fdb().add_static(*sw::MacAddr::parse(mac), vlan, br.index(port), br.clock().now_ms()));
  }
  const json t = trace_then_send(br, c.in, flow_frame(c.flow), names);
  EXPECT_EQ(ctl::format_trace(t), c.golden) << ctl::format_trace(t);
}

const VlanPolicy kAccess10 = VlanPolicy::access(10);
const VlanPolicy kAccess20 = VlanPolicy::access(20);
const VlanPolicy kTrunk10_20 = VlanPolicy::trunk({10, 20});
const VlanPolicy kTrunkAll = VlanPolicy::trunk({});
const VlanPolicy kNativeTagged10 = VlanPolicy::native(VlanMode::kNativeTagged, 10, {20});
const VlanPolicy kNativeUntagged10 = VlanPolicy::native(VlanMode::kNativeUntagged, 10, {20});

TEST(TraceGolden, AccessToAccessSameVlan) {
  run_case(
      {.ports = {{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kAccess20}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{"p1", kAccess10}, {"p2", kTrunk10_20}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
                      "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b "
                      "dl_vlan=10 dl_pcp=3 dl_type=0x0800\n"
                      "\n"
                      "policing: not configured\n"
                      "    p1 has no ingress_policing_rate\n"
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
                      "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b "
                      "dl_vlan=20 dl_pcp=5 dl_type=0x0800\n"
                      "\n"
                      "policing: not configured\n"
                      "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{"p1", kNativeTagged10}, {"p2", kNativeTagged10}, {"p3", kNativeUntagged10}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
                      "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff "
                      "dl_vlan=10 dl_pcp=6 dl_type=0x0800\n"
                      "\n"
                      "policing: not configured\n"
                      "    p1 has no ingress_policing_rate\n"
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
            .golden =
                "Bridge: br0\n"
                "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=0 "
                "dl_pcp=5 dl_type=0x0800\n"
                "\n"
                "policing: not configured\n"
                "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{"p1", kTrunk10_20}, {"p2", kTrunkAll}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB,
                "dl_vlan=30"},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_vlan=30 dl_pcp=0 "
           "dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
           "parse: ok\n"
           "    60 bytes, tagged VID 30 PCP 0, dl_type 0x0800\n"
           "ingress_vlan: drop\n"
           "    p1 vlan_mode=trunk trunks=10,20: VID 30 is not among the VLANs it carries\n"
           "\n"
           "Verdict: drop: vlan_not_admitted (the input port's VLAN policy refuses the frame)\n"});
}

TEST(TraceGolden, UnknownDestinationFloodsTheVlan) {
  run_case(
      {.ports = {{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kTrunkAll}, {"p4", kAccess20}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{"p1", kAccess10}, {"p2", kAccess10}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{.name = "p1", .vlan = kAccess10, .protected_port = true},
                 {.name = "p2", .vlan = kAccess10, .protected_port = true},
                 {.name = "p3", .vlan = kAccess10}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=ff:ff:ff:ff:ff:ff dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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
  run_case(
      {.ports = {{.name = "p1", .vlan = kAccess10, .protected_port = true},
                 {.name = "p2", .vlan = kAccess10, .protected_port = true}},
       .in = "p1",
       .flow = {"in_port=p1", std::string("dl_src=") + kA, std::string("dl_dst=") + kB},
       .golden =
           "Bridge: br0\n"
           "Flow: in_port=p1 dl_src=02:00:00:00:00:0a dl_dst=02:00:00:00:00:0b dl_type=0x0800\n"
           "\n"
           "policing: not configured\n"
           "    p1 has no ingress_policing_rate\n"
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

namespace lvs::test {
namespace {

TEST(TraceJson, UnknownDestinationFloodGolden) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kTrunk10_20}, {"p3", kAccess20}});
  const auto frame =
      flow_frame({"in_port=p1", std::string("dl_src=") + kA, "dl_dst=" + std::string(kB)});
  const json t = trace_then_send(br, "p1", frame, {"p1", "p2", "p3"});
  const json golden = json::parse(R"json({
    "bridge": "br0",
    "flow": {"in_port": "p1", "dl_src": "02:00:00:00:00:0a", "dl_dst": "02:00:00:00:00:0b",
             "dl_vlan": null, "dl_pcp": null, "dl_type": "0x0800", "length": 60},
    "stages": [
      {"stage": "policing", "result": "not configured", "detail": "p1 has no ingress_policing_rate"},
      {"stage": "parse", "result": "ok", "detail": "60 bytes, untagged, dl_type 0x0800"},
      {"stage": "ingress_vlan", "result": "VLAN 10", "vlan": 10, "vlan_mode": "access",
       "detail": "p1 vlan_mode=access tag=10: untagged frames join the access VLAN"},
      {"stage": "learn", "result": "would learn 02:00:00:00:00:0a on VLAN 10 at p1",
       "detail": "the trace learns nothing"},
      {"stage": "fdb_lookup", "result": "miss",
       "detail": "02:00:00:00:00:0b on VLAN 10 is unknown: flood"},
      {"stage": "storm_control", "result": "no limits", "detail": "p1 has no storm-control rates"},
      {"stage": "flood", "result": "p2", "detail": "VLAN 10 flood set; skipped: p1 (input_port)",
       "members": [{"port": "p1", "tagged": false, "skip": "input_port"},
                   {"port": "p2", "tagged": true, "skip": null}]},
      {"stage": "output", "result": "p2 (push VLAN 10 PCP 0)", "detail": "nothing is sent"}
    ],
    "outputs": [{"port": "p2", "action": "push", "vlan": 10, "pcp": 0, "egress_limit": null}],
    "drops": [],
    "verdict": "output to p2 (push VLAN 10 PCP 0)"
  })json");
  EXPECT_EQ(t, golden) << t.dump(2);
}

TEST(Trace, SplitHorizonGroupIsSkipped) {
  BridgeHarness br({{.name = "t1", .vlan = kTrunkAll, .split_horizon_group = 1},
                    {.name = "t2", .vlan = kTrunkAll, .split_horizon_group = 1},
                    {.name = "p3", .vlan = kTrunkAll}});
  const auto frame = flow_frame(
      {"in_port=t1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff", "dl_vlan=7"});
  const json t = trace_then_send(br, "t1", frame, {"t1", "t2", "p3"});
  EXPECT_EQ(stage_of(t, "flood")["detail"],
            "VLAN 7 flood set; skipped: t1 (input_port), t2 (split_horizon)");
  EXPECT_EQ(outputs_of(t), std::vector<std::string>{"p3:vlan=7,pcp=0"});
}

TEST(Trace, MalformedAndReservedMulticastAreDropsWithTheirNames) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}});
  const auto runt = flow_frame({"in_port=p1", "ffffffffffff0200"});
  json t = trace_then_send(br, "p1", runt, {"p1", "p2"});
  EXPECT_EQ(stage_of(t, "parse")["result"], "malformed");
  EXPECT_EQ(t["drops"], json::array({"malformed"}));

  const auto bpdu = flow_frame(
      {"in_port=p1", std::string("dl_src=") + kA, "dl_dst=01:80:c2:00:00:00", "dl_type=0x0027"});
  t = trace_then_send(br, "p1", bpdu, {"p1", "p2"});
  EXPECT_EQ(t["drops"], json::array({"reserved_multicast"}));
  EXPECT_EQ(t["verdict"], "drop: reserved_multicast (01:80:c2:00:00:0x without forward-bpdu)");
}

// A bridge with a spanning tree: the input port's state is its own stage, and a discarding port's
// frame is dropped as stp_discarding, as the datapath then really does.
TEST(Trace, SpanningTreeStateOfTheInputPortIsAStage) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}});
  br.config().bridges[0].rstp = true;
  br.apply();
  const auto stp = br.datapath().stp("br0");
  ASSERT_TRUE(stp);
  const auto frame =
      flow_frame({"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"});
  json t = trace_then_send(br, "p1", frame, {"p1", "p2"});  // new ports start discarding
  EXPECT_EQ(stage_of(t, "stp_state")["result"], "discarding");
  EXPECT_EQ(t["drops"], json::array({"stp_discarding"}));
  stp->set_state(br.index("p1"), sw::kStpForwarding);
  stp->set_state(br.index("p2"), sw::kStpForwarding);
  t = trace_then_send(br, "p1", frame, {"p1", "p2"});
  EXPECT_EQ(stage_of(t, "stp_state")["result"], "forwarding");
  EXPECT_EQ(outputs_of(t), std::vector<std::string>{"p2:untagged"});
}

// The trace reads the storm buckets but takes no credit: after many traces the bucket still
// admits a full depth of real frames.
TEST(Trace, StormControlVerdictTakesNoCredit) {
  BridgeHarness br({{.name = "p1", .vlan = kAccess10, .storm = {.broadcast_pps = 1}},
                    {.name = "p2", .vlan = kAccess10}});
  const auto frame =
      flow_frame({"in_port=p1", std::string("dl_src=") + kA, "dl_dst=ff:ff:ff:ff:ff:ff"});
  for (int i = 0; i < 100; ++i) {
    const json t = trace(br, "p1", frame);
    ASSERT_EQ(stage_of(t, "storm_control")["result"], "admitted") << i;
    ASSERT_EQ(stage_of(t, "storm_control")["kind"], "broadcast");
  }
  for (uint64_t i = 0; i < sw::kStormMinDepth; ++i) br.send_raw("p1", frame);
  EXPECT_EQ(br.received_bytes("p2").size(), sw::kStormMinDepth);
  EXPECT_EQ(br.drops("p1", sw::DropReason::kStormBroadcast), 0u);
  // The bucket is empty now: the trace says so, and the datapath agrees.
  const json t = trace_then_send(br, "p1", frame, {"p1", "p2"});
  EXPECT_EQ(stage_of(t, "storm_control")["result"], "drop");
  EXPECT_EQ(stage_of(t, "learn")["result"], "not learnt");
  EXPECT_EQ(t["drops"], json::array({"storm_broadcast"}));
}

// The FDB is read, never written: a hit reports the entry's age, and neither the source nor
// the destination entry is refreshed or learnt.
TEST(Trace, FdbHitShowsTheAgeAndNothingIsRefreshedOrLearnt) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}});
  br.send("p2", {.dst = "ff:ff:ff:ff:ff:ff", .src = kB});  // learnt for real on p2
  br.received_all();
  br.clock().advance_ms(42'000);
  const auto frame =
      flow_frame({"in_port=p1", std::string("dl_src=") + kB, "dl_dst=" + std::string(kB)});
  // kB from p1 would move kB to p1 if learnt; the lookup sees p2.
  json t = trace(br, "p1", frame);
  EXPECT_EQ(stage_of(t, "fdb_lookup")["result"], "hit p2");
  EXPECT_EQ(stage_of(t, "fdb_lookup")["age"], 42);
  EXPECT_EQ(stage_of(t, "fdb_lookup")["detail"], "02:00:00:00:00:0b on VLAN 10 at p2, age 42 s");
  const auto entries = br.fdb().dump(br.clock().now_ms());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].port, br.index("p2"));
  EXPECT_EQ(entries[0].age_ms, 42'000u);
  // Aged out: a miss that says so.
  br.clock().advance_ms(300'000);
  t = trace(br, "p1",
            flow_frame({"in_port=p1", std::string("dl_src=") + kA, "dl_dst=" + std::string(kB)}));
  EXPECT_EQ(stage_of(t, "fdb_lookup")["result"], "miss");
  EXPECT_EQ(stage_of(t, "fdb_lookup")["detail"],
            "02:00:00:00:00:0b on VLAN 10 aged out (342 s): flood");
}

TEST(Trace, UnknownPortIsAnError) {
  BridgeHarness br({{"p1", kAccess10}});
  EXPECT_EQ(br.datapath()
                .trace("br0", "nope", flow_frame({"in_port=p1", "ffffffffffff020000000001ffff"}))
                .error,
            "bridge br0 has no port nope in the datapath");
  EXPECT_EQ(br.datapath().trace("br9", "p1", {}).error, "no bridge br9 in the datapath");
}

std::string flow_error(const std::vector<std::string>& words) {
  auto f = ctl::parse_trace_flow(words);
  return f ? "" : f.error().message;
}

TEST(TraceFlow, BadFieldsAreNamed) {
  const std::string a = std::string("dl_src=") + kA, b = std::string("dl_dst=") + kB;
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "nw_src=1.2.3.4"}),
            "trace: unknown field \"nw_src\" (fields: in_port, dl_src, dl_dst, dl_vlan, dl_pcp, "
            "dl_type)");
  EXPECT_EQ(flow_error({"in_port=p1", "dl_src=02:00:00:00:00", b}),
            "trace: dl_src: \"02:00:00:00:00\" is not a MAC address");
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "dl_vlan=4096"}),
            "trace: dl_vlan: \"4096\" is not a VLAN id (0..4095)");
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "dl_pcp=3"}),
            "trace: dl_pcp needs dl_vlan (dl_vlan=0: a priority tag)");
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "dl_vlan=1", "dl_pcp=8"}),
            "trace: dl_pcp: \"8\" is not a priority (0..7)");
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "dl_type=0x8100"}),
            "trace: dl_type: 0x8100 is the 802.1Q tag itself; give dl_vlan");
  EXPECT_EQ(flow_error({"in_port=p1", a, b, "dl_type=ip"}),
            "trace: dl_type: \"ip\" is not an EtherType (0..0xffff)");
  EXPECT_EQ(flow_error({a, b}), "trace: in_port=PORT is required");
  EXPECT_EQ(flow_error({"in_port=p1", a}), "trace: dl_dst=MAC is required (or give a hex frame)");
  EXPECT_EQ(flow_error({"in_port=p1", a, a, b}), "trace: dl_src given twice");
  EXPECT_EQ(flow_error({"in_port=p1", "abc"}),
            "trace: \"abc\" is neither FIELD=VALUE (in_port, dl_src, dl_dst, dl_vlan, dl_pcp, "
            "dl_type) nor a frame in hex (an even number of hex digits)");
  EXPECT_EQ(flow_error({"in_port=p1", a, "ffff"}),
            "trace: dl_src: not allowed with a hex frame (the frame says it)");
}

TEST(TraceFlow, FieldsBuildTheFrameTheHarnessBuilds) {
  // The same frame as frame_bytes() for an IPv4 frame (valid header, then padding to 60).
  auto f = ctl::parse_trace_flow(std::vector<std::string>{"in_port=p1", std::string("dl_src=") + kA,
                                                          std::string("dl_dst=") + kB, "dl_vlan=0",
                                                          "dl_pcp=5", "dl_type=2054"});
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->in_port, "p1");
  ASSERT_EQ(f->frame.size(), 60u);
  EXPECT_EQ(std::vector<uint8_t>(f->frame.begin() + 12, f->frame.begin() + 18),
            (std::vector<uint8_t>{0x81, 0x00, 0xa0, 0x00, 0x08, 0x06}));
  auto hex = ctl::parse_trace_flow(std::vector<std::string>{"in_port=p1", "0A0b0c"});
  ASSERT_TRUE(hex);
  EXPECT_EQ(hex->frame, (std::vector<uint8_t>{0x0a, 0x0b, 0x0c}));
}

// Rate limits (switch/rate_limit.hpp): 1 kbit/s refills 125 bytes a second, so the bucket's
// depth (kMinDepthBytes, 65,600 bytes: 43 frames of 1,500) is all there is.
const sw::RateLimit kTiny{.rate_kbps = 1, .burst_kbit = 8};
constexpr uint64_t kBig = 1500;
constexpr uint64_t kBigFit = sw::kMinDepthBytes / kBig;  // 43

std::vector<uint8_t> big_frame() {
  return frame_bytes({.dst = kB, .src = kA, .payload = static_cast<uint16_t>(kBig - 14)});
}

// The trace runs the input port's policer on a copy of its bucket: it takes no tokens, and once
// real frames have drained the bucket it says ingress_policed, as the datapath then does.
TEST(TracePolicing, IngressPolicedWhenTheBucketIsDrainedAndTheDatapathAgrees) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}});
  ASSERT_TRUE(
      br.fdb().add_static(*sw::MacAddr::parse(kB), 10, br.index("p2"), br.clock().now_ms()));
  br.config().bridges[0].ports[0].ingress_policing = kTiny;
  br.apply();
  const auto frame = big_frame();
  for (int i = 0; i < 100; ++i) {
    const json t = trace(br, "p1", frame);
    const json pol = stage_of(t, "policing");
    ASSERT_EQ(pol["result"], "admitted") << t.dump(2);
    ASSERT_EQ(pol["rate_kbps"], 1);
    ASSERT_EQ(pol["burst_kbit"], 8);
    ASSERT_EQ(pol["depth_bytes"], sw::kMinDepthBytes);
    ASSERT_EQ(pol["credit_bytes"], sw::kMinDepthBytes) << "the trace took tokens";
    ASSERT_EQ(t["verdict"], "output to p2 (untagged, as it came)");
  }
  for (uint64_t i = 0; i < kBigFit; ++i) br.send_raw("p1", frame);
  EXPECT_EQ(br.received_bytes("p2").size(), kBigFit);
  EXPECT_EQ(br.drops("p1", sw::DropReason::kIngressPoliced), 0u);

  const json t = trace_then_send(br, "p1", frame, {"p1", "p2"});
  const json pol = stage_of(t, "policing");
  EXPECT_EQ(pol["result"], "drop") << t.dump(2);
  EXPECT_LT(pol["credit_bytes"].get<uint64_t>(), kBig);
  EXPECT_EQ(t["drops"], json::array({"ingress_policed"}));
  EXPECT_TRUE(stage_of(t, "parse").is_null()) << "nothing further: " << t.dump(2);
  EXPECT_TRUE(t["outputs"].empty());
  EXPECT_EQ(t["flow"]["dl_src"], kA) << "the flow is still described";
  EXPECT_EQ(br.drops("p1", sw::DropReason::kIngressPoliced), 1u) << "the datapath dropped it";
  const std::string text = ctl::format_trace(t);
  EXPECT_NE(text.find("policing: drop\n    p1 ingress policing rate 1 kbit/s burst 8 kbit: 1500 "
                      "bytes over its credit of "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nVerdict: drop: ingress_policed ("), std::string::npos) << text;
}

TEST(TracePolicing, APortWithoutLimitsSaysNotConfigured) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kAccess10}});
  br.config().bridges[0].ports[0].ingress_policing = kTiny;  // another port's limit
  br.apply();
  const json t = trace_then_send(br, "p3", big_frame(), {"p1", "p2", "p3"});
  const json pol = stage_of(t, "policing");
  EXPECT_EQ(pol["result"], "not configured");
  EXPECT_EQ(pol["detail"], "p3 has no ingress_policing_rate");
  EXPECT_FALSE(pol.contains("rate_kbps"));
  for (const auto& o : t["outputs"]) EXPECT_TRUE(o["egress_limit"].is_null()) << o;
  EXPECT_TRUE(stage_of(t, "parse").is_object());
}

// Each output copy goes through a copy of the output port's egress bucket (of the PMD that
// would send it): egress_shaped once real frames have drained it, as the datapath then does.
TEST(TracePolicing, EgressShapedWhenTheOutputBucketIsDrainedAndTheDatapathAgrees) {
  BridgeHarness br({{"p1", kAccess10}, {"p2", kAccess10}, {"p3", kAccess10}});
  br.config().bridges[0].ports[1].egress_limit = kTiny;
  br.apply();
  const auto frame = big_frame();  // unknown destination: flooded to p2 and p3
  for (int i = 0; i < 100; ++i) {
    const json t = trace(br, "p1", frame);
    ASSERT_EQ(t["outputs"].size(), 2u) << t.dump(2);
    for (const auto& o : t["outputs"]) {
      if (o["port"] == "p3") {
        ASSERT_TRUE(o["egress_limit"].is_null()) << o;
        continue;
      }
      ASSERT_EQ(o["egress_limit"]["verdict"], "admitted") << o;
      ASSERT_EQ(o["egress_limit"]["rate_kbps"], 1);
      ASSERT_EQ(o["egress_limit"]["bytes"], kBig);
      ASSERT_EQ(o["egress_limit"]["credit_bytes"], sw::kMinDepthBytes) << "the trace took tokens";
    }
    ASSERT_EQ(stage_of(t, "policing")["result"], "not configured");
  }
  for (uint64_t i = 0; i < kBigFit; ++i) br.send_raw("p1", frame);
  EXPECT_EQ(br.received_bytes("p2").size(), kBigFit);
  EXPECT_EQ(br.received_bytes("p3").size(), kBigFit);
  EXPECT_EQ(br.drops("p2", sw::DropReason::kEgressShaped), 0u);

  const json t = trace_then_send(br, "p1", frame, {"p1", "p2", "p3"});
  EXPECT_EQ(outputs_of(t), std::vector<std::string>{"p3:untagged"}) << t.dump(2);
  json p2;
  for (const auto& o : t["outputs"])
    if (o["port"] == "p2") p2 = o;
  ASSERT_TRUE(p2.is_object()) << t.dump(2);
  EXPECT_EQ(p2["egress_limit"]["verdict"], "egress_shaped");
  EXPECT_EQ(br.drops("p2", sw::DropReason::kEgressShaped), 1u) << "the datapath dropped it";
  EXPECT_EQ(t["verdict"].get<std::string>().rfind(
                "output to p3 (untagged, as it came); drop: egress_shaped at p2 (", 0),
            0u)
      << t["verdict"];
  const std::string text = ctl::format_trace(t);
  EXPECT_NE(text.find("; p2 egress limit rate 1 kbit/s burst 8 kbit: 1500 bytes over its credit "
                      "of "),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace lvs::test
