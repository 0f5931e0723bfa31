#include "ctl/output_format.hpp"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "ctl/commands/handlers.hpp"
#include "ctl/cluster/cluster_format.hpp"
#include "ctl/trace_format.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (c >= 0xf5 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  // No overlong forms, no surrogates, nothing past U+10FFFF.
  if (n == 3 && ((c == 0xe0 && b(i + 1) < 0xa0) || (c == 0xed && b(i + 1) >= 0xa0))) return 0;
  if (n == 4 && ((c == 0xf0 && b(i + 1) < 0x90) || (c == 0xf4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

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
  return escape_control_chars(out) + "\"";
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

// A bridge's mirrors in show: Open vSwitch's column names, then the counters.
std::string format_show_mirrors(const json& mirrors) {
  std::ostringstream o;
  for (const auto& m : mirrors) {
    o << "        Mirror " << format_string(m["name"].get<std::string>()) << "\n";
    if (m["select_src_port"].empty() && m["select_dst_port"].empty())
      o << "            select_all: true\n";
    for (const char* c : {"select_src_port", "select_dst_port", "select_vlan"})
      if (!m[c].empty()) o << "            " << c << ": " << format_datum(m[c]) << "\n";
    if (m.contains("output_port"))
      o << "            output_port: " << format_string(m["output_port"].get<std::string>()) << "\n";
    if (m.contains("output_pcap"))
      o << "            output_pcap: " << format_string(m["output_pcap"].get<std::string>())
        << " (rotated past " << m["pcap_max_size_mb"].get<uint64_t>() << " MB)\n";
    if (m.contains("statistics"))
      o << "            statistics: " << format_datum(m["statistics"]) << "\n";
  }
  return o.str();
}

std::string format_show(const json& out) {
  std::ostringstream o;
  for (const auto& b : out["bridges"]) {
    o << "    Bridge " << format_string(b["name"].get<std::string>()) << "\n";
    if (!b["other_config"].empty()) o << "        other_config: " << format_datum(b["other_config"]) << "\n";
    if (!b["external_ids"].empty()) o << "        external_ids: " << format_datum(b["external_ids"]) << "\n";
    if (b.value("rstp_enable", false)) o << "        rstp_enable: true\n";
    for (const auto& p : b["ports"]) {
      o << "        Port " << format_string(p["name"].get<std::string>()) << "\n";
      if (!p["tag"].is_null()) o << "            tag: " << p["tag"].get<int>() << "\n";
      if (!p["trunks"].empty()) o << "            trunks: " << format_datum(p["trunks"]) << "\n";
      if (!p["vlan_mode"].get<std::string>().empty())
        o << "            vlan_mode: " << escape_control_chars(p["vlan_mode"].get<std::string>()) << "\n";
      if (p["admin_state"] == "down") o << "            admin_state: down\n";
      if (p.value("protected", false)) o << "            protected: true\n";
      if (p.contains("other_config"))
        o << "            other_config: " << format_datum(p["other_config"]) << "\n";
      for (const auto& i : p["interfaces"]) {
        o << "            Interface " << format_string(i["name"].get<std::string>()) << "\n";
        if (!i["type"].get<std::string>().empty())
          o << "                type: " << escape_control_chars(i["type"].get<std::string>()) << "\n";
        if (!i["options"].empty()) o << "                options: " << format_datum(i["options"]) << "\n";
        if (i.contains("mtu_request")) o << "                mtu_request: " << i["mtu_request"].get<int>() << "\n";
        for (const char* column : {"ingress_policing_rate", "ingress_policing_burst"})
          if (i.contains(column))
            o << "                " << column << ": " << i[column].get<uint64_t>() << "\n";
        if (!i["error"].get<std::string>().empty())
          o << "                error: " << format_datum(i["error"]) << "\n";
      }
    }
    if (b.contains("mirrors")) o << format_show_mirrors(b["mirrors"]);
    if (b.contains("captures"))
      for (const auto& c : b["captures"])
        o << "        Capture " << format_string(c["name"].get<std::string>())
          << "\n            statistics: " << format_datum(c["statistics"]) << "\n";
  }
  return o.str();
}

std::string format_fdb(const json& out) {
  std::ostringstream o;
  o << " port             VLAN  MAC                Age\n";
  for (const auto& r : out) {
    o << " " << pad(escape_control_chars(r["port"].get<std::string>()), 16, false) << " "
      << pad(std::to_string(r["vlan"].get<int>()), 4, true) << "  " << r["mac"].get<std::string>() << "  "
      << (r["static"].get<bool>() ? std::string("static") : std::to_string(r["age"].get<uint64_t>()))
      << "\n";
  }
  return o.str();
}

std::string format_fdb_stats(const json& s) {
  std::ostringstream o;
  o << "Statistics for bridge \"" << escape_control_chars(s["bridge"].get<std::string>()) << "\":\n"
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
    for (const auto& q : p["rx_queues"]) o << " " << escape_control_chars(q.get<std::string>());
    o << "\n";
  }
  return o.str();
}

// Like Open vSwitch's `ovs-appctl rstp/show`.
std::string format_rstp(const json& out) {
  std::ostringstream o;
  for (const auto& b : out) {
    const std::string root_port = b["root_port"].get<std::string>();
    o << "---- " << escape_control_chars(b["bridge"].get<std::string>()) << " ----\n"
      << "Bridge ID:        " << b["bridge_id"].get<std::string>() << "\n"
      << "Designated root:  " << b["root_id"].get<std::string>()
      << (root_port.empty() ? "  (this bridge is the root)" : "") << "\n"
      << "Root path cost:   " << b["root_path_cost"].get<uint32_t>() << "\n"
      << "Root port:        " << (root_port.empty() ? "none" : escape_control_chars(root_port)) << "\n"
      << "Times:            max age " << b["max_age"].get<unsigned>() << " s, hello "
      << b["hello_time"].get<unsigned>() << " s, forward delay "
      << b["forward_delay"].get<unsigned>() << " s\n"
      << "Topology changes: " << b["topology_changes"].get<uint64_t>() << "\n"
      << "  Interface        Role       State       Port  Cost       Edge Peer  Rx BPDU  Tx BPDU\n";
    for (const auto& p : b["ports"]) {
      std::string state = p["state"].get<std::string>();
      if (p["bpdu_guard_tripped"].get<bool>()) state = "bpdu-guard";
      if (p["root_inconsistent"].get<bool>()) state = "root-inc";
      o << "  " << pad(escape_control_chars(p["name"].get<std::string>()), 16, false) << " "
        << pad(p["role"].get<std::string>(), 10, false) << " " << pad(state, 11, false) << " "
        << pad(p["port_id"].get<std::string>(), 5, false) << " "
        << pad(std::to_string(p["path_cost"].get<uint32_t>()), 10, false) << " "
        << pad(p["edge"].get<bool>() ? "yes" : "no", 4, false) << " "
        << pad(p["stp_peer"].get<bool>() ? "stp" : "rstp", 5, false)
        << pad(std::to_string(p["rx_bpdus"].get<uint64_t>()), 8, true) << " "
        << pad(std::to_string(p["tx_bpdus"].get<uint64_t>()), 8, true) << "\n";
    }
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

std::string escape_control_chars(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const char* named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : nullptr;
    if (named) {
      out += named;
      ++i;
      continue;
    }
    if (c < 0x80) {  // the other C0 controls and DEL
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      ++i;
      continue;
    }
    const size_t n = utf8_length(s, i);
    if (n == 0) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
      ++i;
    } else if (n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(s[i + 1]));
      out += buf;  // C1 controls: U+009B is CSI on some terminals
      i += 2;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

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
  // ensure_ascii: valid JSON all the same, and no byte of it a terminal control.
  const auto dump = [&] { return out.dump(-1, ' ', true, json::error_handler_t::replace) + "\n"; };
  if (format == Format::kJson) return dump();
  const CommandSpec* spec = cmd.spec ? cmd.spec : find_command(cmd.name);
  switch (spec ? spec->output : OutputKind::kNone) {
    case OutputKind::kNone:
      return "";
    case OutputKind::kNames: {
      std::string s;
      for (const auto& name : out) s += escape_control_chars(name.get<std::string>()) + "\n";
      return s;
    }
    case OutputKind::kString:
      return escape_control_chars(out.get<std::string>()) + "\n";
    case OutputKind::kValues: {
      std::string s;
      for (const auto& v : out) s += format_datum(v) + "\n";
      return s;
    }
    case OutputKind::kRecords:
      return format_records(out);
    case OutputKind::kShow:
      return format_show(out);
    case OutputKind::kFdb:
      return format_fdb(out);
    case OutputKind::kFdbStats:
      return format_fdb_stats(out);
    case OutputKind::kPmd:
      return format_pmd(out);
    case OutputKind::kJson:
      return dump();
    case OutputKind::kTrace:
      return format_trace(out);
    case OutputKind::kRstp:
      return format_rstp(out);
    case OutputKind::kOffload:
      return format_offload(out);
    case OutputKind::kCluster:
      return cluster::format_cluster(out);
  }
  return dump();
}

}  // namespace lvs::ctl
