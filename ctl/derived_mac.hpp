#pragma once
// Stable names and addresses derived from strings, so that running vsattach twice gives the same
// interface names and MACs.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace lvs::ctl {

// MD5 (RFC 1321) of `text`. Here only to derive MACs exactly as pipework does; not for security.
std::array<uint8_t, 16> md5(const std::string& text);
std::string md5_hex(const std::string& text);

// pipework's `U:string`: "02:" + the first five bytes of md5(string), a locally administered
// unicast MAC ("U:web" always gives the same address). nullopt when `spec` does not start "U:".
std::optional<std::string> derived_mac(const std::string& spec);

// The host end of a container's veth: "v" + up to 6 alphanumerics of the container + "-" + 7 hex
// digits of md5(container_key + "/" + ifname). At most 15 characters (IFNAMSIZ), valid as a port
// name, and distinct for each (container, interface).
std::string host_veth_name(const std::string& container, const std::string& container_key,
                           const std::string& ifname);

}  // namespace lvs::ctl
