#pragma once
// Multi-host tunnel topologies in network namespaces: a "wire" namespace with a Linux bridge is
// the underlay LAN (10.250.0.0/24); each "host" namespace has one leg on it (10.250.0.<i>) and
// either runs this switch in-process (SwitchHost: an AF_PACKET port per container plus tunnel
// ports, sockets opened inside the host namespace) or a Linux bridge + kernel VXLAN device
// (KernelVxlanHost). Containers are namespaces with a veth whose host end sits in the host
// namespace. Everything is removed by the destructors, a failing assertion included.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ports/afpacket_port.hpp"
#include "switch/datapath.hpp"
#include "tests/ports/netns_topology.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/background_process.hpp"
#include "tunnels/tunnel_port.hpp"

namespace lvs::tunnels::testing {

using ports::testing::BareNs;
using ports::testing::capture;
using ports::testing::ContainerNs;
using ports::testing::EnterNetns;
using ports::testing::sh;
using ports::testing::test_pools;
using ports::testing::unique_prefix;

inline std::string underlay_ip(int i) { return "10.250.0." + std::to_string(i); }
// The same legs' IPv6 addresses, for IPv6 underlay tests (add_underlay_ip6).
inline std::string underlay_ip6(int i) { return "fd50::" + std::to_string(i); }
// Gives `host_ns`'s uplink underlay_ip6(i) at once (no duplicate address detection).
inline bool add_underlay_ip6(const std::string& host_ns, int i) {
  return sh("ip -n " + host_ns + " addr add " + underlay_ip6(i) + "/64 dev uplink nodad") == 0;
}

// The underlay LAN: a bridge in its own namespace.
class Wire {
 public:
  Wire() : ns_("w") {
    ok_ = ns_.ok() && sh("ip -n " + ns_.ns() + " link add wbr type bridge") == 0 &&
          sh("ip -n " + ns_.ns() + " link set wbr up") == 0;
  }
  bool ok() const { return ok_; }
  // Gives `host_ns` a leg "uplink" with 10.250.0.<i>/24 and `mtu`.
  bool plug(const std::string& host_ns, int i, int mtu = 1500) {
    const std::string a = unique_prefix() + "u" + std::to_string(i);
    const std::string w = ns_.ns();
    return sh("ip link add " + a + " netns " + host_ns + " mtu " + std::to_string(mtu) +
              " type veth peer name p" + std::to_string(i) + " netns " + w + " mtu " +
              std::to_string(mtu)) == 0 &&
           sh("ip -n " + host_ns + " link set " + a + " name uplink") == 0 &&
           sh("ip -n " + host_ns + " addr add " + underlay_ip(i) + "/24 dev uplink") == 0 &&
           sh("ip -n " + host_ns + " link set uplink up") == 0 &&
           sh("ip -n " + w + " link set p" + std::to_string(i) + " master wbr") == 0 &&
           sh("ip -n " + w + " link set p" + std::to_string(i) + " up") == 0;
  }

 private:
  BareNs ns_;
  bool ok_ = false;
};

struct ContainerSpec {
  std::string tag;    // short, unique in the test
  std::string cidr;   // e.g. 10.251.0.1/24
  int mtu = 1450;
  std::string bridge = "br";
};

struct TunnelSpec {
  std::string name;
  std::map<std::string, std::string> options;  // OVS option names
  TunnelKind kind = TunnelKind::kVxlan;
  std::string bridge = "br";
};

// A host running this switch (in-process Datapath, one PMD thread).
class SwitchHost {
 public:
  SwitchHost(Wire& wire, int index, int uplink_mtu = 1500)
      : ns_("h" + std::to_string(index)), index_(index) {
    ok_ = ns_.ok() && wire.plug(ns_.ns(), index, uplink_mtu);
  }
  ~SwitchHost() {
    if (dp_) dp_->stop();
    dp_.reset();
    ports_.clear();
    containers_.clear();
  }
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_.ns(); }
  std::string ip() const { return underlay_ip(index_); }

  // Creates the container (host end in this host's namespace) and its AF_PACKET port.
  std::string add_container(const ContainerSpec& c) {
    EnterNetns in(ns_.ns());
    if (!in.ok()) return "setns failed";
    auto cn = std::make_unique<ContainerNs>(c.tag, c.cidr);
    if (!cn->ok()) return "container " + c.tag + " setup failed";
    sh(cn->exec("ip link set " + cn->inner_if() + " mtu " + std::to_string(c.mtu)));
    std::string error;
    auto port = ports::AfPacketPort::open(c.tag, cn->host_if(), test_pools().frames, error);
    if (!port) return error;
    ports_.push_back({c.bridge, port, 0});
    containers_.push_back(std::move(cn));
    return "";
  }
  std::string add_tunnel(const TunnelSpec& t) {
    EnterNetns in(ns_.ns());
    if (!in.ok()) return "setns failed";
    TunnelConfig cfg;
    if (auto e = parse_tunnel_options(t.kind, t.options, cfg)) return *e;
    std::string error;
    auto port = TunnelPort::open(t.name, cfg, test_pools().frames, error);
    if (!port) return error;
    ports_.push_back({t.bridge, port, 1});
    return "";
  }
  std::string start() {
    dp_ = std::make_unique<sw::Datapath>(
        sw::Datapath::Options{.pmd_threads = 1, .pool = test_pools().headers});
    sw::DatapathConfig cfg;
    for (const auto& p : ports_) {
      sw::BridgeConfig* br = nullptr;
      for (auto& b : cfg.bridges)
        if (b.name == p.bridge) br = &b;
      if (br == nullptr) {
        cfg.bridges.push_back({});
        br = &cfg.bridges.back();
        br->name = p.bridge;
      }
      br->ports.push_back(
          {.name = p.port->name(), .port = p.port, .split_horizon_group = p.group});
    }
    if (auto e = dp_->apply(cfg)) return *e;
    dp_->start();
    return "";
  }
  const ContainerNs& container(size_t i) const { return *containers_.at(i); }
  std::shared_ptr<sw::Port> port(const std::string& name) const {
    for (const auto& p : ports_)
      if (p.port->name() == name) return p.port;
    return nullptr;
  }

