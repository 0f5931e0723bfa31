// trace BRIDGE in_port=P dl_src=MAC dl_dst=MAC [dl_vlan=V] [dl_pcp=N] [dl_type=T] | in_port=P HEX:
// what the running switch would do with that frame, stage by stage (switch/trace.hpp). Runs at
// once against the live datapath (not after the chain's commit): it changes nothing.
#include "ctl/commands/handlers.hpp"
#include "ctl/trace_flow.hpp"

namespace lvs::ctl {

Status trace_packet(CommandContext& ctx) {
  auto bridge = need_bridge(ctx.config, ctx.args[0]);
  if (!bridge) return bridge.error();
  auto flow = parse_trace_flow(std::span(ctx.args).subspan(1));
  if (!flow) return flow.error();
  if (!(*bridge)->find_port(flow->in_port))
    return not_found_error("trace: bridge " + ctx.args[0] + " does not have a port " +
                           flow->in_port);
  if (!ctx.runtime) return not_found_error("trace: no running switch to trace through");
  auto trace = ctx.runtime->trace(ctx.args[0], flow->in_port, flow->frame);
  if (!trace) return trace.error();
  ctx.print(std::move(*trace));
  return std::nullopt;
}

}  // namespace lvs::ctl
