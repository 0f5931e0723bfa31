#pragma once
// The cluster as this host sees it through etcd (issue 17), and the store that keeps that view:
// one thread holds the host's lease, publishes what the host has (LocalState, as a diff against
// what is in etcd) and watches the cluster prefix. Key schema: ctl/cluster/README.md.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lvs::ctl::cluster {

struct Member {             // one host of the cluster (ourselves included)
  std::string id;           // host-id
  std::string underlay_ip;  // IPv4 or IPv6 text
  std::string vtep_mac;
  std::vector<uint32_t> vnis;
  std::string subnet;  // "" when it holds none
  int64_t lease_id = 0;
  int64_t mod_revision = 0;
};

struct Endpoint {  // a station behind some host
  uint32_t vni = 0;
  std::string mac;   // "aa:bb:cc:dd:ee:ff"
  std::string ip;    // IPv4 text or ""
  std::string ip6;   // IPv6 text or ""
  std::string host;  // host-id
};

struct ClusterView {
  std::map<std::string, Member> members;  // by id
  std::vector<Endpoint> endpoints;        // all hosts', ours included
  int64_t revision = 0;                   // etcd revision this view reflects
  bool connected = false;                 // etcd reachable right now
  std::string error;                      // last error, for cluster/show
};

struct StoreOptions {
  std::vector<std::string>
      endpoints;  // "HOST:PORT" (from etcd://HOST:PORT[,...]); IPv6 [addr]:port
  std::string prefix = "/lite-vswitch/";
  std::string host_id;  // default: local_ip
  std::string local_ip;
  int lease_ttl_s = 10;
  std::string state_dir;  // where the claimed subnet is remembered
};

struct LocalState {                 // what this host publishes; the store diffs it against etcd
  Member self;                      // id/underlay_ip/vtep_mac/vnis/subnet
  std::vector<Endpoint> endpoints;  // host == self.id
};

// Parse "etcd://h:p[,h:p...]" into StoreOptions::endpoints; error text names what is wrong.
std::variant<std::vector<std::string>, std::string> parse_store_url(std::string_view url);

// One thread: lease keepalive, watch (resume at revision+1, full resync when compacted),
// reconnect with backoff (the last view is kept meanwhile, connected=false).
class ClusterStore {
 public:
  explicit ClusterStore(StoreOptions opts);
  ~ClusterStore();  // stops, revokes the lease (clean stop removes us at once)
  ClusterStore(const ClusterStore&) = delete;
  ClusterStore& operator=(const ClusterStore&) = delete;

  // on_change runs on the store's thread after every change (it may call view() and publish(),
  // never stop()).
  void start(std::function<void(const ClusterView&)> on_change);
  void publish(LocalState state);  // thread-safe; applied when etcd is reachable (again)
  ClusterView view() const;        // thread-safe copy
  // Per-host subnet of `cluster_cidr` of length `host_prefix_len`; remembers it; the same one
  // after a restart. Returns the subnet ("10.200.3.0/24") or an error text.
  std::variant<std::string, std::string> claim_subnet(const std::string& cluster_cidr,
                                                      int host_prefix_len);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lvs::ctl::cluster
