#include "ctl/ipam_commands.hpp"

#include <algorithm>

#include "ctl/ipam.hpp"

namespace lvs::ctl {

const std::vector<IpamCommandSpec>& ipam_command_specs() {
  static const std::vector<IpamCommandSpec> kSpecs = {
      {"ipam/alloc", 2, 4, {}, false},
      {"ipam/release", 2, 2, {"--if-exists"}, false},
      {"ipam/show", 0, 1, {}, true},
      {"ipam/add-pool", 2, 3, {"--may-exist"}, false},
      {"ipam/del-pool", 1, 1, {"--if-exists"}, false},
  };
  return kSpecs;
}

bool is_ipam_command(const std::string& name) { return name.rfind("ipam/", 0) == 0; }

Status run_ipam_command(Config& c, const Command& cmd, nlohmann::json& out) {
  const bool may_exist = std::count(cmd.options.begin(), cmd.options.end(), "--may-exist") > 0;
  const bool if_exists = std::count(cmd.options.begin(), cmd.options.end(), "--if-exists") > 0;
  const Words& a = cmd.args;
  const std::string& n = cmd.name;
  if (n == "ipam/alloc") {
    std::optional<uint32_t> want;
    if (a.size() >= 3 && a[2] != "auto") {
      // "A" or "A/P" (the prefix, when given, must be the pool's).
      std::string word = a[2];
      std::optional<int> prefix;
      if (auto slash = word.find('/'); slash != std::string::npos) {
        auto p = parse_ipv4_prefix(word);
        if (!p) return make_error(kErrInvalid, "ipam/alloc: \"" + a[2] + "\" is not an IPv4 address");
        prefix = p->prefix;
        word = word.substr(0, slash);
      }
      want = parse_ipv4(word);
      if (!want) return make_error(kErrInvalid, "ipam/alloc: \"" + a[2] + "\" is not an IPv4 address");
      if (prefix) {
        auto pool = find_pool(c, a[0]);
        if (!pool) return pool.error();
        if (pool->subnet.prefix != *prefix)
          return make_error(kErrInvalid, "ipam/alloc: " + a[2] + " does not have pool " + a[0] +
                                             "'s prefix /" + std::to_string(pool->subnet.prefix));
      }
    }
    auto lease = ipam_alloc(c, a[0], a[1], want, a.size() == 4 ? a[3] : "");
    if (!lease) return lease.error();
    out = lease_json(*lease);
    return std::nullopt;
  }
  if (n == "ipam/release") return ipam_release(c, a[0], a[1], if_exists);
  if (n == "ipam/show") {
    auto j = ipam_show(c, a.empty() ? "" : a[0]);
    if (!j) return j.error();
    out = *j;
    return std::nullopt;
  }
  if (n == "ipam/add-pool") return ipam_add_pool(c, a[0], a[1], a.size() == 3 ? a[2] : "", may_exist);
  if (n == "ipam/del-pool") return ipam_del_pool(c, a[0], if_exists);
  return make_error(kErrSyntax, "unknown command \"" + n + "\"");
}

}  // namespace lvs::ctl
