#include "ctl/trace_format.hpp"

#include "ctl/output_format.hpp"

namespace lvs::ctl {

std::string format_trace(const nlohmann::json& t) {
  auto text = [](const nlohmann::json& v) {
    return v.is_string() ? escape_control_chars(v.get<std::string>()) : v.dump();
  };
  const auto& f = t.at("flow");
  std::string s = "Bridge: " + text(t.at("bridge")) + "\nFlow: in_port=" + text(f.at("in_port")) +
                  " dl_src=" + text(f.at("dl_src")) + " dl_dst=" + text(f.at("dl_dst"));
  if (!f.at("dl_vlan").is_null())
    s += " dl_vlan=" + text(f.at("dl_vlan")) + " dl_pcp=" + text(f.at("dl_pcp"));
  s += " dl_type=" + text(f.at("dl_type")) + "\n\n";
  for (const auto& st : t.at("stages")) {
    s += text(st.at("stage")) + ": " + text(st.at("result")) + "\n";
    if (const auto d = st.find("detail"); d != st.end() && !d->get<std::string>().empty())
      s += "    " + text(*d) + "\n";
  }
  return s + "\nVerdict: " + text(t.at("verdict")) + "\n";
}

}  // namespace lvs::ctl
