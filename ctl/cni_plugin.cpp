#include "ctl/cni_plugin.hpp"

#include "ctl/cni_ipam.hpp"
#include "ctl/cni_switch.hpp"
#include "ctl/derived_mac.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

Reply error_reply(const CniError& e, const std::string& version) {
  json j = {
      {"cniVersion", version.empty() ? kLatestVersion : version}, {"code", e.code}, {"msg", e.msg}};
  if (!e.details.empty()) j["details"] = e.details;
  return Reply{j.dump(), 1};
}

Reply version_reply(const std::string& stdin_text) {
  // The cniVersion given on input (SPEC.md "VERSION Success"); the latest when none is.
  std::string version = kLatestVersion;
  try {
    const json j = json::parse(stdin_text);
    if (j.is_object() && j.contains("cniVersion") && j["cniVersion"].is_string() &&
        !j["cniVersion"].get<std::string>().empty())
      version = j["cniVersion"].get<std::string>();
  } catch (const json::exception&) {
  }
  return Reply{json{{"cniVersion", version}, {"supportedVersions", supported_versions()}}.dump(),
               0};
}

CniStatus cmd_status(const NetConf& n, const Env& env) {
  if (auto e = switch_ping(n.socket)) return e;
  return ipam_status(n, env);
}

}  // namespace

std::string host_port_name(const Env& env) {
  return host_veth_name(env.container_id, "cni:" + env.container_id, env.ifname);
}

Reply run_plugin(const Env& env, const std::string& stdin_text) {
  const std::string& c = env.command;
  if (c == "VERSION") return version_reply(stdin_text);
  if (c != "ADD" && c != "DEL" && c != "CHECK" && c != "GC" && c != "STATUS")
    return error_reply(cni_error(kInvalidEnvironment, "unknown CNI_COMMAND \"" + c + "\"",
                                 "one of ADD, DEL, CHECK, GC, STATUS, VERSION"),
                       "");
  auto n = parse_net_conf(stdin_text, c, env);
  if (!n) {
    std::string version;
    try {
      const json j = json::parse(stdin_text);
      if (j.is_object() && j.contains("cniVersion") && j["cniVersion"].is_string())
        version = j["cniVersion"].get<std::string>();
    } catch (const json::exception&) {
    }
    bool known = false;
    for (const auto& v : supported_versions()) known = known || v == version;
    return error_reply(n.error(), known ? version : "");
  }
  if (auto e = check_env(env)) return error_reply(*e, n->cni_version);
  if (c == "ADD") {
    auto r = cmd_add(*n, env);
    if (!r) return error_reply(r.error(), n->cni_version);
    return Reply{r->dump(), 0};
  }
  CniStatus e;
  if (c == "DEL")
    e = cmd_del(*n, env);
  else if (c == "CHECK")
    e = cmd_check(*n, env);
  else if (c == "GC")
    e = cmd_gc(*n, env);
  else
    e = cmd_status(*n, env);
  if (e) return error_reply(*e, n->cni_version);
  return Reply{"", 0};
}

}  // namespace lvs::ctl::cni
