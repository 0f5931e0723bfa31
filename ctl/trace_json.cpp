// Words for each stage of a trace. The decisions come from the report (what the pipeline did);
// the "detail" only describes the configuration that made them (the port's VLAN policy, its
// storm limits, the flood set), so nothing here decides anything again.
#include "ctl/trace_json.hpp"

#include <cstdio>

#include "switch/stp_hooks.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;
using sw::TagAction;
using sw::VlanMode;

std::string mac(uint64_t v) { return sw::MacAddr::from_u64(v).to_string(); }

std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%04x", v);
  return buf;
}

std::string join(const std::vector<uint16_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

// "vlan_mode=access tag=10", "vlan_mode=trunk trunks=10,20", "vlan_mode=trunk trunks=all".
std::string describe_policy(const sw::VlanPolicy& p) {
  std::string s = "vlan_mode=" + std::string(sw::to_string(p.mode()));
  if (p.mode() != VlanMode::kTrunk) s += " tag=" + std::to_string(p.tag());
  if (p.mode() != VlanMode::kAccess)
    s += " trunks=" + (p.trunks_all() ? "all" : join(p.trunk_list()));
  return s;
}

std::string frame_kind(const sw::FrameMeta& f) {
  if (!f.tagged) return "untagged";
  if (f.tag_vid() == 0) return "priority-tagged (VID 0, PCP " + std::to_string(f.tag_pcp()) + ")";
  return "tagged VID " + std::to_string(f.tag_vid()) + " PCP " + std::to_string(f.tag_pcp());
}

// Why the input port's policy gave this frame `vlan` (or refused it).
std::string ingress_why(const sw::TraceReport& r, const std::string& in_name) {
  const sw::VlanPolicy& p = r.in_policy;
  const sw::FrameMeta& f = r.frame;
  const bool untagged = !f.tagged || f.tag_vid() == 0;
  const std::string who = in_name + " " + describe_policy(p) + ": ";
  const std::string what = untagged ? (f.tagged ? "priority-tagged frames" : "untagged frames")
                                    : "VID " + std::to_string(f.tag_vid());
  if (r.vlan == sw::kVlanDrop) {
    if (p.mode() == VlanMode::kAccess) return who + "an access port drops every frame with a VID";
    if (untagged) return who + what + " are VLAN 0, which it does not carry";
    return who + what + " is not among the VLANs it carries";
  }
  if (p.mode() == VlanMode::kAccess) return who + what + " join the access VLAN";
  if (untagged && p.mode() != VlanMode::kTrunk) return who + what + " join the native VLAN";
  if (untagged) return who + what + " are VLAN 0, carried when trunks is empty";
  return who + what + " is carried";
}

std::string output_words(const sw::TraceOutput& o, const sw::FrameMeta& in) {
  const std::string tag = "VLAN " + std::to_string(o.vid) + " PCP " + std::to_string(o.pcp);
  switch (o.action) {
    case TagAction::kNone:
      return "untagged, as it came";
    case TagAction::kKeep:
      return "keep tag " + tag;
    case TagAction::kPush:
      return "push " + tag;
    case TagAction::kPop:
      return "pop VLAN " + std::to_string(in.tag_vid());
    case TagAction::kRewrite:
      return "rewrite VID " + std::to_string(in.tag_vid()) + " -> " + tag;
  }
  return "?";
}

json stage(const char* name, std::string result, std::string detail) {
  return {{"stage", name}, {"result", std::move(result)}, {"detail", std::move(detail)}};
}

// "rate 8 kbit/s burst 8000 kbit (default), this PMD's 1/2" and the bucket's verdict words.
std::string describe_limit(const sw::RateLimit& l, unsigned share) {
  std::string s =
      "rate " + std::to_string(l.rate_kbps) + " kbit/s burst " +
      std::to_string(l.burst_kbit ? l.burst_kbit : sw::default_burst_kbit(l.rate_kbps)) + " kbit" +
      (l.burst_kbit ? "" : " (default)");
  if (share > 1) s += ", this PMD's 1/" + std::to_string(share);
  return s;
}
std::string describe_credit(uint64_t bytes, bool admitted, uint64_t credit, uint64_t depth) {
  return std::to_string(bytes) + (admitted ? " bytes within" : " bytes over") + " its credit of " +
         std::to_string(credit) + " of " + std::to_string(depth) +
         " bytes (now; the trace takes none)";
}
json limit_fields(const sw::RateLimit& l, unsigned share, uint64_t credit, uint64_t depth) {
  return {{"rate_kbps", l.rate_kbps},
          {"burst_kbit", l.burst_kbit ? l.burst_kbit : sw::default_burst_kbit(l.rate_kbps)},
          {"pmd_share", share},
          {"credit_bytes", credit},
          {"depth_bytes", depth}};
}

// The input port's ingress policing (before the pipeline, as the datapath).
json policing_stage(const sw::TraceReport& r, const std::string& in_name) {
  if (!r.policing.any())
    return stage("policing", "not configured", in_name + " has no ingress_policing_rate");
  json s = stage(
      "policing", r.policing_admitted ? "admitted" : "drop",
      in_name + " ingress policing " + describe_limit(r.policing, r.policing_share) + ": " +
          describe_credit(r.length, r.policing_admitted, r.policing_credit, r.policing_depth));
  s.update(limit_fields(r.policing, r.policing_share, r.policing_credit, r.policing_depth));
  return s;
}

}  // namespace

