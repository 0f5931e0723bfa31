#include "ports/offload/offload_kernel.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifdef LVS_HAVE_OFFLOAD
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ports/offload/libbpf_tc.hpp"
#include "ports/offload/offload_object.hpp"  // generated: the compiled offload.bpf.c
#endif

namespace lvs::ports {

// The layout offload.bpf.c was compiled with (offload_maps.h): no implicit padding.
static_assert(sizeof(lvs_flow_key) == 12 && sizeof(lvs_flow_val) == 40);
static_assert(sizeof(lvs_station_key) == 12 && sizeof(lvs_station_val) == 16);
static_assert(sizeof(lvs_port_key) == 8 && sizeof(lvs_port_val) == 4);

bool OffloadKernel::is_veth(const std::string& ifname) {
  if (ifname.size() >= IFNAMSIZ) return false;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  const bool ok = ::ioctl(fd, SIOCETHTOOL, &ifr) == 0 && std::strcmp(info.driver, "veth") == 0;
  ::close(fd);
  return ok;
}

#ifdef LVS_HAVE_OFFLOAD
namespace {

// Our filter's place on a port's ingress: a daemon finds (and replaces) a killed one's there.
constexpr uint32_t kTcHandle = 0x4c56, kTcPriority = 0x4c56;
constexpr const char* kTcProgName = "lvs_tc_ingress";

bpf_tc_hook ingress_hook(int ifindex) { return tc_hook(ifindex, BPF_TC_INGRESS); }
bpf_tc_opts our_opts() { return tc_opts(kTcHandle, kTcPriority); }

}  // namespace

std::unique_ptr<OffloadKernel> OffloadKernel::load(std::string& error) {
  libbpf_quiet();
  std::unique_ptr<OffloadKernel> k(new OffloadKernel());
  bpf_object_open_opts opts{};
  opts.sz = sizeof(opts);
  opts.object_name = "lvs_offload";
  k->obj_ = bpf_object__open_mem(kOffloadObject, sizeof(kOffloadObject), &opts);
  if (!k->obj_) {
    error = std::string("cannot open the BPF object: ") + std::strerror(errno);
    return nullptr;
  }
  if (const int rc = bpf_object__load(k->obj_); rc != 0) {
    error = std::string("the kernel refused the BPF programs: ") + std::strerror(-rc);
    return nullptr;
  }
  auto prog_fd = [&](const char* name) {
    bpf_program* p = bpf_object__find_program_by_name(k->obj_, name);
    return p ? bpf_program__fd(p) : -1;
  };
  auto map_fd = [&](const char* name) {
    bpf_map* m = bpf_object__find_map_by_name(k->obj_, name);
    return m ? bpf_map__fd(m) : -1;
  };
  k->tc_fd_ = prog_fd(kTcProgName);
  k->sock_fd_prog_ = prog_fd("lvs_sock_filter");
  k->tunnel_fd_ = prog_fd("lvs_tc_tunnel_ingress");
  k->flows_fd_ = map_fd("lvs_flows");
  k->stations_fd_ = map_fd("lvs_stations");
  k->port_vlans_fd_ = map_fd("lvs_port_vlans");
  if (k->tc_fd_ < 0 || k->sock_fd_prog_ < 0 || k->flows_fd_ < 0 || k->stations_fd_ < 0 ||
      k->port_vlans_fd_ < 0) {
    error = "the BPF object lacks a program or map";
    return nullptr;
  }
  return k;
}

OffloadKernel::~OffloadKernel() {
  if (obj_) bpf_object__close(obj_);
}

std::string OffloadKernel::attach(int ifindex, int sock_fd) {
  bpf_tc_hook hook = ingress_hook(ifindex);
  if (const int rc = bpf_tc_hook_create(&hook); rc != 0 && rc != -EEXIST)
    return std::string("clsact qdisc: ") + std::strerror(-rc);
  bpf_tc_opts opts = our_opts();
  opts.prog_fd = tc_fd_;
  opts.flags = BPF_TC_F_REPLACE;
  if (const int rc = bpf_tc_attach(&hook, &opts); rc != 0)
    return std::string("tc ingress filter: ") + std::strerror(-rc);
  if (::setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_BPF, &sock_fd_prog_, sizeof(sock_fd_prog_)) !=
      0) {
    const std::string e = std::string("socket filter: ") + std::strerror(errno);
    detach(ifindex, -1);
    return e;
  }
  return {};
}

