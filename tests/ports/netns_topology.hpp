#pragma once
// Test topologies made of network namespaces and veth pairs, with unique names ("lvt<pid>...")
// and RAII cleanup: a failing assertion still removes everything the test created.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dpdk/eal.hpp"

namespace lvs::ports::testing {

inline int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

inline std::string capture(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    pclose(f);
  }
  return out;
}

inline std::string unique_prefix() { return "lvt" + std::to_string(getpid()); }

// EAL for integration tests: no hugepages (the host's are not ours), room for 64 KiB mbufs.
inline bool init_test_eal() {
  dpdk::EalOptions o;
  o.program = "lvs-port-test";
  o.huge = dpdk::EalOptions::Huge::kOff;
  o.no_huge_memory_mb = 512;
  o.log_level = "*:error";
  return dpdk::init_eal(o).ok;
}

// A namespace with one veth pair: `inner` inside (with `cidr` unless empty), `host` left in the
// caller's namespace, both up.
class ContainerNs {
 public:
  ContainerNs(const std::string& tag, const std::string& cidr)
      : ns_(unique_prefix() + tag),
        host_(unique_prefix() + tag + "h"),
        inner_(unique_prefix() + tag + "c") {
    cleanup();
    ok_ = sh("ip netns add " + ns_) == 0 &&
          sh("ip link add " + host_ + " type veth peer name " + inner_) == 0 &&
          sh("ip link set " + inner_ + " netns " + ns_) == 0 &&
          (cidr.empty() || sh("ip -n " + ns_ + " addr add " + cidr + " dev " + inner_) == 0) &&
          sh("ip -n " + ns_ + " link set lo up") == 0 &&
          sh("ip -n " + ns_ + " link set " + inner_ + " up") == 0 &&
          // The host end only carries frames for the switch: no IPv6 autoconfiguration chatter.
          sh("sysctl -w net.ipv6.conf." + host_ + ".disable_ipv6=1") == 0 &&
          sh("ip link set " + host_ + " up") == 0;
  }
  ~ContainerNs() { cleanup(); }
  ContainerNs(const ContainerNs&) = delete;
  ContainerNs& operator=(const ContainerNs&) = delete;

  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  const std::string& host_if() const { return host_; }
  const std::string& inner_if() const { return inner_; }
  std::string exec(const std::string& cmd) const { return "ip netns exec " + ns_ + " " + cmd; }
  // Deleting the namespace destroys the veth pair: the host end vanishes.
  void remove() { cleanup(); }

 private:
  void cleanup() {
    sh("ip netns pids " + ns_ + " | xargs -r kill");  // iperf3 servers started inside
    sh("ip netns del " + ns_);
    sh("ip link del " + host_);
  }
  std::string ns_, host_, inner_;
  bool ok_ = false;
};

// Moves the calling thread into namespace `ns` until destruction (a tap created meanwhile lives
// there, so the test never puts an address on the host).
class EnterNetns {
 public:
  explicit EnterNetns(const std::string& ns)
      : self_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)),
        target_(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC)) {
    ok_ = self_ >= 0 && target_ >= 0 && setns(target_, CLONE_NEWNET) == 0;
  }
  ~EnterNetns() {
    if (ok_) setns(self_, CLONE_NEWNET);
    if (self_ >= 0) close(self_);
    if (target_ >= 0) close(target_);
  }
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int self_, target_;
  bool ok_ = false;
};

// Bare namespace (no links), removed on destruction.
class BareNs {
 public:
  explicit BareNs(const std::string& tag) : ns_(unique_prefix() + tag) {
    sh("ip netns del " + ns_);
    ok_ = sh("ip netns add " + ns_) == 0 && sh("ip -n " + ns_ + " link set lo up") == 0;
  }
  ~BareNs() {
    sh("ip netns pids " + ns_ + " | xargs -r kill");
    sh("ip netns del " + ns_);
  }
  BareNs(const BareNs&) = delete;
  BareNs& operator=(const BareNs&) = delete;
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  std::string exec(const std::string& cmd) const { return "ip netns exec " + ns_ + " " + cmd; }

 private:
  std::string ns_;
  bool ok_ = false;
};

}  // namespace lvs::ports::testing
