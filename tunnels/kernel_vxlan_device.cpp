#include "tunnels/kernel_vxlan_device.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "ports/kernel_netdev.hpp"
#include "ports/veth_pair.hpp"

#ifdef LVS_HAVE_KERNEL_VXLAN
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>

#include "ports/offload/libbpf_tc.hpp"
#include "ports/offload/offload_maps.h"
#include "tunnels/bpf/kernel_vxlan_maps.h"

// The offload's tunnel programs (ports/offload/offload.bpf.c) use the same marks and id width.
static_assert(LVS_TUNNEL_TX_MARK == LVX_TX_MARK && LVS_TUNNEL_RX_MARK == LVX_RX_MARK &&
              LVS_TUNNEL_MARK_MASK == LVX_MARK_MASK &&
              (1u << LVS_TUNNEL_ID_BITS) == LVX_MAX_PORTS);
#include "tunnels/kernel_vxlan_object.hpp"  // generated: the compiled bpf/kernel_vxlan.bpf.c
#endif

namespace lvs::tunnels {

#ifdef LVS_HAVE_KERNEL_VXLAN
namespace {

// Our filters' place on the device (a restarted daemon recognises a killed one's device by it).
constexpr uint32_t kTcHandle = 0x4c58, kTcPriority = 0x4c58;
constexpr int kDeviceMtu = 65535;

using ports::tc_hook;
bpf_tc_opts our_opts(int prog_fd = 0) { return ports::tc_opts(kTcHandle, kTcPriority, prog_fd); }

// By `ifindex` (a device of the same name may already replace ours).
void delete_link(const std::string& name, int ifindex) {
  ports::NetdevRemover().remove(ifindex, name);
}

std::string create_link(const std::string& name, uint16_t dst_port) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) return "cannot open a netlink socket";
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> l(rtnl_link_vxlan_alloc(), rtnl_link_put);
  if (!l) return "out of memory";
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_mtu(l.get(), kDeviceMtu);
  rtnl_link_vxlan_set_collect_metadata(l.get(), 1);
  rtnl_link_vxlan_set_learning(l.get(), 0);
  rtnl_link_vxlan_set_port(l.get(), dst_port);
  const int rc = rtnl_link_add(sock.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL);
  return rc == 0 ? "" : nl_geterror(rc);
}

// The host stack gives the device no IPv6 link-local address (and sends nothing out of it).
void disable_ipv6(const std::string& name) {
  std::ofstream("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6") << "1\n";
}

bool has_our_filter(int ifindex) {
  bpf_tc_hook h = tc_hook(ifindex, BPF_TC_EGRESS);
  bpf_tc_opts o = our_opts();
  return bpf_tc_query(&h, &o) == 0;
}

uint64_t netns_inode() {
  struct stat st{};
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

std::mutex g_mu;
std::map<std::pair<uint64_t, uint16_t>, std::weak_ptr<KernelVxlanDevice>>& registry() {
  static std::map<std::pair<uint64_t, uint16_t>, std::weak_ptr<KernelVxlanDevice>> r;
  return r;
}

// `with_local` false: the remote's LVX_ANY_VNI entry, which has no local address.
void fill_rx_key(const TunnelConfig& c, lvx_rx_key& k, uint32_t vni, bool with_local = true) {
  std::memset(&k, 0, sizeof(k));
  if (c.ipv6) {
    std::memcpy(k.remote, c.remote_ip6.data(), 16);
    if (with_local) std::memcpy(k.local, c.local_ip6.data(), 16);
    k.ipv6 = 1;
  } else {
    k.remote[0] = c.remote_ip;
    if (with_local) k.local[0] = c.local_ip;
  }
  k.vni = vni;
}

bool same_remote(const TunnelConfig& a, const TunnelConfig& b) {
  return a.ipv6 == b.ipv6 && (a.ipv6 ? a.remote_ip6 == b.remote_ip6 : a.remote_ip == b.remote_ip);
}

}  // namespace

bool KernelVxlanDevice::available() { return true; }

std::shared_ptr<KernelVxlanDevice> KernelVxlanDevice::acquire(uint16_t dst_port,
                                                              std::string& error) {
  std::lock_guard lock(g_mu);
  const auto key = std::make_pair(netns_inode(), dst_port);
  if (auto d = registry()[key].lock()) return d;
  std::shared_ptr<KernelVxlanDevice> d(new KernelVxlanDevice());
  if (error = d->open(dst_port); !error.empty()) return nullptr;
  registry()[key] = d;
  return d;
}

