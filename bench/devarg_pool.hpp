#pragma once
// How many mbufs a DPDK port given by devargs needs in its rx pool (bench/datapath_fwd).
//
// A pool must hold, at once: the rx ring's descriptors (refilled at start), mbufs of this pool
// sitting in every port's tx ring (a NIC frees them only on completion), the per-lcore caches,
// the bursts in flight in the switch, and whatever the PMD keeps for itself. net_pcap with
// infinite_rx=1 reads the whole rx_pcap file into mbufs of the rx pool when it starts; with a
// pool smaller than the file, rte_eth_dev_start fails ("cannot start DPDK device").
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace lvs::bench {

// The value of `key=` in "driver,key=value,..." devargs, if present.
inline std::optional<std::string> devarg_value(const std::string& devargs, const std::string& key) {
  size_t pos = devargs.find(',');
  while (pos != std::string::npos) {
    const size_t start = pos + 1;
    const size_t end = devargs.find(',', start);
    const std::string kv = devargs.substr(start, end == std::string::npos ? end : end - start);
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    pos = end;
  }
  return std::nullopt;
}

// Records in a classic pcap file (either byte order, µs or ns stamps); nullopt with `error`
// set when it is not one.
inline std::optional<uint64_t> pcap_records(const std::string& path, std::string& error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  unsigned char gh[24];
  if (std::fread(gh, 1, sizeof gh, f) != sizeof gh) {
    std::fclose(f);
    error = path + ": too short for a pcap header";
    return std::nullopt;
  }
  const uint32_t magic = gh[0] | (gh[1] << 8) | (gh[2] << 16) | (uint32_t{gh[3]} << 24);
  bool swapped;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
    swapped = false;
  else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
    swapped = true;
  else {
    std::fclose(f);
    error = path + ": not a pcap file (pcapng is not read by net_pcap)";
    return std::nullopt;
  }
  uint64_t n = 0;
  unsigned char rh[16];
  while (std::fread(rh, 1, sizeof rh, f) == sizeof rh) {
    const unsigned char* c = rh + 8;  // incl_len
    const uint32_t len = swapped ? (uint32_t{c[0]} << 24) | (c[1] << 16) | (c[2] << 8) | c[3]
                                 : c[0] | (c[1] << 8) | (c[2] << 16) | (uint32_t{c[3]} << 24);
    if (std::fseek(f, len, SEEK_CUR) != 0) break;
    ++n;
  }
  std::fclose(f);
  return n;
}

// Frames the PMD of `devargs` keeps in its rx pool for its own use (0 for most kinds).
inline std::optional<uint64_t> frames_kept_by_pmd(const std::string& devargs, std::string& error) {
  if (devargs.rfind("net_pcap", 0) != 0) return 0;
  const auto infinite = devarg_value(devargs, "infinite_rx");
  const auto file = devarg_value(devargs, "rx_pcap");
  if (!file || !infinite || *infinite == "0") return 0;
  return pcap_records(*file, error);
}

// The pool size (2^k - 1, as rte_mempool likes) for one port of `queues` queues among `ports`.
inline unsigned rx_pool_mbufs(uint64_t kept, unsigned queues, size_t ports, unsigned lcores) {
  constexpr uint64_t kRing = 1024, kCache = 256, kInFlight = 4096;
  const uint64_t need = kept + kRing * queues * (1 + ports) + kCache * (lcores + 1) + kInFlight;
  uint64_t size = 1;
  while (size - 1 < need) size <<= 1;
  return static_cast<unsigned>(size - 1);
}

}  // namespace lvs::bench
