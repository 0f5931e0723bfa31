#include "ctl/commands.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "ctl/ipam_commands.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

enum class Table { kBridge, kPort, kInterface, kOpenVswitch };

struct Spec {
  size_t min_args, max_args;
  std::set<std::string> options;
  bool read_only;
};

const std::map<std::string, Spec>& specs() {
  static const std::map<std::string, Spec> kSpecs = {
      {"add-br", {1, 1, {"--may-exist"}, false}},
      {"del-br", {1, 1, {"--if-exists"}, false}},
      {"list-br", {0, 0, {}, true}},
      {"br-exists", {1, 1, {}, true}},
      {"add-port", {2, SIZE_MAX, {"--may-exist"}, false}},
      {"del-port", {1, 2, {"--if-exists"}, false}},
      {"list-ports", {1, 1, {}, true}},
      {"port-to-br", {1, 1, {}, true}},
      {"set", {3, SIZE_MAX, {"--if-exists"}, false}},
      {"get", {3, SIZE_MAX, {"--if-exists"}, true}},
      {"remove", {4, SIZE_MAX, {"--if-exists"}, false}},
      {"clear", {3, SIZE_MAX, {"--if-exists"}, false}},
      {"list", {1, SIZE_MAX, {"--if-exists"}, true}},
      {"show", {0, 0, {}, true}},
      {"fdb/show", {1, 1, {}, true}},
      {"fdb/flush", {0, 1, {}, false}},
      {"fdb/add", {4, 4, {}, false}},
      {"fdb/del", {3, 3, {}, false}},
      {"fdb/stats-show", {1, 1, {}, true}},
      {"dpif/pmd-stats-show", {0, 0, {}, true}},
  };
  // Commands kept in their own files register here (ipam_commands.hpp).
  static const std::map<std::string, Spec> kAll = [] {
    auto all = kSpecs;
    for (const auto& s : ipam_command_specs())
      all[s.name] = {s.min_args, s.max_args, {s.options.begin(), s.options.end()}, s.read_only};
    return all;
  }();
  return kAll;
}

