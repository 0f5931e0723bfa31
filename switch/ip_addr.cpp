#include "switch/ip_addr.hpp"

#include <arpa/inet.h>

namespace lvs::sw {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

bool IpAddr::is_unspecified() const {
  for (size_t i = 0; i < (v6 ? 16u : 4u); ++i)
    if (bytes[i]) return false;
  return true;
}

bool IpAddr::is_multicast() const {
  if (v6) return bytes[0] == 0xff;
  const bool all_ones =
      bytes[0] == 0xff && bytes[1] == 0xff && bytes[2] == 0xff && bytes[3] == 0xff;
  return (bytes[0] & 0xf0) == 0xe0 || all_ones;
}

}  // namespace lvs::sw
