#include "ctl/commands/columns.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "ctl/commands/handlers.hpp"
#include "ctl/config_json.hpp"

namespace lvs::ctl {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
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
    if (!n) return invalid_error(column + ": \"" + word + "\" is not a VLAN id (0..4095)");
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
    return invalid_error(column + ": \"" + value + "\" is not a map (use " + column +
                         ":KEY=VALUE or {KEY=VALUE,...})");
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
      return invalid_error(column + ": \"" + item + "\" is not KEY=VALUE");
    out[unquote(item.substr(0, eq))] = unquote(item.substr(eq + 1));
    pos = end;
  }
  return out;
}

const std::set<std::string> kBridgeColumns = {"name", "other_config", "external_ids", "ports",
                                              "rstp_enable", "rstp_status"};
const std::set<std::string> kPortColumns = {"name",         "tag",         "trunks",
                                            "vlan_mode",    "admin_state", "external_ids",
                                            "other_config", "interfaces",  "protected"};
const std::set<std::string> kInterfaceColumns = {
    "name", "type",  "options",    "external_ids", "admin_state", "mtu_request",
    "mtu",  "error", "link_state", "mac_in_use",   "statistics",
    "ingress_policing_rate", "ingress_policing_burst"};
const std::set<std::string> kOpenVswitchColumns = {"bridges", "other_config"};
const std::set<std::string> kReadOnly = {"name",  "ports",      "interfaces", "bridges",   "mtu",
                                         "error", "link_state", "mac_in_use", "statistics",
                                         "rstp_status"};
const std::set<std::string> kMapColumns = {"other_config", "external_ids", "options", "statistics"};

const std::set<std::string>& columns_of(Table t) {
  switch (t) {
    case Table::kBridge:
      return kBridgeColumns;
    case Table::kPort:
      return kPortColumns;
    case Table::kInterface:
      return kInterfaceColumns;
    case Table::kOpenVswitch:
      return kOpenVswitchColumns;
  }
  return kBridgeColumns;
}

StringMap* map_of(Table t, Record r, const std::string& col) {
  if (t == Table::kOpenVswitch) return &r.global->other_config;
  if (t == Table::kBridge)
    return col == "other_config" ? &r.bridge->other_config : &r.bridge->external_ids;
  if (col == "options") return &r.port->options;
  if (col == "external_ids") return &r.port->external_ids;
  if (col == "other_config") return &r.port->other_config;
  return nullptr;
}

// An optional integer column: empty unsets it, else a number in [lo, hi] (`error` otherwise).
Status set_optional_int(std::optional<int>& column, const std::string& value, int lo, int hi,
                        const std::string& error) {
  if (is_empty_set(value)) {
    column.reset();
    return std::nullopt;
  }
  auto n = parse_int(value, lo, hi);
  if (!n) return invalid_error(error);
  column = static_cast<int>(*n);
  return std::nullopt;
}

// ingress_policing_rate / ingress_policing_burst (OVS: integers, at least 0).
uint64_t* policing_column(PortConfig& p, const std::string& col) {
  if (col == "ingress_policing_rate") return &p.ingress_policing_rate;
  if (col == "ingress_policing_burst") return &p.ingress_policing_burst;
  return nullptr;
}

// The names of bridges or ports, as a JSON array.
template <typename Records>
json names_of(const Records& records) {
  json names = json::array();
  for (const auto& r : records) names.push_back(r.name);
  return names;
}

}  // namespace

std::optional<Table> parse_table(const std::string& word) {
  const std::string w = lower(word);
  if (w == "bridge") return Table::kBridge;
  if (w == "port") return Table::kPort;
  if (w == "interface") return Table::kInterface;
  if (w == "open_vswitch") return Table::kOpenVswitch;
  return std::nullopt;
}

const char* table_name(Table t) {
  constexpr const char* kNames[] = {"Bridge", "Port", "Interface", "Open_vSwitch"};
  return kNames[static_cast<size_t>(t)];
}

