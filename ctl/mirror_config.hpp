#pragma once
// A bridge's mirrors (Open vSwitch's Mirror table: select_src_port, select_dst_port,
// select_vlan, output_port), plus output to a pcap file rotated by size. Stored in the bridge's
// database record as "mirrors" (written only when there are some); switch/mirror.hpp runs them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct BridgeConfig;

inline constexpr uint64_t kDefaultPcapMaxSizeMb = 100;
inline constexpr uint64_t kMaxPcapMaxSizeMb = 1'048'576;  // 1 TiB
inline constexpr size_t kMaxMirrors = 16;  // per bridge; the rest of 32 is left to captures

struct MirrorSpec {
  std::string name;
  std::vector<std::string> select_src;                // frames these ports receive
  std::vector<std::string> select_dst;                // frames these ports send
  std::vector<int> select_vlan;                       // only these VLANs; empty: all
  std::string output_port;                            // a port of the bridge, or
  std::string output_pcap;                            // an absolute file path
  uint64_t pcap_max_size_mb = kDefaultPcapMaxSizeMb;  // FILE rotates to FILE.1 past it
  bool operator==(const MirrorSpec&) const = default;

  // Neither --src nor --dst: every port of the bridge but the output, both directions.
  bool select_all() const { return select_src.empty() && select_dst.empty(); }
};

// The mirror's checks against its bridge: names, ports on the bridge, the output port neither
// selected nor the output of another mirror, exactly one output, VLANs, the pcap path and size.
Status validate_mirrors(const BridgeConfig& bridge);

// A port leaves the bridge: it leaves the mirrors' selections, and a mirror whose output it was
// goes (Open vSwitch drops a mirror whose output port is removed).
void forget_port_in_mirrors(BridgeConfig& bridge, const std::string& port);

nlohmann::json mirror_json(const MirrorSpec& mirror);
// `at` names the record in errors ("bridges[0].mirrors[1]").
Result<MirrorSpec> mirror_from_json(const nlohmann::json& j, const std::string& at);

}  // namespace lvs::ctl
