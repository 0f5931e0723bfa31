#pragma once
// The switch's own IPAM: pools of IPv4 addresses and the leases handed out from them, kept in the
// Config (so in the database: they survive restarts) and changed only inside a transaction.
//
// A pool is either explicit (ipam/add-pool NAME SUBNET [GATEWAY], docker's RequestPool) or the
// implicit pool of a bridge whose internal port has options:ip (named after the bridge, its first
// prefix as the subnet, that address as the gateway). The network and broadcast addresses and the
// gateway are never handed out; an address is held by one owner at a time; asking again with the
// same owner returns the lease it already has (retries and restarts stay idempotent).
// Pure functions over a Config: no system calls, unit-tested in tests/ctl/ipam_test.cpp.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ctl/config.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

inline constexpr size_t kMaxOwnerLength = 256;
// Docker's default address pools, in the order RequestPool without a subnet tries them.
inline constexpr const char* kDefaultPoolBases[] = {
    "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/16", "172.21.0.0/16", "172.22.0.0/16",
    "172.23.0.0/16", "172.24.0.0/16", "172.25.0.0/16", "172.26.0.0/16", "172.27.0.0/16",
    "172.28.0.0/16", "172.29.0.0/16", "172.30.0.0/16", "172.31.0.0/16"};

// A pool as allocation sees it, whichever kind it is.
struct PoolView {
  std::string name;
  Ipv4Prefix subnet;                // addr = the network address
  std::optional<uint32_t> gateway;  // host order
  bool implicit = false;            // a bridge's pool
  // A cluster bridge's share of the cluster subnet (cluster_config.hpp): new leases come only
  // from here, so that hosts never hand out the same address.
  std::optional<Ipv4Prefix> range;
};

// One lease as ipam/alloc prints it.
struct Lease {
  std::string pool;
  Ipv4Prefix address;  // the address with the pool's prefix
  std::optional<uint32_t> gateway;
  std::string mac;
};

// docker0's MAC for an address: 02:42 followed by its four bytes (172.17.0.2 -> 02:42:ac:11:00:02).
std::string docker_mac(uint32_t addr);

// The pool NAME: an explicit pool, else the implicit pool of bridge NAME.
Result<PoolView> find_pool(const Config& config, const std::string& name);

// Hands `owner` an address of `pool`: its existing lease, `want` when given (an error when it is
// outside the subnet, reserved or held by another owner), else the lowest free address.
// `mac` empty: docker0's scheme.
Result<Lease> ipam_alloc(Config& config, const std::string& pool, const std::string& owner,
                         std::optional<uint32_t> want = std::nullopt, const std::string& mac = "");
// The address ipam_alloc would hand a new owner now (docker's RequestAddress names the lease
// after it).
Result<uint32_t> ipam_next_free(const Config& config, const std::string& pool);
// Returns `owner`'s lease of `pool`; not_found unless it holds one (or `if_exists`).
Status ipam_release(Config& config, const std::string& pool, const std::string& owner,
                    bool if_exists);
// The lease `owner` holds in `pool`, if any.
std::optional<Lease> ipam_lease_of(const Config& config, const std::string& pool,
                                   const std::string& owner);
// Creates an explicit pool. Refused: a bad name, subnet or gateway, a subnet with no address to
// hand out (/31, /32), one overlapping another pool or a bridge's subnet. `may_exist`: an
// existing pool with the same subnet and gateway is kept (anything else is still an error).
Status ipam_add_pool(Config& config, const std::string& name, const std::string& subnet,
                     const std::string& gateway, bool may_exist);
// Removes an explicit pool; refused while it holds leases (release them first).
Status ipam_del_pool(Config& config, const std::string& name, bool if_exists);
// The first of Docker's default pools that overlaps no pool and no bridge subnet.
Result<Ipv4Prefix> ipam_free_default_subnet(const Config& config);

// {"pool": NAME, "subnet": .., "gateway": .., "leases": [{"owner","address","mac"}]} for one pool
// or (name empty) every pool, implicit ones included.
Result<nlohmann::json> ipam_show(const Config& config, const std::string& pool);
nlohmann::json lease_json(const Lease& lease);

// Part of validate(): pools well-formed and apart, leases unique and inside their pool.
Status validate_ipam(const Config& config);

}  // namespace lvs::ctl
