// Bursts of up to 32 frames through the pipeline against the same frames one per poll.
//
// The fast path works on bursts (runs of the same flow, batched lookups, one flush per burst),
// while most tests inject one frame per poll. Here a seeded script of frames that mixes flows,
// VLANs (untagged, priority-tagged, admitted and refused VIDs), unknown and learned
// destinations, broadcast, multicast, reserved multicast, malformed frames, hairpins, station
// moves (inside a burst too) and a table small enough to evict goes through two identical
// bridges: one gets it one frame per PMD iteration, the other in bursts of 1..32 on one port.
// The semantics are per frame ("learning and station moves take effect on the next frame"), so
// every port must send the same frames in the same order, byte for byte, and every counter and
// the table must end up the same. Each frame carries its index (IPv4 id / payload bytes 4-5),
// so a mismatch names the input frame.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <tuple>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::VlanMode;
using sw::VlanPolicy;

std::vector<BridgeHarness::PortDef> ports() {
  return {{.name = "a10", .vlan = VlanPolicy::access(10)},
          {.name = "b10", .vlan = VlanPolicy::access(10)},
          {.name = "c20", .vlan = VlanPolicy::access(20)},
          {.name = "t1020", .vlan = VlanPolicy::trunk({10, 20})},
          {.name = "tall", .vlan = VlanPolicy::trunk({})},
          {.name = "nt10", .vlan = VlanPolicy::native(VlanMode::kNativeTagged, 10, {20})},
          {.name = "nu10", .vlan = VlanPolicy::native(VlanMode::kNativeUntagged, 10, {20})}};
}

struct Input {
  std::string port;
  std::vector<std::vector<uint8_t>> frames;  // one burst
};

std::string mac(unsigned a, unsigned b) {
  char s[18];
  std::snprintf(s, sizeof s, "02:00:00:00:%02x:%02x", a & 0xff, b & 0xff);
  return s;
}

// A seeded script: bursts on random ports, each frame tagged with its index.
std::vector<Input> script(uint32_t seed, unsigned frames) {
  std::mt19937 rng(seed);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  const auto defs = ports();
  std::vector<Input> out;
  FrameSpec prev;
  unsigned index = 0;
  while (index < frames) {
    Input in{defs[pick(defs.size())].name, {}};
    const unsigned burst = 1 + pick(sw::kBurst);
    for (unsigned k = 0; k < burst && index < frames; ++k, ++index) {
      FrameSpec f;
      const unsigned r = pick(100);
      if (r < 30 && index > 0) {
        f = prev;  // a run of the same flow (the pipeline's same-as-previous path)
      } else {
        f.src = pick(20) == 0 ? "01:00:5e:00:00:07" : mac(0, pick(8));  // multicast src: not learnt
        const unsigned d = pick(100);
        f.dst = d < 50   ? mac(0, pick(8))      // learnt somewhere (or not yet)
                : d < 68 ? mac(0xff, pick(32))  // never learnt
                : d < 80 ? "ff:ff:ff:ff:ff:ff"
                : d < 90 ? "01:00:5e:00:00:01"
                         : "01:80:c2:00:00:00";  // reserved: dropped
        const unsigned v = pick(100);
        if (v < 40)
          f.vid.reset();
        else if (v < 50)
          f.vid = 0;
        else
          f.vid = v < 70 ? 10 : v < 90 ? 20 : 30;
        f.pcp = f.vid ? static_cast<uint8_t>(pick(8)) : 0;
        f.ethertype = pick(5) == 0 ? 0x0806 : 0x0800;
        f.payload = static_cast<uint16_t>(46 + pick(3) * pick(80));
      }
      prev = f;
      std::vector<uint8_t> b = frame_bytes(f);
      const size_t l2 = f.vid ? 18 : 14;
      b[l2 + 4] = static_cast<uint8_t>(index >> 8);
      b[l2 + 5] = static_cast<uint8_t>(index);
      const unsigned bad = pick(100);
      if (bad < 3)
        b.resize(10);  // too short for an Ethernet header
      else if (bad < 6 && f.ethertype == 0x0800)
        b[l2] = 0x65;  // IPv6 version nibble in an IPv4 header
      in.frames.push_back(std::move(b));
    }
    out.push_back(std::move(in));
  }
  return out;
}

std::string frame_index(const std::vector<uint8_t>& b) {
  if (b.size() < 20) return "?";
  const size_t l2 = (b[12] == 0x81 && b[13] == 0x00) ? 18 : 14;
  return std::to_string((b[l2 + 4] << 8) | b[l2 + 5]);
}

using Fdb = std::vector<std::tuple<std::array<uint8_t, 6>, uint16_t, sw::PortIndex>>;
Fdb table(BridgeHarness& h) {
  Fdb t;
  for (const auto& e : h.fdb().dump(h.datapath().now_ms()))
    t.emplace_back(e.mac.bytes, e.vlan, e.port);
  std::sort(t.begin(), t.end());
  return t;
}