json trace_json(const std::string& bridge, const sw::TraceReport& r, const PortNamer& name_of) {
  const std::string in_name = name_of(r.in_port);
  const sw::FrameMeta& f = r.frame;
  json stages = json::array();
  json flow = {{"in_port", in_name},
               {"dl_src", mac(f.src)},
               {"dl_dst", mac(f.dst)},
               {"dl_vlan", f.tagged ? json(f.tag_vid()) : json(nullptr)},
               {"dl_pcp", f.tagged ? json(f.tag_pcp()) : json(nullptr)},
               {"dl_type", hex16(r.ethertype)},
               {"length", r.length}};

  stages.push_back(policing_stage(r, in_name));
  if (r.parsed) {
    stages.push_back(f.valid ? stage("parse", "ok",
                                     std::to_string(r.length) + " bytes, " + frame_kind(f) +
                                         ", dl_type " + hex16(r.ethertype))
                             : stage("parse", "malformed",
                                     "too short for its Ethernet / 802.1Q header, or a bad IPv4 "
                                     "header (" +
                                         std::to_string(r.length) + " bytes)"));
  }
  if (r.classified) {
    json s =
        stage("ingress_vlan", r.vlan == sw::kVlanDrop ? "drop" : "VLAN " + std::to_string(r.vlan),
              ingress_why(r, in_name));
    s["vlan"] = r.vlan == sw::kVlanDrop ? json(nullptr) : json(r.vlan);
    s["vlan_mode"] = sw::to_string(r.in_policy.mode());
    stages.push_back(std::move(s));
  }
  if (r.stp_state >= 0) {
    const bool fwd = r.stp_state == sw::kStpForwarding, lrn = r.stp_state == sw::kStpLearning;
    stages.push_back(stage(
        "stp_state", fwd ? "forwarding" : lrn ? "learning" : "discarding",
        in_name + (fwd   ? " forwards (spanning tree)"
                   : lrn ? ": the spanning tree lets it learn, not forward, yet"
                         : ": the spanning tree keeps it discarding (only BPDUs are taken)")));
  }
  if (r.to_spanning_tree)
    stages.push_back(stage("spanning_tree", "BPDU to the protocol machine", "rstp/show"));
  if (r.destination_decided) {
    const std::string vlan = std::to_string(r.vlan);
    if (r.would_learn)
      stages.push_back(stage("learn",
                             "would learn " + mac(f.src) + " on VLAN " + vlan + " at " + in_name,
                             "the trace learns nothing"));
    else if (!sw::mac_is_learnable(f.src))
      stages.push_back(stage("learn", "not learnt", "multicast or all-zero source " + mac(f.src)));
    else
      stages.push_back(stage("learn", "not learnt", "the frame is over its storm-control rate"));

    json s;
    if (!r.looked_up) {
      s = stage("fdb_lookup", "not looked up",
                mac(f.dst) + (sw::mac_is_broadcast(f.dst) ? " is broadcast" : " is multicast") +
                    ": flood");
    } else if (r.out == sw::kNoPort) {
      s = stage("fdb_lookup", "miss",
                mac(f.dst) + " on VLAN " + vlan +
                    (r.entry ? " aged out (" + std::to_string(r.entry->age_ms / 1000) + " s)"
                             : " is unknown") +
                    ": flood");
    } else {
      const std::string port = name_of(r.out);
      const bool is_static = r.entry && r.entry->is_static;
      s = stage("fdb_lookup", "hit " + port,
                mac(f.dst) + " on VLAN " + vlan + " at " + port +
                    (is_static ? " (static)"
                     : r.entry ? ", age " + std::to_string(r.entry->age_ms / 1000) + " s"
                               : " (the source itself, as if just learnt)"));
      s["port"] = port;
      if (r.entry) {
        s["age"] = r.entry->age_ms / 1000;
        s["static"] = is_static;
      }
    }
    stages.push_back(std::move(s));

    if (!r.storm_limited)
      stages.push_back(
          stage("storm_control", "no limits", in_name + " has no storm-control rates"));
    else if (!r.storm_checked)
      stages.push_back(stage("storm_control", "not applied", "known unicast is not policed"));
    else {
      json st = stage("storm_control", r.storm_admitted ? "admitted" : "drop",
                      std::string(sw::to_string(r.storm_kind)) + " from " + in_name +
                          (r.storm_admitted ? " within" : " over") +
                          " its rate (credit now; the trace takes none)");
      st["kind"] = sw::to_string(r.storm_kind);
      stages.push_back(std::move(st));
    }

    if (r.neighbour != sw::NeighbourKind::kNone) {
      const bool arp = r.neighbour == sw::NeighbourKind::kArp;
      json ns = stage("neighbour_suppression", arp ? "ARP reply" : "neighbour advertisement",
                      std::string(arp ? "ARP request" : "neighbour solicitation") +
                          " answered from the bridge's neighbour table with " +
                          mac(r.neighbour_mac) + " out of " + in_name + ": not flooded");
      ns["mac"] = mac(r.neighbour_mac);
      stages.push_back(std::move(ns));
    }
    if (r.out != sw::kNoPort && r.out != r.in_port) {
      const std::string port = name_of(r.out);
      stages.push_back(stage(
          "unicast", "to " + port,
          r.flooded ? port + " no longer carries VLAN " + vlan + ": flood" : "one output port"));
    }
    if (r.flooded) {
      json members = json::array();
      std::string to, skipped;
      for (const auto& mb : r.flood) {
        const std::string port = name_of(mb.port);
        members.push_back(
            {{"port", port},
             {"tagged", mb.tagged},
             {"skip",
              mb.skip == sw::FloodSkip::kNone ? json(nullptr) : json(sw::to_string(mb.skip))}});
        if (mb.skip == sw::FloodSkip::kNone)
          to += (to.empty() ? "" : ", ") + port;
        else
          skipped += (skipped.empty() ? "" : ", ") + port + " (" +
                     std::string(sw::to_string(mb.skip)) + ")";
      }
      json s2 = stage("flood", to.empty() ? "no port" : to,
                      "VLAN " + vlan + " flood set" +
                          (skipped.empty() ? std::string() : "; skipped: " + skipped));
      s2["members"] = std::move(members);
      stages.push_back(std::move(s2));
    }
  }

  json outputs = json::array();
  std::string out_words, sent_words, shaped_words, limit_words;
  for (const auto& o : r.outputs) {
    const std::string port = name_of(o.port);
    json limit = nullptr;
    if (o.egress_limit.any()) {
      limit = limit_fields(o.egress_limit, o.egress_share, o.egress_credit, o.egress_depth);
      limit["bytes"] = o.bytes;
      limit["verdict"] =
          o.egress_admitted ? "admitted" : sw::to_string(sw::DropReason::kEgressShaped);
      limit_words += "; " + port + " egress limit " +
                     describe_limit(o.egress_limit, o.egress_share) + ": " +
                     describe_credit(o.bytes, o.egress_admitted, o.egress_credit, o.egress_depth) +
                     (o.egress_admitted ? "" : ": egress_shaped");
    }
    outputs.push_back({{"port", port},
                       {"action", sw::to_string(o.action)},
                       {"vlan", o.tagged ? json(o.vid) : json(nullptr)},
                       {"pcp", o.tagged ? json(o.pcp) : json(nullptr)},
                       {"egress_limit", std::move(limit)}});
    const std::string words = port + " (" + output_words(o, f) + ")";
    out_words += (out_words.empty() ? "" : ", ") + words;
    if (o.egress_admitted)
      sent_words += (sent_words.empty() ? "" : ", ") + words;
    else
      shaped_words += (shaped_words.empty() ? "" : ", ") + port;
  }
  if (!r.outputs.empty())
    stages.push_back(stage("output", out_words, "nothing is sent" + limit_words));

  json drops = json::array();
  std::string drop_words;
  for (sw::DropReason d : r.drops) {
    drops.push_back(sw::to_string(d));
    drop_words += (drop_words.empty() ? "" : "; ") + std::string(sw::to_string(d)) + " (" +
                  std::string(sw::kDropReasonHelp[static_cast<size_t>(d)]) + ")";
  }
  // Copies over an output port's egress limit are dropped there, counted on that port.
  if (!shaped_words.empty())
    drop_words +=
        (drop_words.empty() ? "" : "; ") + std::string("egress_shaped at ") + shaped_words + " (" +
        std::string(sw::kDropReasonHelp[static_cast<size_t>(sw::DropReason::kEgressShaped)]) + ")";
  std::string verdict = r.neighbour != sw::NeighbourKind::kNone && !sent_words.empty()
                            ? "answered by the switch: output to " + sent_words
                        : !sent_words.empty() ? "output to " + sent_words
                        : r.to_spanning_tree  ? std::string("to the spanning tree (a BPDU)")
                        : !drop_words.empty() ? "drop: " + drop_words
                                              : "no output: no port carries the frame";
  if (!sent_words.empty() && !drop_words.empty()) verdict += "; drop: " + drop_words;
  return {{"bridge", bridge},
          {"flow", std::move(flow)},
          {"stages", std::move(stages)},
          {"outputs", std::move(outputs)},
          {"drops", std::move(drops)},
          {"verdict", std::move(verdict)}};
}

}  // namespace lvs::ctl
