#pragma once
// Shared by tunnel_pipeline_test and bench/tunnel_bench: underlay=port tunnels over one uplink
// port (MAC kUplinkMac) whose next hops are taught by an ARP reply, and the two bridges around
// them: "ovl" (a frame source and the tunnels, split-horizon group 1) and "brp" (the uplink,
// with the tunnels' VTEP as its rx filter).
#include <arpa/inet.h>
#include <rte_mempool.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "switch/datapath.hpp"
#include "tests/support/frames.hpp"
#include "tunnels/port_underlay.hpp"
#include "tunnels/tunnel_port.hpp"

namespace lvs::tunnels::testing {

inline const sw::MacAddr kUplinkMac = *sw::MacAddr::parse("02:aa:00:00:00:01");

// The MAC the tests give to next hop `addr`: 02:bb:00:00:00:<its last byte>.
inline sw::MacAddr peer_mac(uint32_t addr) {
  return sw::MacAddr::from_bytes(
      std::array<uint8_t, 6>{2, 0xbb, 0, 0, 0, static_cast<uint8_t>(ntohl(addr))}.data());
}

// An ARP reply from `from` (peer_mac(from)) to the VTEP at `local`.
inline rte_mbuf* arp_reply(rte_mempool* pool, uint32_t from, uint32_t local) {
  std::vector<uint8_t> f(60, 0);
  const sw::MacAddr peer = peer_mac(from);
  std::memcpy(f.data(), kUplinkMac.bytes.data(), 6);
  std::memcpy(f.data() + 6, peer.bytes.data(), 6);
  f[12] = 0x08, f[13] = 0x06;
  uint8_t* a = f.data() + 14;
  a[1] = 1, a[2] = 0x08, a[4] = 6, a[5] = 4, a[7] = 2;
  std::memcpy(a + 8, peer.bytes.data(), 6);
  std::memcpy(a + 14, &from, 4);
  std::memcpy(a + 18, kUplinkMac.bytes.data(), 6);
  std::memcpy(a + 24, &local, 4);
  return test::make_raw(pool, f);
}

// Teaches tunnel t's VTEP the MAC of its next hop (the tunnel's remote, on-link).
inline bool learn_next_hop(TunnelPort& t, rte_mempool* pool) {
  auto& u = static_cast<PortUnderlay&>(t.underlay());
  rte_mbuf* reply = arp_reply(pool, t.config().remote_ip, t.config().local_ip);
  return u.vtep()->filter(0, &reply, 1) == 0;  // taken by the VTEP
}

inline sw::DatapathConfig overlay_and_underlay(std::shared_ptr<sw::Port> src,
                                               const std::vector<std::shared_ptr<TunnelPort>>& tuns,
                                               std::shared_ptr<sw::Port> uplink) {
  sw::BridgeConfig ovl{.name = "ovl"}, brp{.name = "brp"};
  ovl.ports.push_back({.name = src->name(), .port = src});
  for (auto& t : tuns)
    ovl.ports.push_back({.name = t->name(), .port = t, .split_horizon_group = 1});
  brp.ports.push_back(
      {.name = uplink->name(), .port = uplink, .rx_filter = tuns.at(0)->underlay().rx_filter()});
  sw::DatapathConfig dc;
  dc.bridges = {ovl, brp};
  return dc;
}

// MAC `first + t` (VLAN 0) learnt on tunnel t of bridge ovl.
inline void learn_behind_tunnels(sw::Datapath& dp,
                                 const std::vector<std::shared_ptr<TunnelPort>>& tuns,
                                 uint64_t first) {
  auto fdb = dp.fdb("ovl");
  for (size_t t = 0; t < tuns.size(); ++t)
    fdb->learn(sw::Fdb::make_key(first + t, 0), *dp.port_index("ovl", tuns[t]->name()),
               dp.now_ms());
}

}  // namespace lvs::tunnels::testing