 private:
  struct Entry {
    std::string bridge;
    std::shared_ptr<sw::Port> port;
    uint8_t group;
  };
  BareNs ns_;
  int index_;
  bool ok_ = false;
  std::vector<std::unique_ptr<ContainerNs>> containers_;
  std::vector<Entry> ports_;
  std::unique_ptr<sw::Datapath> dp_;
};

// A host with a Linux bridge and a kernel VXLAN device: the reference implementation.
class KernelVxlanHost {
 public:
  // `ipv6`: vx0 runs over the IPv6 underlay (local underlay_ip6(index), `remote` IPv6).
  KernelVxlanHost(Wire& wire, int index, int vni, const std::string& remote, const ContainerSpec& c,
                  bool ipv6 = false)
      : ns_("k" + std::to_string(index)) {
    ok_ = ns_.ok() && wire.plug(ns_.ns(), index) && (!ipv6 || add_underlay_ip6(ns_.ns(), index));
    if (!ok_) return;
    const std::string n = "ip -n " + ns_.ns() + " ";
    // Across a veth, the kernel would hand our UDP socket packets whose inner checksums are still
    // pending (CHECKSUM_PARTIAL) and 64 KiB UDP-tunnel GSO packets; a NIC finishes both before
    // the wire. Checksumming on the peer's underlay leg makes the veth behave like a wire.
    ok_ = sh("ip netns exec " + ns_.ns() + " ethtool -K uplink tx off") == 0 &&
          sh(n + "link add kbr type bridge") == 0 &&
          sh(n + "link add vx0 type vxlan id " + std::to_string(vni) + " dstport 4789 remote " +
             remote + " local " + (ipv6 ? underlay_ip6(index) : underlay_ip(index)) +
             " dev uplink") == 0 &&
          sh(n + "link set vx0 master kbr") == 0 && sh(n + "link set vx0 up") == 0 &&
          sh(n + "link set kbr up") == 0;
    if (!ok_) return;
    EnterNetns in(ns_.ns());
    container_ = std::make_unique<ContainerNs>(c.tag, c.cidr);
    ok_ = in.ok() && container_->ok() &&
          sh(container_->exec("ip link set " + container_->inner_if() + " mtu " +
                              std::to_string(c.mtu))) == 0 &&
          sh(n + "link set " + container_->host_if() + " master kbr") == 0;
  }
  ~KernelVxlanHost() { container_.reset(); }
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_.ns(); }
  const ContainerNs& container() const { return *container_; }

 private:
  BareNs ns_;
  bool ok_ = false;
  std::unique_ptr<ContainerNs> container_;
};

inline bool ping(const ContainerNs& from, const std::string& ip, int count = 3) {
  return sh(from.exec("ping -c " + std::to_string(count) + " -i 0.2 -W 2 " + ip)) == 0;
}

// iperf3 TCP from `client` to `server_ip` (served in `server`); Gbit/s, or -1 on failure.
inline double iperf_gbps(const ContainerNs& server, const std::string& server_ip,
                         const ContainerNs& client, int seconds = 2, bool reverse = false) {
  if (sh(server.exec("iperf3 -s -1 -D -B " + server_ip)) != 0) return -1;
  if (!test::wait_tcp_listening(server.exec(""), 5201)) return -1;
  const std::string out =
      capture(client.exec("timeout 20 iperf3 -c " + server_ip + " -t " + std::to_string(seconds) +
                          (reverse ? " -R" : "") + " -f g"));
  // "[  5]   0.00-2.00   sec  1.23 GBytes  5.27 Gbits/sec  ...  receiver"
  const auto pos = out.find("receiver");
  if (pos == std::string::npos) return -1;
  const auto line_start = out.rfind('\n', pos);
  const std::string line = out.substr(line_start + 1, pos - line_start);
  const auto g = line.find("Gbits/sec");
  if (g == std::string::npos) return -1;
  const auto num_start = line.rfind(' ', g - 2);
  return std::stod(line.substr(num_start + 1, g - num_start - 2));
}

}  // namespace lvs::tunnels::testing
