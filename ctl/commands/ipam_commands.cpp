// vsctl's ipam/ commands (the allocator is ctl/ipam.hpp), run inside the same transaction as the
// rest of a chain:
//   ipam/alloc POOL OWNER [ADDRESS|auto [MAC]]  -> {"pool","address":"A/P","gateway","mac"}
//   [--if-exists] ipam/release POOL OWNER
//   ipam/show [POOL]                             -> pools with their leases
//   [--may-exist] ipam/add-pool POOL SUBNET [GATEWAY]
//   [--if-exists] ipam/del-pool POOL             (refused while the pool holds leases)
#include "ctl/commands/handlers.hpp"
#include "ctl/ipam.hpp"

namespace lvs::ctl {

Status ipam_allocate(CommandContext& ctx) {
  Config& c = ctx.config;
  const Words& a = ctx.args;
    std::optional<uint32_t> want;
    if (a.size() >= 3 && a[2] != "auto") {
      // "A" or "A/P" (the prefix, when given, must be the pool's).
      std::string word = a[2];
      std::optional<int> prefix;
      if (auto slash = word.find('/'); slash != std::string::npos) {
        auto p = parse_ipv4_prefix(word);
        if (!p)
          return make_error(kErrInvalid, "ipam/alloc: \"" + a[2] + "\" is not an IPv4 address");
        prefix = p->prefix;
        word = word.substr(0, slash);
      }
      want = parse_ipv4(word);
      if (!want)
        return make_error(kErrInvalid, "ipam/alloc: \"" + a[2] + "\" is not an IPv4 address");
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
    ctx.print(lease_json(*lease));
  return std::nullopt;
}

Status ipam_release_lease(CommandContext& ctx) {
  return ipam_release(ctx.config, ctx.args[0], ctx.args[1], ctx.has_option("--if-exists"));
}

Status ipam_show_pools(CommandContext& ctx) {
  auto j = ipam_show(ctx.config, ctx.args.empty() ? "" : ctx.args[0]);
  if (!j) return j.error();
  ctx.print(*j);
  return std::nullopt;
}

Status ipam_add_pool_command(CommandContext& ctx) {
  const Words& a = ctx.args;
  return ipam_add_pool(ctx.config, a[0], a[1], a.size() == 3 ? a[2] : "",
                       ctx.has_option("--may-exist"));
}

Status ipam_del_pool_command(CommandContext& ctx) {
  return ipam_del_pool(ctx.config, ctx.args[0], ctx.has_option("--if-exists"));
}

}  // namespace lvs::ctl