Status check_column(Table t, const std::string& col) {
  if (!columns_of(t).count(col))
    return invalid_error(std::string(table_name(t)) + " has no column \"" + col + "\"");
  return std::nullopt;
}

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
  if (kReadOnly.count(col))
    return invalid_error("column " + col + " of " + table_name(t) + " is read-only");
  if (!a.value) return syntax_error(col + ": missing \"=VALUE\"");
  const std::string& v = *a.value;
  if (kMapColumns.count(col)) {
    StringMap* m = map_of(t, r, col);
    if (a.key) {
      if (a.key->empty()) return invalid_error(col + ": empty key");
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
  if (a.key)
    return invalid_error("column " + col + " is not a map: \"" + col + ":" + *a.key + "\"");
  if (t == Table::kBridge && col == "rstp_enable") {
    if (v != "true" && v != "false")
      return invalid_error("rstp_enable: \"" + v + "\" is not true or false");
    r.bridge->rstp_enable = v == "true";
    return std::nullopt;
  }
  PortConfig& p = *r.port;
  if (col == "tag") {
    return set_optional_int(p.tag, v, 0, 4095, "tag: \"" + v + "\" is not a VLAN id (0..4095)");
  } else if (col == "trunks") {
    auto list = parse_vlan_list("trunks", v);
    if (!list) return list.error();
    p.trunks = std::move(*list);
  } else if (col == "vlan_mode") {
    if (is_empty_set(v)) {
      p.vlan_mode.clear();
    } else if (v != "access" && v != "trunk" && v != "native-tagged" && v != "native-untagged") {
      return invalid_error("vlan_mode: \"" + v +
                           "\" is not one of access, trunk, native-tagged, native-untagged");
    } else {
      p.vlan_mode = v;
    }
  } else if (col == "protected") {
    if (v != "true" && v != "false")
      return invalid_error("protected: \"" + v + "\" is not true or false");
    p.protected_port = v == "true";
  } else if (col == "admin_state") {
    if (v != "up" && v != "down")
      return invalid_error("admin_state: \"" + v + "\" is not up or down");
    p.admin_up = v == "up";
  } else if (col == "type") {
    if (!is_known_port_type(v)) return invalid_error("type: unknown port type \"" + v + "\"");
    p.type = v;
  } else if (col == "mtu_request") {
    return set_optional_int(p.mtu_request, v, 68, 65535,
                            "mtu_request: \"" + v + "\" is not in 68..65535");
  } else if (uint64_t* field = policing_column(p, col)) {
    auto n = parse_int(v, 0, static_cast<long long>(kMaxRateKbps));
    if (!n)
      return invalid_error(col + ": \"" + v + "\" is not in 0.." + std::to_string(kMaxRateKbps) +
                           (col == "ingress_policing_rate" ? " (kbit/s)" : " (kbit)"));
    *field = static_cast<uint64_t>(*n);
  }
  return std::nullopt;
}

Status clear_column(Table t, Record r, const std::string& col) {
  if (auto e = check_column(t, col)) return e;
  if (kReadOnly.count(col))
    return invalid_error("column " + col + " of " + table_name(t) + " is read-only");
  if (kMapColumns.count(col)) {
    map_of(t, r, col)->clear();
    return std::nullopt;
  }
  if (t == Table::kBridge) {
    if (col == "rstp_enable") r.bridge->rstp_enable = false;
    return std::nullopt;
  }
  PortConfig& p = *r.port;
  if (col == "tag")
    p.tag.reset();
  else if (col == "trunks")
    p.trunks.clear();
  else if (col == "vlan_mode")
    p.vlan_mode.clear();
  else if (col == "mtu_request")
    p.mtu_request.reset();
  else if (col == "type")
    p.type.clear();
  else if (col == "admin_state")
    p.admin_up = true;
  else if (col == "protected")
    p.protected_port = false;
  else if (uint64_t* field = policing_column(p, col))
    *field = 0;
  return std::nullopt;
}

Status remove_values(Table t, Record r, const std::string& col, const Words& values) {
  if (auto e = check_column(t, col)) return e;
  if (kReadOnly.count(col))
    return invalid_error("column " + col + " of " + table_name(t) + " is read-only");
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
  if (t == Table::kBridge)
    return invalid_error("column " + col + " cannot be removed from; use set or clear");
  PortConfig& p = *r.port;
  if (col == "trunks") {
    for (const auto& raw : values) {
      auto list = parse_vlan_list("trunks", raw);
      if (!list) return list.error();
      for (int vid : *list)
        p.trunks.erase(std::remove(p.trunks.begin(), p.trunks.end(), vid), p.trunks.end());
    }
    return std::nullopt;
  }
  // Optional scalars: removing the current value clears it (OVS semantics).
  for (const auto& raw : values) {
    const std::string v = unquote(raw);
    if (col == "tag" && p.tag && std::to_string(*p.tag) == v)
      p.tag.reset();
    else if (col == "mtu_request" && p.mtu_request && std::to_string(*p.mtu_request) == v)
      p.mtu_request.reset();
    else if (col == "vlan_mode" && p.vlan_mode == v)
      p.vlan_mode.clear();
    else if (col == "type" || col == "admin_state" || col == "protected" ||
             policing_column(p, col))
      return invalid_error("column " + col + " cannot be removed from; use set or clear");
  }
  return std::nullopt;
}

// Column value of a record; runtime columns read `rt`.
json column_value(Table t, const BridgeConfig& b, const PortConfig* p, const std::string& col,
                  const Runtime* rt) {
  if (t == Table::kBridge) {
    if (col == "name") return b.name;
    if (col == "other_config") return to_json(b.other_config);
    if (col == "external_ids") return to_json(b.external_ids);
    if (col == "ports") return names_of(b.ports);
    if (col == "rstp_enable") return b.rstp_enable;
    if (col == "rstp_status") {
      auto row = rt && b.rstp_enable ? rt->rstp_show(b.name) : std::nullopt;
      return row ? rstp_json(b.name, *row) : json::object();
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
  if (col == "external_ids") return to_json(p->external_ids);
  if (col == "other_config") return to_json(p->other_config);
  if (col == "type") return p->type;
  if (col == "options") return to_json(p->options);
  if (col == "mtu_request") return p->mtu_request ? json(*p->mtu_request) : json::array();
  if (col == "ingress_policing_rate") return p->ingress_policing_rate;
  if (col == "ingress_policing_burst") return p->ingress_policing_burst;
  InterfaceState st;
  if (rt) st = rt->interface_state(b.name, p->name);
  if (col == "error") return st.error.empty() ? json::array() : json(st.error);
  if (col == "link_state")
    return st.attached ? json(st.status.link_up ? "up" : "down") : json::array();
  if (col == "mtu") return st.attached ? json(st.status.mtu) : json::array();
  if (col == "mac_in_use")
    return st.attached && !st.status.mac.empty() ? json(st.status.mac) : json::array();
  if (col == "statistics") return st.attached ? json(st.statistics) : json::object();
  return nullptr;
}

// Column value of the Open_vSwitch record.
json global_value(const Config& c, const std::string& col) {
  if (col == "other_config") return to_json(c.other_config);
  if (col == "bridges") return names_of(c.bridges);
  return nullptr;
}

json global_record_json(const Config& c) {
  json j = json::object();
  for (const auto& col : kOpenVswitchColumns) j[col] = global_value(c, col);
  return j;
}

bool has_column(Table t, const std::string& col) { return columns_of(t).count(col) > 0; }
bool is_map_column(const std::string& col) { return kMapColumns.count(col) > 0; }

bool is_runtime_column(const std::string& col) {
  return col == "error" || col == "link_state" || col == "mtu" || col == "mac_in_use" ||
         col == "statistics" || col == "rstp_status";
}

json record_json(Table t, const BridgeConfig& b, const PortConfig* p, const Runtime* rt) {
  json j = json::object();
  for (const auto& col : columns_of(t)) j[col] = column_value(t, b, p, col, rt);
  return j;
}

}  // namespace lvs::ctl
