// fdb/show, fdb/stats-show, fdb/flush, fdb/add, fdb/del: a bridge's MAC table. Static entries
// live in the configuration; learnt ones only in the running switch (Runtime).
#include <algorithm>

#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

struct MacKey {
  int vlan;
  std::string mac;  // canonical
};

// VLAN and MAC words of fdb/add and fdb/del, checked.
Result<MacKey> parse_mac_key(const std::string& command, const std::string& vlan_word,
                             const std::string& mac_word) {
  auto vlan = parse_int(vlan_word, 0, 4095);
  if (!vlan) return invalid_error(command + ": VLAN \"" + vlan_word + "\" is not in 0..4095");
  auto mac = canonical_mac(mac_word);
  if (!mac) return invalid_error(command + ": \"" + mac_word + "\" is not a MAC address");
  return MacKey{static_cast<int>(*vlan), *mac};
}

// The bridge args[0] and the entry (VLAN, MAC) named by args[vlan_at], args[vlan_at + 1].
struct EntryArgs {
  BridgeConfig* bridge;
  MacKey key;
};
Result<EntryArgs> need_entry(CommandContext& ctx, const std::string& command, size_t vlan_at) {
  auto bridge = need_bridge(ctx.config, ctx.args[0]);
  if (!bridge) return bridge.error();
  auto key = parse_mac_key(command, ctx.args[vlan_at], ctx.args[vlan_at + 1]);
  if (!key) return key.error();
  return EntryArgs{*bridge, *key};
}

std::vector<StaticMac>::iterator find_static(BridgeConfig& bridge, const MacKey& key) {
  return std::find_if(bridge.static_macs.begin(), bridge.static_macs.end(),
                      [&](const StaticMac& m) { return m.vlan == key.vlan && m.mac == key.mac; });
}

}  // namespace

Status show_fdb(CommandContext& ctx) {
  if (auto bridge = need_bridge(ctx.config, ctx.args[0]); !bridge) return bridge.error();
  ctx.print_after_commit([name = ctx.args[0]](const Config&, Runtime* runtime) {
    json rows = json::array();
    if (runtime)
      for (const auto& r : runtime->fdb_show(name))
        rows.push_back({{"port", r.port},
                        {"vlan", r.vlan},
                        {"mac", r.mac},
                        {"age", r.age_s},
                        {"static", r.is_static}});
    return rows;
  });
  return std::nullopt;
}

Status show_fdb_stats(CommandContext& ctx) {
  if (auto bridge = need_bridge(ctx.config, ctx.args[0]); !bridge) return bridge.error();
  ctx.print_after_commit([name = ctx.args[0]](const Config&, Runtime* runtime) -> json {
    FdbTableStats s;
    if (runtime) s = runtime->fdb_stats(name);
    // clang-format off
    return {{"bridge", name}, {"entries", s.entries}, {"max_entries", s.max_entries},
            {"learned", s.learned}, {"aged", s.aged}, {"evicted", s.evicted}, {"moved", s.moved},
            {"learn_deferred", s.learn_deferred}};
    // clang-format on
  });
  return std::nullopt;
}

Status flush_fdb(CommandContext& ctx) {
  std::vector<std::string> bridges;
  if (ctx.args.empty()) {
    for (const auto& b : ctx.config.bridges) bridges.push_back(b.name);
  } else {
    if (auto bridge = need_bridge(ctx.config, ctx.args[0]); !bridge) return bridge.error();
    bridges.push_back(ctx.args[0]);
  }
  ctx.print_after_commit([bridges](const Config&, Runtime* runtime) -> json {
    if (runtime)
      for (const auto& b : bridges) runtime->fdb_flush(b);
    return nullptr;
  });
  return std::nullopt;
}

// fdb/add BRIDGE PORT VLAN MAC: a static entry, kept in the database.
Status add_static_mac(CommandContext& ctx) {
  const Words& args = ctx.args;
  auto entry = need_entry(ctx, "fdb/add", 2);
  if (!entry) return entry.error();
  BridgeConfig* bridge = entry->bridge;
  const MacKey& key = entry->key;
  if (!bridge->find_port(args[1]))
    return not_found_error("fdb/add: bridge " + args[0] + " does not have a port " + args[1]);
  if (std::stoul(key.mac.substr(0, 2), nullptr, 16) & 1)
    return invalid_error("fdb/add: " + key.mac + " is a multicast address");
  if (auto it = find_static(*bridge, key); it != bridge->static_macs.end())
    it->port = args[1];
  else
    bridge->static_macs.push_back(StaticMac{args[1], key.vlan, key.mac});
  return std::nullopt;
}

// fdb/del BRIDGE VLAN MAC: a static entry from the database, else a learnt one from the switch.
Status delete_mac(CommandContext& ctx) {
  const Words& args = ctx.args;
  auto entry = need_entry(ctx, "fdb/del", 1);
  if (!entry) return entry.error();
  const MacKey* key = &entry->key;
  if (auto it = find_static(*entry->bridge, *key); it != entry->bridge->static_macs.end()) {
    entry->bridge->static_macs.erase(it);
    return std::nullopt;
  }
  bool learnt = false;
  if (ctx.runtime)
    for (const auto& r : ctx.runtime->fdb_show(args[0]))
      learnt |= r.vlan == key->vlan && r.mac == key->mac;
  if (!learnt)
    return not_found_error("fdb/del: no entry for " + key->mac + " on VLAN " +
                           std::to_string(key->vlan));
  ctx.print_after_commit([name = args[0], k = *key](const Config&, Runtime* runtime) -> json {
    if (runtime) runtime->fdb_del(name, k.vlan, k.mac);
    return nullptr;
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