// With `aging`, time passes between bursts (0-4 s, the aging time being 15 s) and both tables
// take a small aging step (Fdb::expire_step, 3 entries) after each burst: entries refresh, come
// due and age out in the middle of passes, and lookups meet entries that just expired.
void check_equivalent(uint32_t seed, sw::FdbSettings fdb, bool aging = false) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", table of " + std::to_string(fdb.max_entries) +
               (aging ? ", aging" : ""));
  const auto in = script(seed, 3000);
  BridgeHarness single(ports(), fdb), bursts(ports(), fdb);
  std::map<std::string, std::vector<std::vector<uint8_t>>> one, many;
  for (size_t b = 0; b < in.size(); ++b) {
    for (const auto& f : in[b].frames) single.send_raw(in[b].port, f);
    bursts.send_burst(in[b].port, in[b].frames);
    for (const auto& d : ports()) {  // drained every burst: tx rings stay small
      for (auto& f : single.received_bytes(d.name)) one[d.name].push_back(std::move(f));
      for (auto& f : bursts.received_bytes(d.name)) many[d.name].push_back(std::move(f));
    }
    ASSERT_EQ(table(single), table(bursts)) << "tables differ after burst " << b;
    if (aging) {
      for (BridgeHarness* h : {&single, &bursts}) {
        h->clock().advance_ms((b * 7919) % 5 * 1000);
        bool done = false;
        h->fdb().expire_step(h->datapath().now_ms(), 3, &done);
      }
      ASSERT_EQ(table(single), table(bursts)) << "tables differ after aging step " << b;
    }
  }
  if (aging) {
    EXPECT_GT(single.fdb().stats().aged, 50u);  // the script did age entries out
  }
  size_t sent = 0;
  for (const auto& d : ports()) {
    const auto& a = one[d.name];
    const auto& m = many[d.name];
    for (size_t i = 0; i < std::min(a.size(), m.size()); ++i)
      ASSERT_EQ(a[i], m[i]) << d.name << " output " << i << ": one-frame path sent frame "
                            << frame_index(a[i]) << ", burst path frame " << frame_index(m[i]);
    ASSERT_EQ(a.size(), m.size()) << d.name << " sent a different number of frames";
    sent += a.size();
    const auto ca = single.counters(d.name), cm = bursts.counters(d.name);
    EXPECT_EQ(ca.rx_packets, cm.rx_packets) << d.name;
    EXPECT_EQ(ca.tx_packets, cm.tx_packets) << d.name;
    EXPECT_EQ(ca.tx_bytes, cm.tx_bytes) << d.name;
    for (size_t r = 0; r < ca.drops.size(); ++r)
      EXPECT_EQ(ca.drops[r], cm.drops[r])
          << d.name << " drops " << sw::to_string(static_cast<sw::DropReason>(r));
  }
  EXPECT_GT(sent, 1000u);  // the script forwards plenty, not only drops
  EXPECT_EQ(single.leaked(), 0);
  EXPECT_EQ(bursts.leaked(), 0);
}

TEST(BurstEquivalence, BurstsForwardExactlyAsSingleFrames) {
  for (uint32_t seed : {1u, 2u, 3u, 4u}) check_equivalent(seed, {});
}

TEST(BurstEquivalence, BurstsEvictExactlyAsSingleFramesInAFullTable) {
  for (uint32_t seed : {5u, 6u}) check_equivalent(seed, {.max_entries = 6, .aging_s = 300});
}

TEST(BurstEquivalence, BurstsAgeExactlyAsSingleFramesWhileTimePasses) {
  for (uint32_t seed : {7u, 8u}) check_equivalent(seed, {.max_entries = 8192, .aging_s = 15}, true);
}

// The script itself must hold what the test claims to mix (else it proves little).
TEST(BurstEquivalence, ScriptMixesFlowsVlansUnknownsDropsAndMoves) {
  BridgeHarness h(ports());
  unsigned bursts_over_16 = 0;
  for (const auto& b : script(1, 3000)) {
    bursts_over_16 += b.frames.size() > 16;
    h.send_burst(b.port, b.frames);
    for (const auto& d : ports()) h.received_bytes(d.name);
  }
  uint64_t vlan = 0, reserved = 0, malformed = 0, hairpin = 0;
  for (const auto& d : ports()) {
    const auto c = h.counters(d.name);
    vlan += c.drops[static_cast<size_t>(sw::DropReason::kVlanNotAdmitted)];
    reserved += c.drops[static_cast<size_t>(sw::DropReason::kReservedMulticast)];
    malformed += c.drops[static_cast<size_t>(sw::DropReason::kMalformed)];
    hairpin += c.drops[static_cast<size_t>(sw::DropReason::kHairpin)];
  }
  EXPECT_GT(bursts_over_16, 20u);
  EXPECT_GT(vlan, 50u);
  EXPECT_GT(reserved, 50u);
  EXPECT_GT(malformed, 20u);
  EXPECT_GT(hairpin, 20u);
  EXPECT_GT(h.fdb().stats().moved, 20u);
}

}  // namespace
}  // namespace lvs::test