void OffloadKernel::detach(int ifindex, int sock_fd) {
  if (sock_fd >= 0) {
    int unused = 0;
    ::setsockopt(sock_fd, SOL_SOCKET, SO_DETACH_BPF, &unused, sizeof(unused));
  }
  bpf_tc_hook hook = ingress_hook(ifindex);
  bpf_tc_opts opts = our_opts();
  bpf_tc_detach(&hook, &opts);
}

bool OffloadKernel::remove_stale(int ifindex) {
  libbpf_quiet();
  bpf_tc_hook hook = ingress_hook(ifindex);
  bpf_tc_opts opts = our_opts();
  if (bpf_tc_query(&hook, &opts) != 0) return false;
  // Only a filter that runs our program: the handle alone could be someone else's.
  const int fd = bpf_prog_get_fd_by_id(opts.prog_id);
  if (fd < 0) return false;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  const bool ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
                    std::strncmp(info.name, kTcProgName, sizeof(info.name)) == 0;
  ::close(fd);
  if (!ours) return false;
  bpf_tc_opts del = our_opts();
  return bpf_tc_detach(&hook, &del) == 0;
}

bool OffloadKernel::put_flow(const lvs_flow_key& key, const lvs_flow_val& val) {
  return bpf_map_update_elem(flows_fd_, &key, &val, BPF_ANY) == 0;
}
void OffloadKernel::take_flow(const lvs_flow_key& key, lvs_flow_val& last) {
  if (bpf_map_lookup_and_delete_elem(flows_fd_, &key, &last) != 0) {
    last = lvs_flow_val{};
    bpf_map_delete_elem(flows_fd_, &key);
  }
}
bool OffloadKernel::get_flow(const lvs_flow_key& key, lvs_flow_val& val) const {
  return bpf_map_lookup_elem(flows_fd_, &key, &val) == 0;
}
bool OffloadKernel::put_station(const lvs_station_key& key, uint32_t ifindex) {
  lvs_station_val val{};
  if (bpf_map_lookup_elem(stations_fd_, &key, &val) != 0 || val.ifindex != ifindex)
    val = lvs_station_val{};
  val.ifindex = ifindex;
  val.moved = 0;
  return bpf_map_update_elem(stations_fd_, &key, &val, BPF_ANY) == 0;
}
void OffloadKernel::del_station(const lvs_station_key& key) {
  bpf_map_delete_elem(stations_fd_, &key);
}
bool OffloadKernel::get_station(const lvs_station_key& key, lvs_station_val& val) const {
  return bpf_map_lookup_elem(stations_fd_, &key, &val) == 0;
}
bool OffloadKernel::put_port_vlan(const lvs_port_key& key, const lvs_port_val& val) {
  return bpf_map_update_elem(port_vlans_fd_, &key, &val, BPF_ANY) == 0;
}
void OffloadKernel::del_port_vlan(const lvs_port_key& key) {
  bpf_map_delete_elem(port_vlans_fd_, &key);
}

#else  // built without clang -target bpf / libbpf

std::unique_ptr<OffloadKernel> OffloadKernel::load(std::string& error) {
  error = "built without clang and libbpf";
  return nullptr;
}
OffloadKernel::~OffloadKernel() = default;
std::string OffloadKernel::attach(int, int) { return "built without libbpf"; }
void OffloadKernel::detach(int, int) {}
bool OffloadKernel::put_flow(const lvs_flow_key&, const lvs_flow_val&) { return false; }
void OffloadKernel::take_flow(const lvs_flow_key&, lvs_flow_val& last) { last = lvs_flow_val{}; }
bool OffloadKernel::get_flow(const lvs_flow_key&, lvs_flow_val&) const { return false; }
bool OffloadKernel::put_station(const lvs_station_key&, uint32_t) { return false; }
void OffloadKernel::del_station(const lvs_station_key&) {}
bool OffloadKernel::get_station(const lvs_station_key&, lvs_station_val&) const { return false; }
bool OffloadKernel::put_port_vlan(const lvs_port_key&, const lvs_port_val&) { return false; }
void OffloadKernel::del_port_vlan(const lvs_port_key&) {}
bool OffloadKernel::remove_stale(int) { return false; }

#endif

}  // namespace lvs::ports
