#include "ctl/cni_ipam.hpp"

#include "ctl/cni_exec.hpp"
#include "ctl/cni_own_ipam.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

// The lowest version whose results parse_result() reads.
constexpr const char* kOldestResultVersion = "0.3.0";

// A delegated plugin's error output, passed on as it is (its code, msg and details).
CniError plugin_error(const std::string& type, const std::string& command, const PluginOutput& o) {
  try {
    const json e = json::parse(o.out);
    if (e.is_object() && e.contains("code") && e["code"].is_number_integer())
      return cni_error(e["code"].get<int>(), e.value("msg", type + " " + command + " failed"),
                       e.value("details", std::string()));
  } catch (const json::exception&) {
  }
  return cni_error(
      kIoFailure,
      "IPAM plugin " + type + " " + command + " failed (exit " + std::to_string(o.exit_code) + ")",
      o.out);
}

struct Delegate {
  std::string path, version;  // version: empty when the plugin cannot take this command
};

// Finds the plugin and the version to call it at: the network's own when it speaks it, else
// the highest older one it speaks (never below 0.3.0); for GC and STATUS only 1.1.0 or later.
CniResult<Delegate> delegate_for(const NetConf& n, const Env& env, const std::string& command) {
  auto path = find_plugin(n.ipam_type, env.path);
  if (!path) return path.error();
  auto out = exec_plugin(*path, "VERSION", json{{"cniVersion", n.cni_version}}.dump());
  if (!out) return out.error();
  if (out->exit_code != 0) return plugin_error(n.ipam_type, "VERSION", *out);
  json info;
  try {
    info = json::parse(out->out);
  } catch (const json::exception& e) {
    return cni_error(kDecodingFailure, "cannot decode the VERSION answer of " + n.ipam_type,
                     e.what());
  }
  if (!info.is_object() || !info.contains("supportedVersions") ||
      !info["supportedVersions"].is_array())
    return cni_error(kDecodingFailure, "cannot decode the VERSION answer of " + n.ipam_type,
                     out->out);
  Delegate d{*path, ""};
  for (const auto& v : info["supportedVersions"]) {
    if (!v.is_string()) continue;
    const std::string s = v.get<std::string>();
    if (compare_versions(s, n.cni_version) > 0 || compare_versions(s, kOldestResultVersion) < 0)
      continue;
    if (d.version.empty() || compare_versions(s, d.version) > 0) d.version = s;
  }
  const bool new_command = command == "GC" || command == "STATUS";
  if (new_command && !d.version.empty() && compare_versions(d.version, "1.1.0") < 0)
    d.version.clear();
  if (d.version.empty() && !new_command)
    return cni_error(
        kIncompatibleVersion, "incompatible CNI versions",
        "IPAM plugin " + n.ipam_type + " speaks none of the versions up to " + n.cni_version);
  return d;
}

// The configuration as the delegate gets it: complete, at the version it is called at.
std::string stdin_for(const NetConf& n, const std::string& version) {
  json conf = n.raw;
  conf["cniVersion"] = version;
  if (conf.contains("prevResult") && conf["prevResult"].is_object()) {
    conf["prevResult"]["cniVersion"] = version;
    // Before 1.0.0 every ip named its family.
    if (compare_versions(version, "1.0.0") < 0 && conf["prevResult"].contains("ips"))
      for (auto& ip : conf["prevResult"]["ips"]) ip["version"] = "4";
  }
  return conf.dump();
}

CniResult<std::string> run_delegate(const NetConf& n, const Env& env, const std::string& command) {
  auto d = delegate_for(n, env, command);
  if (!d) return d.error();
  if (d->version.empty()) return std::string();  // GC / STATUS the plugin does not know
  auto out = exec_plugin(d->path, command, stdin_for(n, d->version));
  if (!out) return out.error();
  if (out->exit_code != 0) return plugin_error(n.ipam_type, command, *out);
  return out->out;
}

}  // namespace

CniResult<IpamLease> ipam_add(const NetConf& n, const Env& env) {
  if (n.ipam_type.empty()) return IpamLease{};
  if (n.ipam_type == kOwnIpamType) return own_ipam_add(n, env);
  auto out = run_delegate(n, env, "ADD");
  if (!out) return out.error();
  // The IPAM plugin has leased what it answered: a result we cannot use gives it back.
  auto refuse = [&](CniError e) -> CniResult<IpamLease> {
    static_cast<void>(run_delegate(n, env, "DEL"));
    return e;
  };
  json j;
  try {
    j = json::parse(*out);
  } catch (const json::exception& e) {
    return refuse(cni_error(kDecodingFailure,
                            "cannot decode the result of IPAM plugin " + n.ipam_type, e.what()));
  }
  auto r = parse_result(j);
  if (!r) return refuse(r.error());
  for (auto& ip : r->ips) ip.interface.reset();
  if (r->ips.empty())
    return refuse(cni_error(kInvalidConfig,
                            "IPAM plugin " + n.ipam_type + " returned no IPv4 address", *out));
  return IpamLease{*r, ""};
}

CniStatus ipam_del(const NetConf& n, const Env& env) {
  if (n.ipam_type.empty()) return std::nullopt;
  if (n.ipam_type == kOwnIpamType) return own_ipam_del(n, env);
  if (auto out = run_delegate(n, env, "DEL"); !out) return out.error();
  return std::nullopt;
}

CniStatus ipam_check(const NetConf& n, const Env& env) {
  if (n.ipam_type.empty()) return std::nullopt;
  if (n.ipam_type == kOwnIpamType) return own_ipam_check(n, env);
  if (auto out = run_delegate(n, env, "CHECK"); !out) return out.error();
  return std::nullopt;
}

CniStatus ipam_gc(const NetConf& n, const Env& env) {
  if (n.ipam_type.empty()) return std::nullopt;
  if (n.ipam_type == kOwnIpamType) return own_ipam_gc(n);
  if (auto out = run_delegate(n, env, "GC"); !out) return out.error();
  return std::nullopt;
}

CniStatus ipam_status(const NetConf& n, const Env& env) {
  if (n.ipam_type.empty()) return std::nullopt;
  if (n.ipam_type == kOwnIpamType) return own_ipam_status(n);
  auto out = run_delegate(n, env, "STATUS");
  if (!out) {
    CniError e = out.error();
    if (e.code != kNotAvailable && e.code != kNotAvailable + 1) e.code = kNotAvailable;
    return e;
  }
  return std::nullopt;
}

}  // namespace lvs::ctl::cni