std::string KernelVxlanDevice::open(uint16_t dst_port) {
  ports::libbpf_quiet();
  ifname_ = device_name(dst_port);
  if (if_nametoindex(ifname_.c_str()) != 0) ports::delete_netdev(ifname_);  // a killed daemon's: replaced
  if (auto e = create_link(ifname_, dst_port); !e.empty())
    return "cannot create the vxlan device " + ifname_ + ": " + e;
  ifindex_ = static_cast<int>(if_nametoindex(ifname_.c_str()));
  disable_ipv6(ifname_);
  auto fail = [&](std::string e) {
    delete_link(ifname_, ifindex_);
    ifindex_ = 0;
    return e;
  };
  bpf_object_open_opts opts{};
  opts.sz = sizeof(opts);
  opts.object_name = "lvs_kernel_vxlan";
  obj_ = bpf_object__open_mem(kKernelVxlanObject, sizeof(kKernelVxlanObject), &opts);
  if (!obj_) return fail(std::string("cannot open the BPF object: ") + std::strerror(errno));
  if (const int rc = bpf_object__load(obj_); rc != 0)
    return fail(std::string("the kernel refused the BPF programs: ") + std::strerror(-rc));
  tx_map_ = bpf_object__find_map_fd_by_name(obj_, "lvx_tx");
  rx_map_ = bpf_object__find_map_fd_by_name(obj_, "lvx_rx");
  offload_map_ = bpf_object__find_map_fd_by_name(obj_, "lvx_offload");
  const int counters = bpf_object__find_map_fd_by_name(obj_, "lvx_counters");
  const long page = sysconf(_SC_PAGESIZE);
  counters_len_ = (LVX_COUNTERS * sizeof(uint64_t) + page - 1) / page * page;
  void* mem = mmap(nullptr, counters_len_, PROT_READ, MAP_SHARED, counters, 0);
  if (mem == MAP_FAILED)
    return fail(std::string("cannot map the tunnel counters: ") + std::strerror(errno));
  counters_ = static_cast<volatile uint64_t*>(mem);
  for (auto [name, where] : {std::pair{"lvx_egress", BPF_TC_EGRESS},
                             std::pair{"lvx_ingress", BPF_TC_INGRESS}}) {
    bpf_program* p = bpf_object__find_program_by_name(obj_, name);
    bpf_tc_hook h = tc_hook(ifindex_, where);
    if (const int rc = bpf_tc_hook_create(&h); rc != 0 && rc != -EEXIST)
      return fail(std::string("cannot add clsact to ") + ifname_ + ": " + std::strerror(-rc));
    bpf_tc_opts o = our_opts(p ? bpf_program__fd(p) : -1);
    if (const int rc = bpf_tc_attach(&h, &o); rc != 0)
      return fail(std::string("cannot attach ") + name + " to " + ifname_ + ": " +
                  std::strerror(-rc));
  }
  if (auto e = ports::set_netdev_up(ifname_); !e.empty()) return fail(e);
  return "";  // ids start at 1: counter 0 counts unknown remotes
}

KernelVxlanDevice::~KernelVxlanDevice() {
  if (ifindex_ != 0) delete_link(ifname_, ifindex_);  // its tc filters go with it
  if (counters_) munmap(const_cast<uint64_t*>(counters_), counters_len_);
  if (obj_) bpf_object__close(obj_);
}

