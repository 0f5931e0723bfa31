#include "ctl/cluster/store_url.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "ctl/cluster/cluster_view.hpp"

namespace lvs::ctl::cluster {
namespace {

constexpr std::string_view kScheme = "etcd://";

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return h.front() != '-' && h.front() != '.';
}

bool valid_ipv6(const std::string& h) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, h.c_str(), &a) == 1;
}

// Why one "HOST:PORT" of the list is wrong, or "" when it is right.
std::string check_one(std::string_view item) {
  const std::string quoted = "'" + std::string(item) + "'";
  if (item.empty()) return std::string("empty endpoint in the list (two commas or a trailing one)");
  std::string_view host, port;
  if (item.front() == '[') {
    const size_t close = item.find(']');
    if (close == std::string_view::npos) return "endpoint " + quoted + ": '[' without ']'";
    host = item.substr(1, close - 1);
    if (close + 1 >= item.size() || item[close + 1] != ':')
      return "endpoint " + quoted + ": no port (write [IPV6]:PORT)";
    port = item.substr(close + 2);
    if (!valid_ipv6(std::string(host)))
      return "endpoint " + quoted + ": '" + std::string(host) + "' is not an IPv6 address";
  } else {
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos)
      return "endpoint " + quoted + ": no port (write HOST:PORT)";
    host = item.substr(0, colon);
    port = item.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return "endpoint " + quoted + ": an IPv6 address goes in brackets ([ADDR]:PORT)";
    if (!valid_hostname(host))
      return "endpoint " + quoted + ": '" + std::string(host) + "' is not a host name or address";
  }
  int p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
    return "endpoint " + quoted + ": port '" + std::string(port) + "' is not a number in 1..65535";
  return "";
}

}  // namespace

std::variant<std::vector<std::string>, std::string> parse_store_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme)
    return "cluster store '" + std::string(url) +
           "': only etcd://HOST:PORT[,HOST:PORT...] is supported";
  std::string_view rest = url.substr(kScheme.size());
  if (rest.empty()) return "cluster store '" + std::string(url) + "': no endpoint after etcd://";
  if (rest.find('/') != std::string_view::npos)
    return "cluster store '" + std::string(url) + "': no path allowed after HOST:PORT";
  std::vector<std::string> out;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (std::string why = check_one(item); !why.empty())
      return "cluster store '" + std::string(url) + "': " + why;
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

HostPort split_host_port(std::string_view endpoint) {
  HostPort hp;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return hp;
  std::string_view host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  hp.host = std::string(host);
  const std::string_view port = endpoint.substr(colon + 1);
  std::from_chars(port.data(), port.data() + port.size(), hp.port);
  return hp;
}

}  // namespace lvs::ctl::cluster
