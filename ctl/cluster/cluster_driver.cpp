#include "ctl/cluster/cluster_driver.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "ctl/derived_mac.hpp"
#include "ctl/ipam.hpp"
#include "ctl/log.hpp"
#include "ctl/port_kind.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl::cluster {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(100);
// Static entries are put back this often: `vsctl fdb/flush` removes them too.
constexpr auto kReinstallInterval = std::chrono::seconds(2);

std::string ext(const StringMap& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string{} : it->second;
}

// A comparable rendering of what we publish (the interface's structs have no operator==).
std::string state_key(const LocalState& s) {
  json eps = json::array();
  for (const auto& e : s.endpoints) eps.push_back({e.vni, e.mac, e.ip, e.ip6});
  return json{{"id", s.self.id},     {"ip", s.self.underlay_ip}, {"mac", s.self.vtep_mac},
              {"vnis", s.self.vnis}, {"subnet", s.self.subnet},  {"eps", eps}}
      .dump();
}

std::string store_key(const ClusterOptions& o) {
  return json{
      {"endpoints", o.store_endpoints},
      {"local_ip", o.local_ip},
      {"ttl", o.lease_ttl_s},
      {"subnet", o.subnet ? format_ipv4(o.subnet->addr) + "/" + std::to_string(o.subnet->prefix)
                          : std::string()},
      {"host_prefix", o.host_prefix}}
      .dump();
}

json transact_request(const std::vector<Words>& chain) {
  return json{{"id", "cluster"}, {"method", "transact"}, {"params", {{"commands", chain}}}};
}

}  // namespace

std::vector<sw::NeighbourEntry> to_neighbour_entries(const std::vector<NeighbourSpec>& entries) {
  std::vector<sw::NeighbourEntry> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    auto ip = sw::IpAddr::parse(e.ip);
    auto mac = sw::MacAddr::parse(e.mac);
    if (ip && mac) out.push_back(sw::NeighbourEntry{e.vlan, *ip, *mac});
  }
  return out;
}

