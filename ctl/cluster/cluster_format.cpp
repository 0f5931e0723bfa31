#include "ctl/cluster/cluster_format.hpp"

#include <sstream>

namespace lvs::ctl::cluster {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string list(const json& a) {
  std::string s;
  if (!a.is_array()) return s;
  for (const auto& v : a)
    s += (s.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
  return s.empty() ? "-" : s;
}

}  // namespace

std::string format_cluster(const json& j) {
  std::ostringstream o;
  if (j.contains("error") && !j.contains("members")) return "error: " + str(j, "error") + "\n";
  o << "cluster " << str(j, "store") << " as " << str(j, "host_id") << ": "
    << (j.value("connected", false) ? "connected" : "not connected") << ", revision "
    << str(j, "revision") << "\n";
  if (!str(j, "error").empty()) o << "  error: " << str(j, "error") << "\n";
  o << "  subnet: " << (str(j, "subnet").empty() ? "-" : str(j, "subnet"))
    << ", local endpoints: " << str(j, "local_endpoints") << "\n";
  o << "  members:\n";
  for (const auto& m : j.value("members", json::array()))
    o << "    " << str(m, "id") << (m.value("self", false) ? " (self)" : "") << "  underlay "
      << str(m, "underlay_ip") << "  vnis " << list(m["vnis"]) << "  subnet "
      << (str(m, "subnet").empty() ? "-" : str(m, "subnet")) << "  lease age "
      << str(m, "lease_age_s") << " s  tunnels " << list(m["tunnels"]) << "\n";
  o << "  tunnels:\n";
  for (const auto& t : j.value("tunnels", json::array()))
    o << "    " << str(t, "port") << "  bridge " << str(t, "bridge") << "  vni " << str(t, "vni")
      << (str(t, "vlan").empty() ? "" : "  vlan " + str(t, "vlan")) << "  -> " << str(t, "member")
      << " (" << str(t, "remote_ip") << ")" << (t.value("attached", false) ? "" : "  not attached")
      << (str(t, "error").empty() ? "" : "  error: " + str(t, "error")) << "\n";
  o << "  remote endpoints:\n";
  for (const auto& e : j.value("remote_endpoints", json::array()))
    o << "    " << str(e, "mac") << "  " << (str(e, "ip").empty() ? "-" : str(e, "ip")) << "  vni "
      << str(e, "vni") << "  vlan " << str(e, "vlan") << "  on " << str(e, "port") << " ("
      << str(e, "host") << ")\n";
  return o.str();
}

}  // namespace lvs::ctl::cluster