Error syntax(std::string m) { return make_error(kErrSyntax, std::move(m)); }
Error invalid(std::string m) { return make_error(kErrInvalid, std::move(m)); }
Error not_found(std::string m) { return make_error(kErrNotFound, std::move(m)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<Table> parse_table(const std::string& word) {
  const std::string w = lower(word);
  if (w == "bridge") return Table::kBridge;
  if (w == "port") return Table::kPort;
  if (w == "interface") return Table::kInterface;
  if (w == "open_vswitch") return Table::kOpenVswitch;
  return std::nullopt;
}

const char* table_name(Table t) {
  switch (t) {
    case Table::kBridge: return "Bridge";
    case Table::kPort: return "Port";
    case Table::kInterface: return "Interface";
    case Table::kOpenVswitch: return "Open_vSwitch";
  }
  return "?";
}

// OVS quoting: "a \"b\"" -> a "b"; bare words pass through.
std::string unquote(const std::string& s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return s;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

bool is_empty_set(const std::string& v) { return v == "[]" || v == "{}" || v.empty(); }

// "10,20", "[10, 20]", "10 20" -> ints in 0..4095.
Result<std::vector<int>> parse_vlan_list(const std::string& column, const std::string& value) {
  std::string v = value;
  if (!v.empty() && v.front() == '[') v.erase(0, 1);
  if (!v.empty() && v.back() == ']') v.pop_back();
  for (auto& c : v)
    if (c == ',') c = ' ';
  std::vector<int> out;
  size_t pos = 0;
  while (pos < v.size()) {
    while (pos < v.size() && v[pos] == ' ') ++pos;
    if (pos >= v.size()) break;
    size_t end = v.find(' ', pos);
    if (end == std::string::npos) end = v.size();
    const std::string word = v.substr(pos, end - pos);
    auto n = parse_int(word, 0, 4095);
    if (!n) return invalid(column + ": \"" + word + "\" is not a VLAN id (0..4095)");
    if (std::find(out.begin(), out.end(), static_cast<int>(*n)) == out.end())
      out.push_back(static_cast<int>(*n));
    pos = end;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "{a=1, b="x y"}" -> map.
Result<StringMap> parse_map_literal(const std::string& column, const std::string& value) {
  StringMap out;
  std::string v = value;
  if (v.size() < 2 || v.front() != '{' || v.back() != '}')
    return invalid(column + ": \"" + value + "\" is not a map (use " + column + ":KEY=VALUE or {KEY=VALUE,...})");
  v = v.substr(1, v.size() - 2);
  size_t pos = 0;
  while (pos < v.size()) {
    while (pos < v.size() && (v[pos] == ' ' || v[pos] == ',')) ++pos;
    if (pos >= v.size()) break;
    bool quoted = false;
    size_t end = pos;
    for (; end < v.size(); ++end) {
      if (v[end] == '"') quoted = !quoted;
      if (!quoted && v[end] == ',') break;
    }
    const std::string item = v.substr(pos, end - pos);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid(column + ": \"" + item + "\" is not KEY=VALUE");
    out[unquote(item.substr(0, eq))] = unquote(item.substr(eq + 1));
    pos = end;
  }
  return out;
}

json map_to_json(const StringMap& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json stats_json(const sw::PortCounters& c) {
  json j = json::object();
  j["rx_packets"] = c.rx_packets;
  j["rx_bytes"] = c.rx_bytes;
  j["tx_packets"] = c.tx_packets;
  j["tx_bytes"] = c.tx_bytes;
  j["drops"] = c.total_drops();
  for (size_t i = 0; i < c.drops.size(); ++i)
    j["drop_" + std::string(sw::to_string(static_cast<sw::DropReason>(i)))] = c.drops[i];
  return j;
}

// A record of Bridge, Port or Interface, or the Open_vSwitch record: pointers into the
// configuration.
struct Record {
  BridgeConfig* bridge = nullptr;
  PortConfig* port = nullptr;
  Config* global = nullptr;
};

const std::set<std::string> kBridgeColumns = {"name", "other_config", "external_ids", "ports"};
const std::set<std::string> kPortColumns = {"name",         "tag",         "trunks",
                                            "vlan_mode",    "admin_state", "external_ids",
                                            "other_config", "interfaces", "protected"};
const std::set<std::string> kInterfaceColumns = {"name", "type", "options", "external_ids",
                                                 "admin_state", "mtu_request", "mtu", "error",
                                                 "link_state", "mac_in_use", "statistics"};
const std::set<std::string> kOpenVswitchColumns = {"bridges", "other_config"};
const std::set<std::string> kReadOnly = {"name",  "ports",      "interfaces", "bridges",   "mtu",
                                         "error", "link_state", "mac_in_use", "statistics"};
const std::set<std::string> kMapColumns = {"other_config", "external_ids", "options", "statistics"};

const std::set<std::string>& columns_of(Table t) {
  switch (t) {
    case Table::kBridge: return kBridgeColumns;
    case Table::kPort: return kPortColumns;
    case Table::kInterface: return kInterfaceColumns;
    case Table::kOpenVswitch: return kOpenVswitchColumns;
  }
  return kBridgeColumns;
}

Status check_column(Table t, const std::string& col) {
  if (!columns_of(t).count(col))
    return invalid(std::string(table_name(t)) + " has no column \"" + col + "\"");
  return std::nullopt;
}

StringMap* map_of(Table t, Record r, const std::string& col) {
  if (t == Table::kOpenVswitch) return &r.global->other_config;
  if (t == Table::kBridge) return col == "other_config" ? &r.bridge->other_config : &r.bridge->external_ids;
  if (col == "options") return &r.port->options;
  if (col == "external_ids") return &r.port->external_ids;
  if (col == "other_config") return &r.port->other_config;
  return nullptr;
}

// Splits "col:key=value" / "col=value" / "col:key" / "col".
struct ColumnArg {
  std::string column;
  std::optional<std::string> key;
  std::optional<std::string> value;
};
ColumnArg split_column_arg(const std::string& word) {
  ColumnArg a;
  std::string lhs = word;
  // The key may itself contain '=' only inside quotes; OVS splits at the first '=' after the key.
  const size_t colon = word.find(':');
  const size_t eq = word.find('=');
  if (eq != std::string::npos) {
    lhs = word.substr(0, eq);
    a.value = unquote(word.substr(eq + 1));
  }
  if (colon != std::string::npos && (eq == std::string::npos || colon < eq)) {
    a.column = lhs.substr(0, colon);
    a.key = unquote(lhs.substr(colon + 1));
  } else {
    a.column = lhs;
  }
  return a;
}

Status set_column(Table t, Record r, const ColumnArg& a) {
  const std::string& col = a.column;
  if (auto e = check_column(t, col)) return e;
  if (kReadOnly.count(col)) return invalid("column " + col + " of " + table_name(t) + " is read-only");
  if (!a.value) return syntax(col + ": missing \"=VALUE\"");
  const std::string& v = *a.value;
  if (kMapColumns.count(col)) {
    StringMap* m = map_of(t, r, col);
    if (a.key) {
      if (a.key->empty()) return invalid(col + ": empty key");
      (*m)[*a.key] = v;
    } else if (is_empty_set(v)) {
      m->clear();
    } else {
      auto parsed = parse_map_literal(col, v);
      if (!parsed) return parsed.error();
      *m = std::move(*parsed);
    }
    return std::nullopt;
  }
  if (a.key) return invalid("column " + col + " is not a map: \"" + col + ":" + *a.key + "\"");
  PortConfig& p = *r.port;
  if (col == "tag") {
    if (is_empty_set(v)) {
      p.tag.reset();
    } else {
      auto n = parse_int(v, 0, 4095);
      if (!n) return invalid("tag: \"" + v + "\" is not a VLAN id (0..4095)");
      p.tag = static_cast<int>(*n);
    }
  } else if (col == "trunks") {
    auto list = parse_vlan_list("trunks", v);
    if (!list) return list.error();
    p.trunks = std::move(*list);
  } else if (col == "vlan_mode") {
    if (is_empty_set(v)) {
      p.vlan_mode.clear();
    } else if (v != "access" && v != "trunk" && v != "native-tagged" && v != "native-untagged") {
      return invalid("vlan_mode: \"" + v + "\" is not one of access, trunk, native-tagged, native-untagged");
    } else {
      p.vlan_mode = v;
    }
  } else if (col == "protected") {
    if (v != "true" && v != "false") return invalid("protected: \"" + v + "\" is not true or false");
    p.protected_port = v == "true";
  } else if (col == "admin_state") {
    if (v != "up" && v != "down") return invalid("admin_state: \"" + v + "\" is not up or down");
    p.admin_up = v == "up";
  } else if (col == "type") {
    if (!is_known_port_type(v)) return invalid("type: unknown port type \"" + v + "\"");
    p.type = v;
  } else if (col == "mtu_request") {
    if (is_empty_set(v)) {
      p.mtu_request.reset();
    } else {
      auto n = parse_int(v, 68, 65535);
      if (!n) return invalid("mtu_request: \"" + v + "\" is not in 68..65535");
      p.mtu_request = static_cast<int>(*n);
    }
  }
  return std::nullopt;
}

Status clear_column(Table t, Record r, const std::string& col) {
  if (auto e = check_column(t, col)) return e;
  if (kReadOnly.count(col)) return invalid("column " + col + " of " + table_name(t) + " is read-only");
  if (kMapColumns.count(col)) {
    map_of(t, r, col)->clear();
    return std::nullopt;
  }
  PortConfig& p = *r.port;
  if (col == "tag") p.tag.reset();
  else if (col == "trunks") p.trunks.clear();
  else if (col == "vlan_mode") p.vlan_mode.clear();
  else if (col == "mtu_request") p.mtu_request.reset();
  else if (col == "type") p.type.clear();
  else if (col == "admin_state") p.admin_up = true;
  else if (col == "protected") p.protected_port = false;
  return std::nullopt;
}

Status remove_values(Table t, Record r, const std::string& col, const Words& values) {
  if (auto e = check_column(t, col)) return e;
  if (kReadOnly.count(col)) return invalid("column " + col + " of " + table_name(t) + " is read-only");
  if (kMapColumns.count(col)) {
    StringMap* m = map_of(t, r, col);
    for (const auto& raw : values) {
      const size_t eq = raw.find('=');
      const std::string key = unquote(raw.substr(0, eq));
      auto it = m->find(key);
      if (it == m->end()) continue;
      if (eq == std::string::npos || it->second == unquote(raw.substr(eq + 1))) m->erase(it);
    }
    return std::nullopt;
  }
  PortConfig& p = *r.port;
  if (col == "trunks") {
    for (const auto& raw : values) {
      auto list = parse_vlan_list("trunks", raw);
      if (!list) return list.error();
      for (int vid : *list) p.trunks.erase(std::remove(p.trunks.begin(), p.trunks.end(), vid), p.trunks.end());
    }
    return std::nullopt;
  }
  // Optional scalars: removing the current value clears it (OVS semantics).
  for (const auto& raw : values) {
    const std::string v = unquote(raw);
    if (col == "tag" && p.tag && std::to_string(*p.tag) == v) p.tag.reset();
    else if (col == "mtu_request" && p.mtu_request && std::to_string(*p.mtu_request) == v) p.mtu_request.reset();
    else if (col == "vlan_mode" && p.vlan_mode == v) p.vlan_mode.clear();
    else if (col == "type" || col == "admin_state" || col == "protected")
      return invalid("column " + col + " cannot be removed from; use set or clear");
  }
  return std::nullopt;
}

// Column value of a record; runtime columns read `rt`.
json column_value(Table t, const BridgeConfig& b, const PortConfig* p, const std::string& col,
                  const Runtime* rt) {
  if (t == Table::kBridge) {
    if (col == "name") return b.name;
    if (col == "other_config") return map_to_json(b.other_config);
    if (col == "external_ids") return map_to_json(b.external_ids);
    if (col == "ports") {
      json a = json::array();
      for (const auto& port : b.ports) a.push_back(port.name);
      return a;
    }
    return nullptr;
  }
  if (col == "name") return p->name;
  if (col == "interfaces") return json::array({p->name});
  if (col == "tag") return p->tag ? json(*p->tag) : json::array();
  if (col == "trunks") return p->trunks;
  if (col == "vlan_mode") return p->vlan_mode.empty() ? json::array() : json(p->vlan_mode);
  if (col == "admin_state") return p->admin_up ? "up" : "down";
  if (col == "protected") return p->protected_port;
  if (col == "external_ids") return map_to_json(p->external_ids);
  if (col == "other_config") return map_to_json(p->other_config);
  if (col == "type") return p->type;
  if (col == "options") return map_to_json(p->options);
  if (col == "mtu_request") return p->mtu_request ? json(*p->mtu_request) : json::array();
  InterfaceState st;
  if (rt) st = rt->interface_state(b.name, p->name);
  if (col == "error") return st.error.empty() ? json::array() : json(st.error);
  if (col == "link_state") return st.attached ? json(st.status.link_up ? "up" : "down") : json::array();
  if (col == "mtu") return st.attached ? json(st.status.mtu) : json::array();
  if (col == "mac_in_use") return st.attached && !st.status.mac.empty() ? json(st.status.mac) : json::array();
  if (col == "statistics") return st.attached ? stats_json(st.counters) : json::object();
  return nullptr;
}

// Column value of the Open_vSwitch record.
json global_value(const Config& c, const std::string& col) {
  if (col == "other_config") return map_to_json(c.other_config);
  if (col == "bridges") {
    json a = json::array();
    for (const auto& b : c.bridges) a.push_back(b.name);
    return a;
  }
  return nullptr;
}

json global_record_json(const Config& c) {
  json j = json::object();
  for (const auto& col : kOpenVswitchColumns) j[col] = global_value(c, col);
  return j;
}

bool is_runtime_column(const std::string& col) {
  return col == "error" || col == "link_state" || col == "mtu" || col == "mac_in_use" ||
         col == "statistics";
}

json record_json(Table t, const BridgeConfig& b, const PortConfig* p, const Runtime* rt) {
  json j = json::object();
  for (const auto& col : columns_of(t)) j[col] = column_value(t, b, p, col, rt);
  return j;
}

}  // namespace

std::vector<Words> split_chain(const Words& words) {
  std::vector<Words> out;
  Words cur;
  for (const auto& w : words) {
    if (w == "--") {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(w);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<Command> parse_command(const Words& segment) {
  Command c;
  size_t i = 0;
  while (i < segment.size() && segment[i].size() > 2 && segment[i].rfind("--", 0) == 0)
    c.options.push_back(segment[i++]);
  if (i >= segment.size()) return syntax("missing command name after options");
  c.name = segment[i++];
  auto it = specs().find(c.name);
  if (it == specs().end()) return syntax("unknown command \"" + c.name + "\"; try vsctl --help");
  for (const auto& o : c.options)
    if (!it->second.options.count(o))
      return syntax(c.name + ": unknown option \"" + o + "\"");
  c.args.assign(segment.begin() + static_cast<long>(i), segment.end());
  const Spec& s = it->second;
  if (c.args.size() < s.min_args || c.args.size() > s.max_args) {
    std::string want = s.min_args == s.max_args ? std::to_string(s.min_args)
                       : s.max_args == SIZE_MAX ? "at least " + std::to_string(s.min_args)
                                                : std::to_string(s.min_args) + " to " + std::to_string(s.max_args);
    return syntax(c.name + ": expects " + want + " argument(s), got " + std::to_string(c.args.size()));
  }
  return c;
}

std::vector<std::string> command_names() {
  std::vector<std::string> out;
  for (const auto& [name, s] : specs()) out.push_back(name);
  return out;
}

bool is_read_only(const std::string& name) {
  auto it = specs().find(name);
  return it != specs().end() && it->second.read_only;
}

json show_json(const Config& config, const Runtime* rt) {
  json bridges = json::array();
  for (const auto& b : config.bridges) {
    json jb;
    jb["name"] = b.name;
    jb["other_config"] = map_to_json(b.other_config);
    jb["external_ids"] = map_to_json(b.external_ids);
    json ports = json::array();
    for (const auto& p : b.ports) {
      json jp;
      jp["name"] = p.name;
      jp["tag"] = p.tag ? json(*p.tag) : json(nullptr);
      jp["trunks"] = p.trunks;
      jp["vlan_mode"] = p.vlan_mode;
      jp["admin_state"] = p.admin_up ? "up" : "down";
      if (p.protected_port) jp["protected"] = true;
      if (!p.other_config.empty()) jp["other_config"] = map_to_json(p.other_config);
      json ji;
      ji["name"] = p.name;
      ji["type"] = p.type;
      ji["options"] = map_to_json(p.options);
      InterfaceState st;
      if (rt) st = rt->interface_state(b.name, p.name);
      ji["error"] = st.error;
      if (p.mtu_request) ji["mtu_request"] = *p.mtu_request;
      jp["interfaces"] = json::array({ji});
      ports.push_back(std::move(jp));
    }
    jb["ports"] = std::move(ports);
    bridges.push_back(std::move(jb));
  }
  return json{{"bridges", bridges}};
}

Status Engine::run(const std::vector<Words>& chain) {
  std::vector<Command> cmds;
  for (const auto& seg : chain) {
    auto c = parse_command(seg);
    if (!c) return c.error();
    cmds.push_back(std::move(*c));
  }
  outputs_.assign(cmds.size(), nullptr);
  for (size_t i = 0; i < cmds.size(); ++i)
    if (auto e = run_one(cmds[i], i)) return e;
  return std::nullopt;
}

void Engine::finish() {
  for (auto& [slot, fn] : deferred_) outputs_[slot] = fn();
  deferred_.clear();
}

Status Engine::run_one(const Command& cmd, size_t slot) {
  auto has = [&](const char* o) {
    return std::find(cmd.options.begin(), cmd.options.end(), o) != cmd.options.end();
  };
  const Words& a = cmd.args;
  Config& c = config_;
  Runtime* rt = runtime_;
  const std::string& n = cmd.name;

  auto need_bridge = [&](const std::string& name) -> Result<BridgeConfig*> {
    BridgeConfig* b = c.find_bridge(name);
    if (!b) return not_found("no bridge named " + name);
    return b;
  };

  if (is_ipam_command(n)) return run_ipam_command(c, cmd, outputs_[slot]);
  if (n == "add-br") {
    if (auto e = validate_name("bridge", a[0])) return e;
    if (c.find_bridge(a[0])) {
      if (has("--may-exist")) return std::nullopt;
      return make_error(kErrExists, "cannot create a bridge named " + a[0] + " because a bridge named " + a[0] + " already exists");
    }
    if (c.bridge_of_port(a[0]))
      return make_error(kErrExists, "cannot create a bridge named " + a[0] + " because a port named " + a[0] + " already exists");
    BridgeConfig b;
    b.name = a[0];
    // ovs-vsctl's habit: every bridge has its own internal port, named after it.
    b.ports.push_back(local_port_config(a[0]));
    c.bridges.push_back(std::move(b));
    return std::nullopt;
  }
  if (n == "del-br") {
    auto it = std::find_if(c.bridges.begin(), c.bridges.end(), [&](auto& b) { return b.name == a[0]; });
    if (it == c.bridges.end()) return has("--if-exists") ? Status{} : Status{not_found("no bridge named " + a[0])};
    c.bridges.erase(it);
    return std::nullopt;
  }
  if (n == "list-br") {
    json out = json::array();
    std::vector<std::string> names;
    for (const auto& b : c.bridges) names.push_back(b.name);
    std::sort(names.begin(), names.end());
    for (auto& nm : names) out.push_back(nm);
    outputs_[slot] = out;
    return std::nullopt;
  }
  if (n == "br-exists") {
    outputs_[slot] = json{{"exists", c.find_bridge(a[0]) != nullptr}};
    return std::nullopt;
  }
  if (n == "add-port") {
    auto b = need_bridge(a[0]);
    if (!b) return b.error();
    const std::string& port = a[1];
    if (auto e = validate_name("port", port)) return e;
    if (BridgeConfig* other = c.bridge_of_port(port)) {
      if (other == *b && has("--may-exist")) return std::nullopt;
      return make_error(kErrExists, "cannot create a port named " + port + " because a port named " + port +
                                        " already exists on bridge " + other->name);
    }
    PortConfig p;
    p.name = port;
    for (size_t i = 2; i < a.size(); ++i) {
      ColumnArg ca = split_column_arg(a[i]);
      if (!ca.value) return syntax("add-port: \"" + a[i] + "\" is not COLUMN=VALUE");
      // Port and Interface columns both apply: the port has exactly one interface.
      const Table t = kPortColumns.count(ca.column) ? Table::kPort : Table::kInterface;
      if (!kPortColumns.count(ca.column) && !kInterfaceColumns.count(ca.column))
        return invalid("add-port: Port has no column \"" + ca.column + "\"");
      if (auto e = set_column(t, Record{*b, &p}, ca)) return e;
    }
    (*b)->ports.push_back(std::move(p));
    return std::nullopt;
  }
  if (n == "del-port") {
    const std::string& port = a.back();
    BridgeConfig* b = c.bridge_of_port(port);
    if (a.size() == 2) {
      auto br = need_bridge(a[0]);
      if (!br) return br.error();
      if (b && b != *br) return not_found("bridge " + a[0] + " does not have a port " + port);
    }
    if (!b) return has("--if-exists") ? Status{} : Status{not_found("no port named " + port)};
    if (port == b->name)
      return invalid("cannot delete port " + port + " because it is the local port for bridge " + port +
                     " (deleting this port requires deleting the entire bridge)");
    b->ports.erase(std::remove_if(b->ports.begin(), b->ports.end(), [&](auto& p) { return p.name == port; }),
                   b->ports.end());
    auto& macs = b->static_macs;
    macs.erase(std::remove_if(macs.begin(), macs.end(), [&](auto& m) { return m.port == port; }), macs.end());
    return std::nullopt;
  }
  if (n == "list-ports") {
    auto b = need_bridge(a[0]);
    if (!b) return b.error();
    std::vector<std::string> names;
    // As ovs-vsctl: the bridge's local port is not listed.
    for (const auto& p : (*b)->ports)
      if (p.name != (*b)->name) names.push_back(p.name);
    std::sort(names.begin(), names.end());
    outputs_[slot] = names;
    return std::nullopt;
  }
  if (n == "port-to-br") {
    BridgeConfig* b = c.bridge_of_port(a[0]);
    if (!b) return not_found("no port named " + a[0]);
    outputs_[slot] = b->name;
    return std::nullopt;
  }
  if (n == "set" || n == "get" || n == "remove" || n == "clear" || n == "list") {
    auto t = parse_table(a[0]);
    if (!t)
      return invalid("unknown table \"" + a[0] +
                     "\" (known: Bridge, Port, Interface, Open_vSwitch)");
    // Open_vSwitch has exactly one record, named "." as in ovs-vsctl.
    auto no_global_row = [&](const std::string& rec) {
      return not_found("no row \"" + rec + "\" in table Open_vSwitch (its one record is \".\")");
    };
    if (n == "list" && *t == Table::kOpenVswitch) {
      for (size_t i = 1; i < a.size(); ++i)
        if (a[i] != ".") return no_global_row(a[i]);
      defer(slot, [this]() { return json::array({global_record_json(config_)}); });
      return std::nullopt;
    }
    if (n == "list") {
      std::vector<std::pair<BridgeConfig*, PortConfig*>> recs;
      if (a.size() == 1) {
        for (auto& b : c.bridges) {
          if (*t == Table::kBridge) recs.emplace_back(&b, nullptr);
          else for (auto& p : b.ports) recs.emplace_back(&b, &p);
        }
      } else {
        for (size_t i = 1; i < a.size(); ++i) {
          BridgeConfig* b = *t == Table::kBridge ? c.find_bridge(a[i]) : c.bridge_of_port(a[i]);
          if (!b) {
            if (has("--if-exists")) continue;
            return not_found(std::string("no row \"") + a[i] + "\" in table " + table_name(*t));
          }
          recs.emplace_back(b, *t == Table::kBridge ? nullptr : b->find_port(a[i]));
        }
      }
      std::vector<std::pair<std::string, std::string>> keys;  // bridge, port: survive the commit
      for (auto& [b, p] : recs) keys.emplace_back(b->name, p ? p->name : "");
      const Table tt = *t;
      defer(slot, [this, keys, tt]() {
        json out = json::array();
        for (const auto& [bn, pn] : keys) {
          const BridgeConfig* b = config_.find_bridge(bn);
          if (!b) continue;
          const PortConfig* p = pn.empty() ? nullptr : b->find_port(pn);
          if (!pn.empty() && !p) continue;
          out.push_back(record_json(tt, *b, p, runtime_));
        }
        return out;
      });
      return std::nullopt;
    }
    const std::string& rec = a[1];
    Record r;
    if (*t == Table::kOpenVswitch) {
      if (rec != ".") return no_global_row(rec);
      r.global = &c;
    } else if (*t == Table::kBridge) {
      r.bridge = c.find_bridge(rec);
    } else {
      r.bridge = c.bridge_of_port(rec);
      if (r.bridge) r.port = r.bridge->find_port(rec);
    }
    if (!r.bridge && !r.global) {
      if (has("--if-exists")) return std::nullopt;
      return not_found(std::string("no row \"") + rec + "\" in table " + table_name(*t));
    }
    if (n == "set") {
      for (size_t i = 2; i < a.size(); ++i) {
        ColumnArg ca = split_column_arg(a[i]);
        if (!ca.value) return syntax("set: \"" + a[i] + "\" is not COLUMN[:KEY]=VALUE");
        if (auto e = set_column(*t, r, ca)) return e;
      }
      return std::nullopt;
    }
    if (n == "clear") {
      for (size_t i = 2; i < a.size(); ++i)
        if (auto e = clear_column(*t, r, a[i])) return e;
      return std::nullopt;
    }
    if (n == "remove") {
      return remove_values(*t, r, a[2], Words(a.begin() + 3, a.end()));
    }
    // get
    std::vector<json> values;
    bool runtime_needed = false;
    for (size_t i = 2; i < a.size(); ++i) {
      ColumnArg ca = split_column_arg(a[i]);
      if (ca.value) return syntax("get: \"" + a[i] + "\" is not COLUMN[:KEY]");
      if (auto e = check_column(*t, ca.column)) return e;
      runtime_needed |= is_runtime_column(ca.column);
      json v = r.global ? global_value(c, ca.column)
                        : column_value(*t, *r.bridge, r.port, ca.column, nullptr);
      if (ca.key) {
        if (!kMapColumns.count(ca.column)) return invalid("column " + ca.column + " is not a map: \"" + a[i] + "\"");
        if (ca.column == "statistics") {
          values.push_back(nullptr);
          continue;
        }
        if (!v.contains(*ca.key)) {
          if (has("--if-exists")) continue;
          return not_found("no key \"" + *ca.key + "\" in " + table_name(*t) + " record \"" + rec +
                           "\" column " + ca.column);
        }
        v = v[*ca.key];
      }
      values.push_back(v);
    }
    outputs_[slot] = values;
    if (runtime_needed) {
      const std::string bn = r.bridge->name, pn = r.port ? r.port->name : "";
      const Table tt = *t;
      const Words cols(a.begin() + 2, a.end());
      defer(slot, [this, bn, pn, tt, cols, out = outputs_[slot]]() mutable {
        const BridgeConfig* b = config_.find_bridge(bn);
        const PortConfig* p = b && !pn.empty() ? b->find_port(pn) : nullptr;
        if (!b || (!pn.empty() && !p)) return out;
        json fresh = json::array();
        for (const auto& w : cols) {
          ColumnArg ca = split_column_arg(w);
          json v = column_value(tt, *b, p, ca.column, runtime_);
          if (ca.key) {
            if (!v.contains(*ca.key)) continue;
            v = v[*ca.key];
          }
          fresh.push_back(v);
        }
        return fresh;
      });
    }
    return std::nullopt;
  }
  if (n == "show") {
    defer(slot, [this]() { return show_json(config_, runtime_); });
    return std::nullopt;
  }
  if (n == "fdb/show" || n == "fdb/stats-show") {
    auto b = need_bridge(a[0]);
    if (!b) return b.error();
    const std::string bn = a[0];
    const bool show = n == "fdb/show";
    defer(slot, [this, bn, show]() -> json {
      if (show) {
        json rows = json::array();
        if (runtime_)
          for (const auto& r : runtime_->fdb_show(bn))
            rows.push_back({{"port", r.port}, {"vlan", r.vlan}, {"mac", r.mac}, {"age", r.age_s}, {"static", r.is_static}});
        return rows;
      }
      sw::FdbStats s;
      if (runtime_) s = runtime_->fdb_stats(bn);
      return {{"bridge", bn},          {"entries", s.entries}, {"max_entries", s.max_entries},
              {"learned", s.learned},  {"aged", s.aged},       {"evicted", s.evicted},
              {"moved", s.moved},      {"learn_deferred", s.learn_deferred}};
    });
    return std::nullopt;
  }
  if (n == "fdb/flush") {
    std::vector<std::string> bridges;
    if (a.empty()) {
      for (const auto& b : c.bridges) bridges.push_back(b.name);
    } else {
      auto b = need_bridge(a[0]);
      if (!b) return b.error();
      bridges.push_back(a[0]);
    }
    defer(slot, [this, bridges]() -> json {
      if (runtime_)
        for (const auto& b : bridges) runtime_->fdb_flush(b);
      return nullptr;
    });
    return std::nullopt;
  }
  if (n == "fdb/add" || n == "fdb/del") {
    auto b = need_bridge(a[0]);
    if (!b) return b.error();
    const bool add = n == "fdb/add";
    const std::string& vlan_word = add ? a[2] : a[1];
    const std::string& mac_word = add ? a[3] : a[2];
    auto vlan = parse_int(vlan_word, 0, 4095);
    if (!vlan) return invalid(n + ": VLAN \"" + vlan_word + "\" is not in 0..4095");
    auto mac = canonical_mac(mac_word);
    if (!mac) return invalid(n + ": \"" + mac_word + "\" is not a MAC address");
    auto& macs = (*b)->static_macs;
    auto it = std::find_if(macs.begin(), macs.end(),
                           [&](auto& m) { return m.vlan == *vlan && m.mac == *mac; });
    if (add) {
      if (!(*b)->find_port(a[1])) return not_found(n + ": bridge " + a[0] + " does not have a port " + a[1]);
      if (std::stoul(mac->substr(0, 2), nullptr, 16) & 1)
        return invalid(n + ": " + *mac + " is a multicast address");
      if (it != macs.end()) it->port = a[1];
      else macs.push_back(StaticMac{a[1], static_cast<int>(*vlan), *mac});
      return std::nullopt;
    }
    if (it != macs.end()) {
      macs.erase(it);
      return std::nullopt;
    }
    bool learnt = false;
    if (rt)
      for (const auto& r : rt->fdb_show(a[0])) learnt |= r.vlan == *vlan && r.mac == *mac;
    if (!learnt) return not_found(n + ": no entry for " + *mac + " on VLAN " + std::to_string(*vlan));
    const std::string bn = a[0];
    const int v = static_cast<int>(*vlan);
    const std::string m = *mac;
    defer(slot, [this, bn, v, m]() -> json {
      if (runtime_) runtime_->fdb_del(bn, v, m);
      return nullptr;
    });
    return std::nullopt;
  }
  if (n == "dpif/pmd-stats-show") {
    defer(slot, [this]() -> json {
      json out = json::array();
      if (!runtime_) return out;
      for (const auto& s : runtime_->pmd_stats()) {
        const uint64_t total = s.busy_cycles + s.idle_cycles + s.sleep_cycles;
        auto share = [total](uint64_t part, double none) {
          return total ? static_cast<double>(part) / static_cast<double>(total) : none;
        };
        out.push_back({{"pmd", s.index},
                       {"core", s.core},
                       {"packets", s.packets},
                       {"busy_cycles", s.busy_cycles},
                       {"idle_cycles", s.idle_cycles},
                       {"sleep_cycles", s.sleep_cycles},
                       {"wakeups", s.wakeups},
                       {"iterations", s.iterations},
                       {"cycles_per_packet", s.packets ? static_cast<double>(s.busy_cycles) /
                                                             static_cast<double>(s.packets)
                                                       : 0.0},
                       {"busy_share", share(s.busy_cycles, 0.0)},
                       {"idle_share", share(s.idle_cycles, 1.0)},
                       {"sleep_share", share(s.sleep_cycles, 0.0)},
                       {"rx_queues", s.rx_queues}});
      }
      return out;
    });
    return std::nullopt;
  }
  return syntax("unknown command \"" + n + "\"");
}

}  // namespace lvs::ctl