uint32_t KernelVxlanDevice::add_port(const std::string& name, const TunnelConfig& c,
                                     std::string& error) {
  std::lock_guard lock(mu_);
  for (const auto& [other, p] : ports_)
    if (same_receive_key(p.config, c)) {
      error = ifname_ + ": port " + p.name + " already receives " + receive_key_string(c);
      return 0;
    }
  uint32_t id = 1;
  while (id < LVX_MAX_PORTS && ports_.count(id)) ++id;
  if (id >= LVX_MAX_PORTS) {
    error = "more than " + std::to_string(LVX_MAX_PORTS - 1) + " vxlan ports on " + ifname_;
    return 0;
  }
  lvx_tx_val v{};
  if (c.ipv6) {
    std::memcpy(v.remote, c.remote_ip6.data(), 16);
    std::memcpy(v.local, c.local_ip6.data(), 16);
    v.ipv6 = 1;
  } else {
    v.remote[0] = c.remote_ip;
    v.local[0] = c.local_ip;
  }
  v.vni = c.out_key.value_or(0);
  v.ttl = c.ttl;
  v.tos = c.tos;
  v.ttl_inherit = c.ttl_inherit;
  v.tos_inherit = c.tos_inherit;
  v.df = c.df;
  v.csum = c.csum;
  lvx_rx_key k;
  fill_rx_key(c, k, c.in_key);
  if (bpf_map_update_elem(tx_map_, &id, &v, BPF_ANY) != 0 ||
      bpf_map_update_elem(rx_map_, &k, &id, BPF_NOEXIST) != 0) {
    error = std::string("cannot add the port to the tunnel maps: ") + std::strerror(errno);
    bpf_map_delete_elem(tx_map_, &id);
    return 0;
  }
  fill_rx_key(c, k, LVX_ANY_VNI, /*with_local=*/false);
  bpf_map_update_elem(rx_map_, &k, &id, BPF_NOEXIST);  // the remote's first port counts no_tunnel
  ports_.emplace(id, Entry{name, c});
  return id;
}

void KernelVxlanDevice::remove_port(uint32_t id) {
  std::lock_guard lock(mu_);
  auto it = ports_.find(id);
  if (it == ports_.end()) return;
  const TunnelConfig c = it->second.config;
  ports_.erase(it);
  lvx_rx_key k;
  fill_rx_key(c, k, c.in_key);
  bpf_map_delete_elem(rx_map_, &k);
  fill_rx_key(c, k, LVX_ANY_VNI, /*with_local=*/false);
  uint32_t any = 0;
  if (bpf_map_lookup_elem(rx_map_, &k, &any) == 0 && any == id) {
    bpf_map_delete_elem(rx_map_, &k);
    for (const auto& [other, p] : ports_)  // another port of that remote counts its no_tunnel
      if (same_remote(p.config, c)) {
        bpf_map_update_elem(rx_map_, &k, &other, BPF_ANY);
        break;
      }
  }
  bpf_map_delete_elem(tx_map_, &id);
}

uint64_t KernelVxlanDevice::counter(uint32_t index) const {
  return counters_ && index < LVX_COUNTERS ? counters_[index] : 0;
}

bool KernelVxlanDevice::set_offload(int prog_fd) const {
  const uint32_t zero = 0;
  if (prog_fd < 0) return bpf_map_delete_elem(offload_map_, &zero) == 0 || errno == ENOENT;
  return bpf_map_update_elem(offload_map_, &zero, &prog_fd, BPF_ANY) == 0;
}

int KernelVxlanDevice::remove_stale() {
  std::vector<std::string> stale;
  if (struct if_nameindex* all = ::if_nameindex()) {
    for (struct if_nameindex* i = all; i->if_index != 0; ++i)
      if (std::strncmp(i->if_name, "lvx", 3) == 0 && has_our_filter(static_cast<int>(i->if_index)))
        stale.emplace_back(i->if_name);
    if_freenameindex(all);
  }
  std::lock_guard lock(g_mu);
  const uint64_t ns = netns_inode();
  int n = 0;
  for (const auto& name : stale) {
    bool ours = false;
    for (auto& [key, weak] : registry())
      if (auto d = weak.lock(); d && key.first == ns && d->ifname() == name) ours = true;
    if (!ours && ports::delete_netdev(name).empty()) ++n;
  }
  return n;
}

#else  // built without clang / libbpf

bool KernelVxlanDevice::available() { return false; }
std::shared_ptr<KernelVxlanDevice> KernelVxlanDevice::acquire(uint16_t, std::string& error) {
  error = "built without libbpf";
  return nullptr;
}
int KernelVxlanDevice::remove_stale() { return 0; }
KernelVxlanDevice::~KernelVxlanDevice() = default;
uint32_t KernelVxlanDevice::add_port(const std::string&, const TunnelConfig&, std::string& error) {
  error = "built without libbpf";
  return 0;
}
void KernelVxlanDevice::remove_port(uint32_t) {}
uint64_t KernelVxlanDevice::counter(uint32_t) const { return 0; }
bool KernelVxlanDevice::set_offload(int) const { return false; }

#endif

}  // namespace lvs::tunnels
