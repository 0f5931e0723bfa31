#include "ctl/big_tcp_sync.hpp"

#include <net/if.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "ctl/log.hpp"
#include "ctl/netns.hpp"
#include "ctl/port_kind.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/big_tcp.hpp"
#include "ports/kernel_netdev.hpp"

namespace lvs::ctl {
namespace {

constexpr uint32_t kLegacyGsoSize = 65536;

uint32_t tso_max_size_of(const std::string& name) {
  const unsigned ifindex = if_nametoindex(name.c_str());
  return ifindex ? ports::netdev_link_info(static_cast<int>(ifindex)).tso_max_size : 0;
}

// The namespace the caller's names `nsid` (a veth peer's, IFLA_LINK_NETNSID): among those of
// /run/netns and of the processes (a container's namespace has at least one process or a
// bind mount), each looked at once.
std::optional<NetnsFd> netns_by_id(int nsid) {
  std::set<std::pair<dev_t, ino_t>> seen;
  auto try_path = [&](const std::string& path) -> std::optional<NetnsFd> {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0 || !seen.insert({st.st_dev, st.st_ino}).second) return std::nullopt;
    auto ns = NetnsFd::open(path);
    if (!ns || ports::netns_id_of(ns->fd()) != nsid) return std::nullopt;
    return std::move(*ns);
  };
  std::error_code ec;
  for (const char* dir : {"/run/netns", "/var/run/docker/netns"})
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (auto ns = try_path(e.path().string())) return ns;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto ns = try_path("/proc/" + pid + "/ns/net")) return ns;
  }
  return std::nullopt;
}

using ports::GsoFamily;
constexpr GsoFamily kFamilies[] = {GsoFamily::kIpv4, GsoFamily::kIpv6};
const char* family_name(GsoFamily f) { return f == GsoFamily::kIpv4 ? "IPv4" : "IPv6"; }
const char* size_name(GsoFamily f) {
  return f == GsoFamily::kIpv4 ? "gso_ipv4_max_size" : "gso_max_size";
}

// Sets the size on the veth peer `host` names: here, or in the namespace it is in.
std::string set_peer_sizes(const ports::NetdevLinkInfo& host, const uint32_t (&size)[2]) {
  if (host.link_netnsid < 0) return ports::set_netdev_gso_max_sizes(host.link, size);
  auto ns = netns_by_id(host.link_netnsid);
  if (!ns) return "the peer's namespace (id " + std::to_string(host.link_netnsid) + ") not found";
  std::string e;
  if (auto err = run_in_netns(*ns, [&]() -> Status {
        e = ports::set_netdev_gso_max_sizes(host.link, size);
        return std::nullopt;
      }))
    return err->message;
  return e;
}

std::string read_file(const char* path) {
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  return text.str();
}

std::array<std::string, 2> narrow_uplinks() {
  return {uplink_without_big_tso(read_file("/proc/net/route"), tso_max_size_of),
          uplink6_without_big_tso(read_file("/proc/net/ipv6_route"), tso_max_size_of)};
}

bool bridge_encapsulates(const BridgeConfig& b) {
  for (const auto& p : b.ports)
    if (const PortKind* k = find_port_kind(effective_type(p)); k && k->mtu_overhead) return true;
  return false;
}

}  // namespace

