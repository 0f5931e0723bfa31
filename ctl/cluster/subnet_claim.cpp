#include "ctl/cluster/subnet_claim.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "ctl/cluster/key_schema.hpp"
#include "ctl/config.hpp"

namespace lvs::ctl::cluster {
namespace {

constexpr const char* kFileName = "cluster-subnet.json";
constexpr int kMaxContested = 32;  // subnets lost to other hosts' claims before giving up

std::string subnet_text(uint32_t net, int len) {
  return format_ipv4(net) + "/" + std::to_string(len);
}

bool inside(const Ipv4Prefix& cidr, int len, const std::string& subnet) {
  const auto p = parse_ipv4_prefix(subnet);
  return p && p->prefix == len && p->network() == p->addr && cidr.contains(p->addr);
}

}  // namespace

Status check_subnet_request(const SubnetRequest& req) {
  const auto cidr = parse_ipv4_prefix(req.cluster_cidr);
  if (!cidr)
    return make_error(kErrInvalid, "cluster CIDR '" + req.cluster_cidr +
                                       "' is not an IPv4 ADDRESS/PREFIX (e.g. 10.200.0.0/16)");
  if (cidr->network() != cidr->addr)
    return make_error(kErrInvalid, "cluster CIDR '" + req.cluster_cidr +
                                       "' has host bits set (write " +
                                       subnet_text(cidr->network(), cidr->prefix) + ")");
  if (req.host_prefix_len <= cidr->prefix || req.host_prefix_len > 30)
    return make_error(kErrInvalid, "host subnet length /" + std::to_string(req.host_prefix_len) +
                                       " must be longer than /" + std::to_string(cidr->prefix) +
                                       " and at most /30");
  if (req.host_prefix_len - cidr->prefix > 16)
    return make_error(kErrInvalid, "host subnet length /" + std::to_string(req.host_prefix_len) +
                                       " splits " + req.cluster_cidr +
                                       " into more than 65536 subnets");
  if (req.host_id.empty()) return make_error(kErrInvalid, "no host id to claim a subnet for");
  return std::nullopt;
}

Result<std::string> claim_subnet_in_etcd(EtcdClient& etcd, const SubnetRequest& req,
                                         int64_t lease) {
  if (auto bad = check_subnet_request(req)) return *bad;
  const Ipv4Prefix cidr = *parse_ipv4_prefix(req.cluster_cidr);
  const std::string mine = subnet_value(req.host_id);

  // Who holds what now.
  auto held = etcd.range_prefix(req.prefix + "subnets/");
  if (!held) return held.error();
  std::set<std::string> taken;
  std::vector<std::string> candidates;
  if (!req.preferred.empty() && inside(cidr, req.host_prefix_len, req.preferred))
    candidates.push_back(req.preferred);
  for (const auto& kv : held->kvs) {
    const KeyName k = parse_key(req.prefix, kv.key);
    if (k.kind != KeyName::Kind::kSubnet) continue;
    if (parse_subnet_holder(kv.value) == req.host_id && inside(cidr, req.host_prefix_len, k.id))
      candidates.push_back(k.id);  // ours from before (the state file was lost)
    else
      taken.insert(k.id);
  }
  if (req.only_preferred) candidates.resize(std::min<size_t>(candidates.size(), 1));

  int contested = 0;
  auto try_one = [&](const std::string& subnet) -> Result<bool> {
    const std::string key = subnet_key(req.prefix, subnet);
    auto t = etcd.txn({txn_compare_create_revision(key, 0)}, {txn_put(key, mine, lease)},
                      {txn_range(key)});
    if (!t) return t.error();
    if (t->succeeded) return true;
    // Taken: ours already (a restart) -> move it to our lease, unless it changed meanwhile.
    std::string value;
    if (t->responses.is_array() && !t->responses.empty()) {
      const auto& kvs = t->responses[0]["response_range"]["kvs"];
      if (kvs.is_array() && !kvs.empty()) value = parse_kv(kvs[0]).value;
    }
    if (parse_subnet_holder(value) != req.host_id) return false;
    auto again = etcd.txn({txn_compare_value(key, value)}, {txn_put(key, mine, lease)});
    if (!again) return again.error();
    return again->succeeded;
  };

  for (const auto& s : candidates) {
    auto r = try_one(s);
    if (!r) return r.error();
    if (*r) return s;
    taken.insert(s);
    if (++contested > kMaxContested) break;
  }
  if (req.only_preferred)
    return make_error(kErrExists, "subnet " + req.preferred + " is held by another host");
  const uint32_t count = 1u << (req.host_prefix_len - cidr.prefix);
  const uint32_t step = 1u << (32 - req.host_prefix_len);
  for (uint32_t i = 0; i < count && contested <= kMaxContested; ++i) {
    const std::string s = subnet_text(cidr.addr + i * step, req.host_prefix_len);
    if (taken.count(s)) continue;
    auto r = try_one(s);
    if (!r) return r.error();
    if (*r) return s;
    ++contested;  // another host won it between our range and our txn
  }
  return make_error(kErrExists, "no free /" + std::to_string(req.host_prefix_len) + " left in " +
                                    req.cluster_cidr + " (" + std::to_string(taken.size()) +
                                    " of " + std::to_string(count) + " held)");
}

std::optional<std::string> load_remembered_subnet(const std::string& state_dir,
                                                  const std::string& cluster_cidr,
                                                  int host_prefix_len) {
  if (state_dir.empty()) return std::nullopt;
  std::ifstream in(state_dir + "/" + kFileName);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  const auto j = nlohmann::json::parse(s.str(), nullptr, false);
  if (!j.is_object() || j.value("cluster_cidr", "") != cluster_cidr ||
      j.value("host_prefix_len", 0) != host_prefix_len)
    return std::nullopt;
  const std::string subnet = j.value("subnet", "");
  if (subnet.empty()) return std::nullopt;
  return subnet;
}

Status remember_subnet(const std::string& state_dir, const std::string& cluster_cidr,
                       int host_prefix_len, const std::string& subnet) {
  if (state_dir.empty()) return std::nullopt;  // nowhere to remember: a restart claims anew
  const std::string path = state_dir + "/" + kFileName;
  const std::string tmp = path + ".tmp";
  const std::string data =
      nlohmann::json{
          {"cluster_cidr", cluster_cidr}, {"host_prefix_len", host_prefix_len}, {"subnet", subnet}}
          .dump() +
      "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return make_error(kErrIo, "cannot write " + tmp + ": " + std::strerror(errno));
  const bool ok = ::write(fd, data.data(), data.size()) == ssize_t(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(kErrIo, "cannot write " + path + ": " + why);
  }
  return std::nullopt;
}

}  // namespace lvs::ctl::cluster
