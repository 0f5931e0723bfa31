#include "ctl/rate_spec.hpp"

#include "ctl/config.hpp"

namespace lvs::ctl {
namespace {

Error invalid(std::string message) { return make_error(kErrInvalid, std::move(message)); }

uint64_t kbit_rounded_up(uint64_t bits) { return bits / 1000 + (bits % 1000 != 0); }

}  // namespace

Result<PortRateLimits> parse_rate_spec(const std::string& what, const std::string& text) {
  const size_t comma = text.find(',');
  const std::string rate = text.substr(0, comma);
  const std::string max = std::to_string(kMaxRateKbps);
  auto r = parse_int(rate, 1, static_cast<long long>(kMaxRateKbps));
  if (!r)
    return invalid(what + ": rate \"" + rate + "\" is not in 1.." + max +
                   " (kbit/s; the form is KBPS[,BURST_KBIT])");
  uint64_t burst = 0;
  if (comma != std::string::npos) {
    const std::string b = text.substr(comma + 1);
    auto n = parse_int(b, 1, static_cast<long long>(kMaxRateKbps));
    if (!n) return invalid(what + ": burst \"" + b + "\" is not in 1.." + max + " (kbit)");
    burst = static_cast<uint64_t>(*n);
  }
  const auto kbps = static_cast<uint64_t>(*r);
  return PortRateLimits{kbps, burst, kbps, burst};
}

std::string format_rate_spec(const PortRateLimits& l) {
  return std::to_string(l.ingress_rate_kbps) +
         (l.ingress_burst_kbit ? "," + std::to_string(l.ingress_burst_kbit) : "");
}

Result<PortRateLimits> from_cni_bandwidth(const CniBandwidth& bw) {
  PortRateLimits out;
  struct Way {
    const char* rate_key;
    const char* burst_key;
    uint64_t rate, burst;
    uint64_t *rate_kbps, *burst_kbit;
  };
  // The container's ingress is the switch's egress and the reverse.
  const Way ways[] = {{"ingressRate", "ingressBurst", bw.ingress_rate, bw.ingress_burst,
                       &out.egress_rate_kbps, &out.egress_burst_kbit},
                      {"egressRate", "egressBurst", bw.egress_rate, bw.egress_burst,
                       &out.ingress_rate_kbps, &out.ingress_burst_kbit}};
  for (const Way& w : ways) {
    const std::string at;  // the caller names the object
    if (w.rate && !w.burst)
      return invalid(at + w.rate_key + " is set: " + w.burst_key + " must be set too");
    if (w.burst && !w.rate)
      return invalid(at + w.burst_key + " is set: " + w.rate_key + " must be set too");
    if (w.burst / 8 >= 4'294'967'295ull)
      return invalid(at + w.burst_key + " " + std::to_string(w.burst) +
                     " is not under 4 GB (bits)");
    if (kbit_rounded_up(w.rate) > kMaxRateKbps)
      return invalid(at + w.rate_key + " " + std::to_string(w.rate) + " is above " +
                     std::to_string(kMaxRateKbps) + "000 bits/s");
    *w.rate_kbps = kbit_rounded_up(w.rate);
    *w.burst_kbit = kbit_rounded_up(w.burst);
  }
  return out;
}

std::vector<std::vector<std::string>> rate_limit_commands(const std::string& port,
                                                          const PortRateLimits& l) {
  std::vector<std::vector<std::string>> out;
  out.push_back(
      {"set", "Interface", port, "ingress_policing_rate=" + std::to_string(l.ingress_rate_kbps),
       "ingress_policing_burst=" + std::to_string(l.ingress_rate_kbps ? l.ingress_burst_kbit : 0)});
  out.push_back({"remove", "Port", port, "other_config", kEgressRateKbps, kEgressBurstKb});
  if (l.egress_rate_kbps) {
    std::vector<std::string> set = {
        "set", "Port", port,
        std::string("other_config:") + kEgressRateKbps + "=" + std::to_string(l.egress_rate_kbps)};
    if (l.egress_burst_kbit)
      set.push_back(std::string("other_config:") + kEgressBurstKb + "=" +
                    std::to_string(l.egress_burst_kbit));
    out.push_back(std::move(set));
  }
  return out;
}

}  // namespace lvs::ctl
