// Words for each stage of a trace. The decisions come from the report (what the pipeline did);
// the "detail" only describes the configuration that made them (the port's VLAN policy, its
// storm limits, the flood set), so nothing here decides anything again.
#include "ctl/trace_json.hpp"

#include <cstdio>

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
  // (RSTP: the "stp_state" stage goes here; issue 18: the "policing" stage goes here.)
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
  std::string out_words;
  for (const auto& o : r.outputs) {
    const std::string port = name_of(o.port);
    outputs.push_back({{"port", port},
                       {"action", sw::to_string(o.action)},
                       {"vlan", o.tagged ? json(o.vid) : json(nullptr)},
                       {"pcp", o.tagged ? json(o.pcp) : json(nullptr)}});
    out_words += (out_words.empty() ? "" : ", ") + port + " (" + output_words(o, f) + ")";
  }
  if (!r.outputs.empty()) stages.push_back(stage("output", out_words, "nothing is sent"));

  json drops = json::array();
  std::string drop_words;
  for (sw::DropReason d : r.drops) {
    drops.push_back(sw::to_string(d));
    drop_words += (drop_words.empty() ? "" : "; ") + std::string(sw::to_string(d)) + " (" +
                  std::string(sw::kDropReasonHelp[static_cast<size_t>(d)]) + ")";
  }
  std::string verdict = !r.outputs.empty()  ? "output to " + out_words
                        : r.to_spanning_tree ? std::string("to the spanning tree (a BPDU)")
                        : !r.drops.empty()   ? "drop: " + drop_words
                                           : "no output: no port carries the frame";
  if (!r.outputs.empty() && !r.drops.empty()) verdict += "; drop: " + drop_words;
  return {{"bridge", bridge},
          {"flow", std::move(flow)},
          {"stages", std::move(stages)},
          {"outputs", std::move(outputs)},
          {"drops", std::move(drops)},
          {"verdict", std::move(verdict)}};
}

}  // namespace lvs::ctl
