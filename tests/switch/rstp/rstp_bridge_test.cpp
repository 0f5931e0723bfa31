// The scenarios of IEEE 802.1D-2004's figures and Open vSwitch's RSTP tests (single bridge, two
// bridges, link failure, double link failure, ring, root change by priority, 802.1D peer, edge
// port, BPDU guard, root guard) on simulated links with a simulated clock.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/switch/rstp/rstp_sim.hpp"

namespace lvs::sw::rstp {
namespace {

using sim::End;
using sim::Net;

int count_state(Net& n, PortState s) {
  int c = 0;
  for (auto& b : n.bridges)
    for (auto& p : b->status().ports) c += p.state == s && p.link_up;
  return c;
}

TEST(RstpBridge, BpduCodecRoundTrips) {
  Bpdu b;
  b.flags = kFlagProposal | kFlagAgreement | kFlagTc;
  b.set_role(WireRole::kDesignated);
  b.vector = {BridgeId::make(4096, {2, 0, 0, 0, 0, 1}), 20000,
              BridgeId::make(32768, {2, 0, 0, 0, 0, 2}), make_port_id(128, 3)};
  b.message_age = 1;
  b.max_age = 20;
  b.hello_time = 2;
  b.forward_delay = 15;
  const auto frame = encode_frame(b, {2, 0, 0, 0, 0, 9});
  ASSERT_EQ(frame.size(), 60u);
  EXPECT_EQ(frame[14], 0x42);
  EXPECT_EQ(frame[16], 0x03);
  auto d = decode_frame(frame);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->vector, b.vector);
  EXPECT_EQ(d->flags, b.flags);
  EXPECT_EQ(d->role(), WireRole::kDesignated);
  EXPECT_EQ(d->forward_delay, 15);
  EXPECT_EQ(b.vector.root.to_string(), "1000.020000000001");
  Bpdu tcn;
  tcn.type = BpduType::kTcn;
  auto t = decode_frame(encode_frame(tcn, {2, 0, 0, 0, 0, 9}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, BpduType::kTcn);
  auto bad = frame;
  bad[15] = 0xaa;  // not LLC 42 42
  EXPECT_FALSE(decode_frame(bad));
}

TEST(RstpBridge, SingleBridgeIsRootAndEdgePortsForward) {
  Net n;
  const int a = n.add_bridge(32768, 1);
  n.add_port(a, 1, PortSettings{.admin_edge = true});
  n.add_port(a, 2);  // auto edge: forwards once no BPDU came for 3 s
  n.legacy_peer({a, 1});
  n.legacy_peer({a, 2});
  n.run(10);
  EXPECT_EQ(n.state({a, 1}), PortState::kForwarding);
  EXPECT_EQ(n.state({a, 2}), PortState::kDiscarding);
  n.run(3100);
  EXPECT_EQ(n.state({a, 2}), PortState::kForwarding);
  EXPECT_TRUE(n.b(a).port_status(2)->oper_edge);
  EXPECT_EQ(n.b(a).status().root_id, n.b(a).id());
  EXPECT_FALSE(n.b(a).status().root_port);
}

TEST(RstpBridge, TwoBridgesTwoLinksOneAlternateWithinASecond) {
  Net n;
  const int a = n.add_bridge(4096, 1), b = n.add_bridge(32768, 2);
  for (int br : {a, b})
    for (uint16_t p : {1, 2}) n.add_port(br, p);
  n.connect({a, 1}, {b, 1});
  n.connect({a, 2}, {b, 2});
  n.run(1000);
  EXPECT_EQ(n.b(b).status().root_id, n.b(a).id());
  EXPECT_EQ(n.role({b, 1}), PortRole::kRoot);
  EXPECT_EQ(n.role({b, 2}), PortRole::kAlternate);
  EXPECT_EQ(n.state({b, 2}), PortState::kDiscarding);
  for (End e : {End{a, 1}, End{a, 2}, End{b, 1}})
    EXPECT_EQ(n.state(e), PortState::kForwarding) << e.bridge << "/" << e.port;
  // Link failure: the alternate takes over at once.
  n.cut({a, 1});
  n.run(100);
  EXPECT_EQ(n.role({b, 2}), PortRole::kRoot);
  EXPECT_EQ(n.state({b, 2}), PortState::kForwarding);
  EXPECT_EQ(n.state({a, 2}), PortState::kForwarding);
}

// Bridges 0..k-1 in a ring, port 1 towards the next, port 2 towards the previous.
Net ring(int k) {
  Net n;
  for (int i = 0; i < k; ++i) {
    n.add_bridge(static_cast<uint16_t>(32768 + 4096 * i), static_cast<uint8_t>(i + 1));
    n.add_port(i, 1);
    n.add_port(i, 2);
  }
  for (int i = 0; i < k; ++i) n.connect({i, 1}, {(i + 1) % k, 2});
  return n;
}

TEST(RstpBridge, RingBlocksExactlyOnePort) {
  for (int k : {3, 4, 6}) {
    Net n = ring(k);
    n.run(2000);
    EXPECT_EQ(count_state(n, PortState::kDiscarding), 1) << k << " bridges";
    EXPECT_EQ(count_state(n, PortState::kForwarding), 2 * k - 1);
    for (int i = 0; i < k; ++i) EXPECT_EQ(n.b(i).status().root_id, n.b(0).id());
    // No storm: designated ports speak once per hello (2 s) plus the handshakes.
    const auto before = n.sent;
    n.run(10000);
    for (auto& [e, c] : n.sent) EXPECT_LE(c - before.at(e), 7u);
  }
}

TEST(RstpBridge, RingLinkFailureRecoversWithinASecond) {
  Net n = ring(4);
  n.run(2000);
  // Find the blocked port, cut a link of the root: the blocked port must take over.
  End blocked{-1, 0};
  for (int i = 0; i < 4; ++i)
    for (uint16_t p : {1, 2})
      if (n.state({i, p}) == PortState::kDiscarding) blocked = {i, p};
  ASSERT_GE(blocked.bridge, 0);
  n.cut({0, 1});
  n.run(1000);
  EXPECT_EQ(n.state(blocked), PortState::kForwarding);
  EXPECT_EQ(count_state(n, PortState::kDiscarding), 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(n.b(i).status().root_id, n.b(0).id());
  // The bridges past the cut flushed their tables (topology change).
  EXPECT_FALSE(n.flushed[1].empty());
}

TEST(RstpBridge, DoubleLinkFailurePartitionsThenHeals) {
  Net n = ring(4);
  n.run(2000);
  n.cut({0, 1});  // 0 - 1
  n.cut({2, 1});  // 2 - 3
  n.run(8000);  // the far part's information ages out (3 hellos) at worst
  // {1, 2} and {3, 0} are two trees: 1 becomes root of its part.
  EXPECT_EQ(n.b(2).status().root_id, n.b(1).id());
  EXPECT_EQ(n.b(3).status().root_id, n.b(0).id());
  EXPECT_EQ(count_state(n, PortState::kDiscarding), 0);
  n.connect({0, 1}, {1, 2});
  n.run(1000);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(n.b(i).status().root_id, n.b(0).id());
  EXPECT_EQ(count_state(n, PortState::kDiscarding), 0);  // a line: nothing to block
  n.connect({2, 1}, {3, 2});
  n.run(1000);
  EXPECT_EQ(count_state(n, PortState::kDiscarding), 1);
}

TEST(RstpBridge, RootChangesWithPriority) {
  Net n = ring(3);
  n.run(2000);
  BridgeSettings s;
  s.priority = 0;
  s.address = {0x02, 0, 0, 0, 0, 3};
  n.b(2).set_settings(s, n.now);
  n.run(2000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(n.b(i).status().root_id, n.b(2).id());
  EXPECT_FALSE(n.b(2).status().root_port);
  EXPECT_EQ(count_state(n, PortState::kDiscarding), 1);
}

Bpdu config_from(BridgeId root, uint32_t cost, BridgeId bridge, PortId port, uint8_t flags = 0) {
  Bpdu b;
  b.type = BpduType::kConfig;
  b.version = 0;
  b.flags = flags;
  b.vector = {root, cost, bridge, port};
  b.max_age = 20;
  b.hello_time = 2;
  b.forward_delay = 4;
  return b;
}

TEST(RstpBridge, FallsBackTo8021DTowardsAnStpPeer) {
  Net n;
  const int a = n.add_bridge(32768, 1);
  n.add_port(a, 1);
  n.add_port(a, 2, PortSettings{.admin_edge = true});
  n.legacy_peer({a, 1});
  n.legacy_peer({a, 2});
  const BridgeId legacy = BridgeId::make(4096, {2, 0, 0, 0, 0, 0x99});
  // The 802.1D root sends Configuration BPDUs; after the migration delay the port speaks 802.1D.
  for (int i = 0; i < 3; ++i) {
    n.inject({a, 1}, config_from(legacy, 0, legacy, make_port_id(128, 1)));
    n.run(2000);
  }
  auto ps = n.b(a).port_status(1);
  EXPECT_TRUE(ps->stp_peer);
  EXPECT_EQ(ps->role, PortRole::kRoot);
  EXPECT_EQ(ps->state, PortState::kForwarding);
  EXPECT_EQ(n.b(a).status().root_id, legacy);
  // A topology change (a new non-edge port forwarding) goes to the 802.1D root as TCNs until
  // acknowledged.
  n.to_legacy[{a, 1}].clear();
  n.add_port(a, 3, PortSettings{.auto_edge = false});
  n.legacy_peer({a, 3});
  n.run(4100);
  EXPECT_EQ(n.state({a, 3}), PortState::kLearning);  // the root's forward delay (4 s)
  n.run(4000);
  EXPECT_EQ(n.state({a, 3}), PortState::kForwarding);
  auto& seen = n.to_legacy[{a, 1}];
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                          [](const Bpdu& b) { return b.type == BpduType::kTcn; }));
  // An 802.1D designated bridge's TCN is acknowledged in a Configuration BPDU.
  n.to_legacy[{a, 3}].clear();
  Bpdu tcn;
  tcn.type = BpduType::kTcn;
  tcn.version = 0;
  n.inject({a, 3}, tcn);
  auto& back = n.to_legacy[{a, 3}];
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.back().type, BpduType::kConfig);
  EXPECT_TRUE(back.back().flags & kFlagTcAck);
  EXPECT_TRUE(back.back().flags & kFlagTc) << "the TC flag goes back towards the 802.1D bridge";
}

TEST(RstpBridge, EdgePortLosesEdgeOnBpduAndBpduGuardDisables) {
  Net n;
  const int a = n.add_bridge(32768, 1), b = n.add_bridge(4096, 2);
  n.add_port(a, 1, PortSettings{.admin_edge = true});
  n.add_port(a, 2, PortSettings{.admin_edge = true, .bpdu_guard = true});
  n.add_port(b, 1);
  n.add_port(b, 2);
  n.connect({a, 1}, {b, 1});
  n.run(1000);
  EXPECT_FALSE(n.b(a).port_status(1)->oper_edge);  // a bridge is there
  EXPECT_EQ(n.role({a, 1}), PortRole::kRoot);
  n.connect({a, 2}, {b, 2});
  n.run(1000);
  auto ps = n.b(a).port_status(2);
  EXPECT_TRUE(ps->bpdu_guard_tripped);
  EXPECT_EQ(ps->role, PortRole::kDisabled);
  EXPECT_EQ(ps->state, PortState::kDiscarding);
  EXPECT_TRUE(n.b(a).clear_bpdu_guard(2, n.now));
  EXPECT_FALSE(n.b(a).clear_bpdu_guard(2, n.now));
  n.run(10);
  EXPECT_FALSE(n.b(a).port_status(2)->bpdu_guard_tripped);
  n.run(1000);
  EXPECT_TRUE(n.b(a).port_status(2)->bpdu_guard_tripped);  // the bridge is still there
}

TEST(RstpBridge, RootGuardKeepsSuperiorInformationOut) {
  Net n;
  const int a = n.add_bridge(4096, 1), b = n.add_bridge(32768, 2), c = n.add_bridge(0, 3);
  n.add_port(a, 1);
  n.add_port(b, 1);
  n.add_port(b, 2, PortSettings{.root_guard = true});
  n.add_port(c, 1);
  n.connect({a, 1}, {b, 1});
  n.run(1000);
  n.connect({b, 2}, {c, 1});  // c claims a better root through the guarded port
  n.run(2000);
  EXPECT_EQ(n.b(b).status().root_id, n.b(a).id());
  auto ps = n.b(b).port_status(2);
  EXPECT_TRUE(ps->root_inconsistent);
  EXPECT_EQ(ps->state, PortState::kDiscarding);
  n.cut({b, 2});
  n.run(100);
  EXPECT_FALSE(n.b(b).port_status(2)->root_inconsistent);
}

TEST(RstpBridge, TopologyChangeFlushesOtherNonEdgePorts) {
  Net n;
  const int a = n.add_bridge(4096, 1), b = n.add_bridge(32768, 2);
  n.add_port(a, 1);
  n.add_port(b, 1);
  n.add_port(b, 2, PortSettings{.admin_edge = true});
  n.add_port(b, 3);
  n.legacy_peer({b, 2});
  n.connect({a, 1}, {b, 1});
  n.run(1000);
  n.flushed[b].clear();
  // A TC from the root: b flushes its other non-edge ports, never the edge port or port 1.
  Bpdu tc;
  tc.set_role(WireRole::kDesignated);
  tc.flags |= kFlagTc;
  tc.vector = {n.b(a).id(), 0, n.b(a).id(), make_port_id(128, 1)};
  n.inject({b, 1}, tc);
  const auto& f = n.flushed[b];
  EXPECT_NE(std::find(f.begin(), f.end(), 3), f.end());
  EXPECT_EQ(std::find(f.begin(), f.end(), 2), f.end());
  EXPECT_EQ(std::find(f.begin(), f.end(), 1), f.end());
}

}  // namespace
}  // namespace lvs::sw::rstp