std::string uplink_without_big_tso(const std::string& routes, uint32_t (*tso_max_size)(const std::string&)) {
  std::istringstream in(routes);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
    if (!(f >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    if (dest == "00000000" && mask == "00000000" && tso_max_size(iface) <= kLegacyGsoSize) return iface;
  }
  return "";
}

std::string uplink6_without_big_tso(const std::string& routes,
                                    uint32_t (*tso_max_size)(const std::string&)) {
  constexpr unsigned long kRtfReject = 0x0200;
  std::istringstream in(routes);
  std::string line;
  while (std::getline(in, line)) {  // no header
    std::istringstream f(line);
    std::string dest, dest_len, src, src_len, next_hop, metric, refcnt, use, flags, iface;
    if (!(f >> dest >> dest_len >> src >> src_len >> next_hop >> metric >> refcnt >> use >> flags >>
          iface))
      continue;
    if (dest != std::string(32, '0') || dest_len != "00") continue;
    if (std::strtoul(flags.c_str(), nullptr, 16) & kRtfReject) continue;
    if (tso_max_size(iface) <= kLegacyGsoSize) return iface;
  }
  return "";
}

bool BigTcpSync::uplinks_changed() const { return narrow_uplinks() != narrow_uplink_; }

void BigTcpSync::commit(const Config& config, const std::map<std::string, std::shared_ptr<sw::Port>>& open) {
  for (auto d = done_.begin(); d != done_.end();)  // ports gone: forgotten
    d = open.count(d->first) ? std::next(d) : done_.erase(d);
  std::array<std::string, 2> narrow = narrow_uplinks();
  for (GsoFamily f : kFamilies) {
    const std::string& now = narrow[static_cast<int>(f)];
    // Why no port gets it for this family, once per change.
    if (!now.empty() && now != narrow_uplink_[static_cast<int>(f)] && config.big_tcp())
      log_info(std::string("BIG TCP off for ") + family_name(f) + ": the " + family_name(f) +
               " default route leaves by " + now +
               ", which takes no TSO frame over 64 KiB (the kernel would cut every one)");
  }
  narrow_uplink_ = std::move(narrow);
  for (const auto& b : config.bridges) {
    const bool bridge_ok = config.big_tcp() && !bridge_encapsulates(b);
    std::array<uint32_t, 2> sizes{};
    for (GsoFamily f : kFamilies)
      sizes[static_cast<int>(f)] = bridge_ok && narrow_uplink_[static_cast<int>(f)].empty()
                                       ? ports::kBigTcpGsoSize
                                       : kLegacyGsoSize;
    for (const auto& p : b.ports) {
      auto it = open.find(p.name);
      if (it == open.end()) continue;
      auto* port = dynamic_cast<ports::AfPacketPort*>(it->second.get());
      if (port == nullptr || port->kind() != "system") continue;
      if (auto d = done_.find(p.name); d != done_.end() && d->second.port == port &&
                                       d->second.ifindex == port->ifindex() &&
                                       d->second.size == sizes)
        continue;
      // What follows is tried once per port and sizes.
      done_[p.name] = {port, port->ifindex(), sizes};
      const ports::NetdevLinkInfo host = ports::netdev_link_info(port->ifindex());
      if (host.kind != "veth" || host.link == 0) continue;
      // What each end gets: the size wanted where it has 65536 or kBigTcpGsoSize, else what it
      // has (a size someone else chose, sent again beside a lowered IPv6 one, which would
      // lower it too; 0: a kernel without it, IPv4 before 6.3, not sent).
      uint32_t set[2];
      std::string changed, what;
      for (GsoFamily f : kFamilies) {
        const int i = static_cast<int>(f);
        const uint32_t had = host.gso_size[i];
        set[i] = had == kLegacyGsoSize || had == ports::kBigTcpGsoSize ? sizes[i] : had;
        if (set[i] == had) continue;
        if (set[i] == ports::kBigTcpGsoSize) port->expect_big_frames();
        changed += std::string(changed.empty() ? "" : ", ") + family_name(f) + " BIG TCP " +
                   (set[i] == ports::kBigTcpGsoSize ? "on" : "off");
        what += std::string(what.empty() ? "" : ", ") + size_name(f) + " " + std::to_string(set[i]);
      }
      if (changed.empty()) continue;  // done, or sizes someone else chose
      // The container end first (what its TCP sends), then the host end (what tells the port).
      std::string e = set_peer_sizes(host, set);
      if (e.empty()) e = ports::set_netdev_gso_max_sizes(port->ifindex(), set);
      if (!e.empty()) {
        if (warned_.insert(p.name).second)
          log_warn("port " + p.name + ": cannot set " + what + " on its veth: " + e);
        continue;
      }
      warned_.erase(p.name);
      log_info("port " + p.name + ": " + changed + " (" + what + " on both ends of its veth)");
    }
  }
}

}  // namespace lvs::ctl
