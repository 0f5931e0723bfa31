#include "ctl/output_format.hpp"

#include <cctype>
#include <cstdio>
#include <sstream>

namespace lvs::ctl {
namespace {

using nlohmann::json;

// Bare words stay bare; anything else is quoted as OVS does.
std::string format_string(const std::string& s) {
  bool bare = !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0]));
  for (char c : s)
    bare &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  if (bare && s != "true" && s != "false") return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string fmt_double(double v, const char* f) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string format_show(const json& out) {
  std::ostringstream o;
  for (const auto& b : out["bridges"]) {
    o << "    Bridge " << format_string(b["name"].get<std::string>()) << "\n";
    if (!b["other_config"].empty()) o << "        other_config: " << format_datum(b["other_config"]) << "\n";
    if (!b["external_ids"].empty()) o << "        external_ids: " << format_datum(b["external_ids"]) << "\n";
    for (const auto& p : b["ports"]) {
      o << "        Port " << format_string(p["name"].get<std::string>()) << "\n";
      if (!p["tag"].is_null()) o << "            tag: " << p["tag"].get<int>() << "\n";
      if (!p["trunks"].empty()) o << "            trunks: " << format_datum(p["trunks"]) << "\n";
      if (!p["vlan_mode"].get<std::string>().empty())
        o << "            vlan_mode: " << p["vlan_mode"].get<std::string>() << "\n";
      if (p["admin_state"] == "down") o << "            admin_state: down\n";
      if (p.value("protected", false)) o << "            protected: true\n";
      if (p.contains("other_config"))
        o << "            other_config: " << format_datum(p["other_config"]) << "\n";
      for (const auto& i : p["interfaces"]) {
        o << "            Interface " << format_string(i["name"].get<std::string>()) << "\n";
        if (!i["type"].get<std::string>().empty())
          o << "                type: " << i["type"].get<std::string>() << "\n";
        if (!i["options"].empty()) o << "                options: " << format_datum(i["options"]) << "\n";
        if (i.contains("mtu_request")) o << "                mtu_request: " << i["mtu_request"].get<int>() << "\n";
        if (!i["error"].get<std::string>().empty())
          o << "                error: " << format_datum(i["error"]) << "\n";
      }
    }
  }
  return o.str();
}

std::string format_fdb(const json& out) {
  std::ostringstream o;
  o << " port             VLAN  MAC                Age\n";
  for (const auto& r : out) {
    o << " " << pad(r["port"].get<std::string>(), 16, false) << " "
      << pad(std::to_string(r["vlan"].get<int>()), 4, true) << "  " << r["mac"].get<std::string>() << "  "
      << (r["static"].get<bool>() ? std::string("static") : std::to_string(r["age"].get<uint64_t>()))
      << "\n";
  }
  return o.str();
}

std::string format_fdb_stats(const json& s) {
  std::ostringstream o;
  o << "Statistics for bridge \"" << s["bridge"].get<std::string>() << "\":\n"
    << "  Current/maximum MAC entries in the table: " << s["entries"].get<uint64_t>() << "/"
    << s["max_entries"].get<uint64_t>() << "\n"
    << "  Total number of learned MAC entries     : " << s["learned"].get<uint64_t>() << "\n"
    << "  Total number of expired MAC entries     : " << s["aged"].get<uint64_t>() << "\n"
    << "  Total number of evicted MAC entries     : " << s["evicted"].get<uint64_t>() << "\n"
    << "  Total number of port moved MAC entries  : " << s["moved"].get<uint64_t>() << "\n"
    << "  Learning deferred (writer busy)         : " << s["learn_deferred"].get<uint64_t>() << "\n";
  return o.str();
}

std::string format_pmd(const json& out) {
  std::ostringstream o;
  for (const auto& p : out) {
    const int core = p["core"].get<int>();
    o << "pmd thread " << p["pmd"].get<unsigned>() << " core_id "
      << (core < 0 ? std::string("any") : std::to_string(core)) << ":\n";
    // Shares are of busy + idle + sleep cycles (computed by the engine).
    auto pct = [&](const char* key) {
      return fmt_double(100.0 * p[key].get<double>(), "%.2f") + "%";
    };
    o << "  packets received: " << p["packets"].get<uint64_t>() << "\n"
      << "  avg cycles per packet: " << fmt_double(p["cycles_per_packet"].get<double>(), "%.2f")
      << "\n"
      << "  idle cycles: " << p["idle_cycles"].get<uint64_t>() << " (" << pct("idle_share") << ")\n"
      << "  processing cycles: " << p["busy_cycles"].get<uint64_t>() << " (" << pct("busy_share")
      << ")\n"
      << "  sleep cycles: " << p["sleep_cycles"].get<uint64_t>() << " (" << pct("sleep_share")
      << ")\n"
      << "  wake-ups: " << p["wakeups"].get<uint64_t>() << "\n"
      << "  rx queues:";
    if (p["rx_queues"].empty()) o << " (none)";
    for (const auto& q : p["rx_queues"]) o << " " << q.get<std::string>();
    o << "\n";
  }
  return o.str();
}

std::string format_records(const json& out) {
  std::ostringstream o;
  bool first = true;
  for (const auto& rec : out) {
    if (!first) o << "\n";
    first = false;
    size_t width = 0;
    for (const auto& [k, v] : rec.items()) width = std::max(width, k.size());
    for (const auto& [k, v] : rec.items()) o << pad(k, width, false) << " : " << format_datum(v) << "\n";
  }
  return o.str();
}

}  // namespace

std::string format_datum(const json& v) {
  if (v.is_null()) return "[]";
  if (v.is_string()) return format_string(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_datum(v[i]);
    return s + "]";
  }
  std::string s = "{";
  bool first = true;
  for (const auto& [k, val] : v.items()) {
    s += (first ? "" : ", ") + format_string(k) + "=" + format_datum(val);
    first = false;
  }
  return s + "}";
}

std::string format_output(const Command& cmd, const json& out, Format format) {
  if (out.is_null()) return "";
  if (format == Format::kJson) return out.dump() + "\n";
  const std::string& n = cmd.name;
  if (n == "list-br" || n == "list-ports") {
    std::string s;
    for (const auto& name : out) s += name.get<std::string>() + "\n";
    return s;
  }
  if (n == "port-to-br") return out.get<std::string>() + "\n";
  if (n == "br-exists") return "";
  if (n == "get") {
    std::string s;
    for (const auto& v : out) s += format_datum(v) + "\n";
    return s;
  }
  if (n == "show") return format_show(out);
  if (n == "list") return format_records(out);
  if (n == "fdb/show") return format_fdb(out);
  if (n == "fdb/stats-show") return format_fdb_stats(out);
  if (n == "dpif/pmd-stats-show") return format_pmd(out);
  return out.dump() + "\n";
}

}  // namespace lvs::ctl