ClusterDriver::ClusterDriver(sw::Datapath& datapath, Runtime& runtime, NeighbourSink neighbours,
                             std::string state_dir)
    : dp_(datapath),
      runtime_(runtime),
      neighbours_(std::move(neighbours)),
      state_dir_(std::move(state_dir)),
      event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ClusterDriver::~ClusterDriver() {
  stop();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void ClusterDriver::signal() {
  const uint64_t one = 1;
  (void)!::write(event_fd_, &one, sizeof one);
}

void ClusterDriver::drain() {
  uint64_t n;
  (void)!::read(event_fd_, &n, sizeof n);
}

std::chrono::milliseconds ClusterDriver::poll_interval() const {
  return store_ ? kPollInterval : std::chrono::milliseconds(1000);
}

void ClusterDriver::committed(const Config& config) {
  config_ = config;
  config_dirty_ = true;
  signal();
}

void ClusterDriver::stop() { stop_store(); }

void ClusterDriver::stop_store() {
  claiming_ = false;
  if (claimer_.joinable()) claimer_.join();
  if (store_) {
    store_->stop();
    store_.reset();
    log_info("cluster: left");
  }
  std::lock_guard lock(mu_);
  latest_ = ClusterView{};
  view_dirty_ = false;
  claimed_.clear();
  claim_error_.clear();
}

void ClusterDriver::restart_store(const ClusterOptions& o) {
  stop_store();
  StoreOptions so;
  so.endpoints = o.store_endpoints;
  so.local_ip = o.local_ip;
  so.host_id = o.local_ip;  // unique in a cluster and stable across restarts
  so.lease_ttl_s = o.lease_ttl_s;
  so.state_dir = state_dir_;
  host_id_ = so.host_id;
  store_ = std::make_unique<ClusterStore>(so);
  store_key_ = store_key(o);
  applied_ = ClusterView{};
  effective_ = ClusterView{};
  hold_until_ = {};
  published_ = Published{};
  first_seen_.clear();
  store_->start([this](const ClusterView& v) {
    {
      std::lock_guard lock(mu_);
      latest_ = v;
      view_dirty_ = true;
    }
    signal();
  });
  log_info("cluster: joining " + o.store_url + " as " + host_id_);
  if (!o.subnet) return;
  // claim_subnet talks to etcd and may wait for it: never on the daemon's thread.
  claiming_ = true;
  const std::string cidr = format_ipv4(o.subnet->addr) + "/" + std::to_string(o.subnet->prefix);
  claimer_ = std::thread([this, cidr, prefix = o.host_prefix, store = store_.get()] {
    while (claiming_) {
      auto r = store->claim_subnet(cidr, prefix);
      if (r.index() == 0) {
        {
          std::lock_guard lock(mu_);
          claimed_ = std::get<0>(r);
          claim_error_.clear();
        }
        signal();
        return;
      }
      {
        std::lock_guard lock(mu_);
        claim_error_ = "subnet claim: " + std::get<1>(r);
      }
      for (int i = 0; i < 10 && claiming_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

LocalState ClusterDriver::local_state(const Config& config) const {
  LocalState s;
  s.self.id = host_id_;
  s.self.underlay_ip = options_->local_ip;
  s.self.vtep_mac = derived_mac("U:" + options_->local_ip).value_or("");
  {
    std::lock_guard lock(mu_);
    s.self.subnet = claimed_;
  }
  for (const auto& cb : options_->bridges) {
    for (const auto& b : cb.bindings) s.self.vnis.push_back(b.vni);
    const BridgeConfig* bridge = config.find_bridge(cb.name);
    if (!bridge) continue;
    std::vector<FdbRow> learned;
    bool have_learned = false;
    for (const auto& p : bridge->ports) {
      if (p.external_ids.count(kClusterMember) || p.vlan_mode == "trunk") continue;
      const PortKind* kind = kind_of(p);
      if (!kind || kind->mtu_overhead || effective_type(p) == "internal") continue;
      const uint16_t vlan = static_cast<uint16_t>(p.tag.value_or(0));
      const VniBinding* binding = nullptr;
      for (const auto& b : cb.bindings)
        if (b.fdb_vlan() == vlan) binding = &b;
      if (!binding) continue;
      std::string ip = ext(p.external_ids, kContainerIp);
      if (auto slash = ip.find('/'); slash != std::string::npos) ip.resize(slash);
      std::string mac = ext(p.external_ids, kContainerMac);
      if (mac.empty())
        if (auto lease = ipam_lease_of(config, ext(p.external_ids, kIpamPoolId), p.name))
          mac = lease->mac;
      if (!mac.empty()) {
        s.endpoints.push_back(Endpoint{binding->vni, mac, ip, "", host_id_});
        continue;
      }
      // No recorded MAC (a port of some other kind): the MACs learnt on it.
      if (!have_learned) {
        learned = runtime_.fdb_show(cb.name);
        have_learned = true;
      }
      std::vector<std::string> macs;
      for (const auto& row : learned)
        if (row.port == p.name && !row.is_static && row.vlan == vlan) macs.push_back(row.mac);
      for (const auto& m : macs)
        s.endpoints.push_back(Endpoint{binding->vni, m, macs.size() == 1 ? ip : "", "", host_id_});
    }
  }
  std::sort(s.self.vnis.begin(), s.self.vnis.end());
  std::sort(s.endpoints.begin(), s.endpoints.end(), [](const Endpoint& a, const Endpoint& b) {
    return std::tie(a.vni, a.mac) < std::tie(b.vni, b.mac);
  });
  return s;
}

void ClusterDriver::write_subnet(Service& service, const std::string& subnet) {
  auto host = parse_ipv4_prefix(subnet);
  if (!host || !options_->subnet) return;
  // The first cluster bridge with an internal port gets the host's share: its gateway is the
  // share's first address, with the cluster's prefix (every station is on one L2 segment).
  for (const auto& cb : options_->bridges) {
    const BridgeConfig* b = config_.find_bridge(cb.name);
    if (!b || !b->local_port()) continue;
    const std::string ip =
        format_ipv4(host->network() + 1) + "/" + std::to_string(options_->subnet->prefix);
    std::vector<Words> chain;
    if (ext(b->external_ids, kClusterHostSubnet) != subnet)
      chain.push_back({"set", "Bridge", b->name,
                       std::string("external_ids:") + kClusterHostSubnet + "=" + subnet});
    if (ext(b->local_port()->options, kIpOption) != ip)
      chain.push_back(
          {"set", "Interface", b->name, std::string("options:") + kIpOption + "=" + ip});
    if (chain.empty()) return;
    // The commit replaces config_ (committed()), and b with it: keep the name.
    const std::string name = b->name;
    json reply = service.handle(transact_request(chain));
    if (reply.contains("error")) {
      const std::string e = "cluster: subnet " + subnet + " on bridge " + name + ": " +
                            reply["error"].value("message", std::string());
      if (e != last_error_) log_warn(e);
      last_error_ = e;
    } else {
      log_info("cluster: bridge " + name + " hands out addresses of " + subnet + " (gateway " +
               ip + ")");
    }
    return;
  }
}

void ClusterDriver::apply_view(Service& service, const ClusterView& view) {
  // A view that never reached etcd must not take down the tunnels a restart found.
  if (view.revision == 0) return;
  // Nor one without ourselves: our lease expired too (etcd was away longer than the TTL and
  // dropped every lease at once), so the others' absence says nothing about them. Until we are
  // registered again, the tunnels and entries stay as they are.
  if (!view.members.count(host_id_)) return;
  ClusterView effective = view;
  holding_ = false;
  if (Clock::now() < hold_until_)
    for (const auto& [id, m] : effective_.members) {
      if (effective.members.count(id)) continue;
      effective.members.emplace(id, m);
      for (const auto& e : effective_.endpoints)
        if (e.host == id) effective.endpoints.push_back(e);
      holding_ = true;
    }
  effective_ = effective;
  desired_ = desired_state(effective, host_id_, *options_);
  auto chain = tunnel_commands(current_tunnels(config_), desired_.tunnels);
  if (chain.empty()) return;
  json reply = service.handle(transact_request(chain));
  if (reply.contains("error")) {
    const std::string e = "cluster: tunnels: " + reply["error"].value("message", std::string());
    if (e != last_error_) log_warn(e);
    last_error_ = e;
  } else {
    log_info("cluster: tunnels now " + std::to_string(desired_.tunnels.size()) + " (" +
             std::to_string(chain.size()) + " commands, revision " + std::to_string(view.revision) +
             ")");
  }
}

void ClusterDriver::apply_runtime(const Desired& d, bool reinstall) {
  const auto diff = diff_fdb(fdb_installed_, d.fdb);
  for (const auto& r : diff.remove) {
    auto fdb = dp_.fdb(r.bridge);
    auto mac = sw::MacAddr::parse(r.mac);
    if (fdb && mac) fdb->remove(*mac, r.vlan);
    fdb_installed_.erase(r);
  }
  auto install = [&](const FdbSpec& a) {
    auto fdb = dp_.fdb(a.bridge);
    auto idx = dp_.port_index(a.bridge, a.port);
    auto mac = sw::MacAddr::parse(a.mac);
    // A tunnel not open (yet): tried again on the next poll.
    if (!fdb || !idx || !mac) return;
    fdb->add_static(*mac, a.vlan, *idx, dp_.now_ms());
    fdb_installed_.insert(a);
  };
  if (reinstall)
    for (const auto& a : d.fdb) install(a);
  else
    for (const auto& a : diff.add) install(a);
  for (const auto& bridge : changed_neighbour_tables(neighbours_installed_, d.neighbours)) {
    auto it = d.neighbours.find(bridge);
    const std::set<NeighbourSpec> table =
        it == d.neighbours.end() ? std::set<NeighbourSpec>{} : it->second;
    if (neighbours_) neighbours_(bridge, std::vector<NeighbourSpec>(table.begin(), table.end()));
    if (table.empty())
      neighbours_installed_.erase(bridge);
    else
      neighbours_installed_[bridge] = table;
  }
}

void ClusterDriver::poll(Service& service) {
  drain();
  const bool reconfigured = config_dirty_;
  if (config_dirty_) {
    config_dirty_ = false;
    auto o = cluster_options(config_);
    if (!o) {
      if (store_ || options_) {
        stop_store();
        options_.reset();
        store_key_.clear();
        // Out of the cluster: its tunnels and entries go.
        if (auto chain = tunnel_commands(current_tunnels(config_), {}); !chain.empty())
          service.handle(transact_request(chain));
        desired_ = Desired{};
        apply_runtime(desired_, false);
        applied_ = ClusterView{};
      }
      return;
    }
    options_ = o;
    if (store_key(*o) != store_key_) restart_store(*o);
  }
  if (!store_) return;
  std::string claimed;
  ClusterView view;
  bool fresh = false;
  {
    std::lock_guard lock(mu_);
    claimed = claimed_;
    if (view_dirty_) {
      view = latest_;
      view_dirty_ = false;
      fresh = true;
    }
  }
  if (!claimed.empty()) write_subnet(service, claimed);
  LocalState state = local_state(config_);
  if (!published_.valid || state_key(state) != state_key(published_.state)) {
    store_->publish(state);
    published_ = Published{std::move(state), true};
  }
  if (fresh && !view.connected)
    hold_until_ = Clock::now() + std::chrono::seconds(options_->lease_ttl_s + 2);
  if (fresh) {
    const auto now = Clock::now();
    for (const auto& [id, m] : view.members) {
      auto rev = member_revision_.find(id);
      if (!first_seen_.count(id) || rev == member_revision_.end() || rev->second != m.lease_id)
        first_seen_[id] = now;
      member_revision_[id] = m.lease_id;
    }
    std::erase_if(first_seen_, [&](const auto& kv) { return !view.members.count(kv.first); });
    std::erase_if(member_revision_, [&](const auto& kv) { return !view.members.count(kv.first); });
    applied_ = std::move(view);
  }
  if (fresh || reconfigured || (holding_ && Clock::now() >= hold_until_))
    apply_view(service, applied_);
  const auto now = Clock::now();
  const bool reinstall = now >= next_reinstall_;
  if (reinstall) next_reinstall_ = now + kReinstallInterval;
  apply_runtime(desired_, reinstall);
}

json ClusterDriver::show() const {
  json out;
  const ClusterView v = store_ ? store_->view() : ClusterView{};  // the store's own lock
  std::string claimed, claim_error;
  {
    std::lock_guard lock(mu_);
    claimed = claimed_;
    claim_error = claim_error_;
  }
  out["host_id"] = host_id_;
  out["store"] = options_ ? options_->store_url : "";
  out["local_ip"] = options_ ? options_->local_ip : "";
  out["connected"] = v.connected;
  out["revision"] = v.revision;
  std::string error = v.error;
  if (error.empty()) error = claim_error;
  if (error.empty()) error = last_error_;
  out["error"] = error;
  out["subnet"] = claimed;
  const auto now = Clock::now();
  json members = json::array();
  for (const auto& [id, m] : v.members) {
    auto seen = first_seen_.find(id);
    const int64_t age =
        seen == first_seen_.end()
            ? 0
            : std::chrono::duration_cast<std::chrono::seconds>(now - seen->second).count();
    json tunnels = json::array();
    for (const auto& [port, t] : desired_.tunnels)
      if (t.member == id) tunnels.push_back(port);
    members.push_back({{"id", id},
                       {"self", id == host_id_},
                       {"underlay_ip", m.underlay_ip},
                       {"vtep_mac", m.vtep_mac},
                       {"vnis", m.vnis},
                       {"subnet", m.subnet},
                       {"lease_id", m.lease_id},
                       {"lease_age_s", age},
                       {"tunnels", tunnels}});
  }
  out["members"] = members;
  json tunnels = json::array();
  for (const auto& [port, t] : current_tunnels(config_)) {
    const InterfaceState st = runtime_.interface_state(t.bridge, port);
    tunnels.push_back({{"port", port},
                       {"bridge", t.bridge},
                       {"member", t.member},
                       {"remote_ip", t.remote_ip},
                       {"vni", t.vni},
                       {"vlan", t.vlan ? json(*t.vlan) : json(nullptr)},
                       {"attached", st.attached},
                       {"error", st.error}});
  }
  out["tunnels"] = tunnels;
  json remote = json::array();
  for (const auto& f : fdb_installed_) {
    json e{{"bridge", f.bridge}, {"vlan", f.vlan}, {"mac", f.mac}, {"port", f.port}};
    for (const auto& ep : v.endpoints)
      if (ep.mac == f.mac && tunnel_port_name(ep.host, ep.vni) == f.port) {
        e["vni"] = ep.vni;
        e["ip"] = ep.ip;
        e["ip6"] = ep.ip6;
        e["host"] = ep.host;
      }
    remote.push_back(std::move(e));
  }
  out["remote_endpoints"] = remote;
  size_t local = 0;
  for (const auto& ep : v.endpoints) local += ep.host == host_id_;
  out["local_endpoints"] = published_.valid ? published_.state.endpoints.size() : local;
  return out;
}

}  // namespace lvs::ctl::cluster
