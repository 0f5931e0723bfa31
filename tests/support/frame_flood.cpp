// lvs_frame_flood: sends Ethernet frames on an interface as fast as it can (AF_PACKET, sendmmsg
// batches, qdisc bypassed): the hostile sender of the robustness tests (MAC flooding, storms).
//
//   lvs_frame_flood IFACE COUNT [--src random|MAC] [--dst random|MAC] [--seed N]
//
// random source: a fresh locally administered unicast MAC per frame (macof's attack); random
// destination: the same, so every frame is unknown unicast. 60-byte frames, EtherType 0x88b5
// (IEEE local experimental). Prints "sent N frames in S s" and exits 0 when all were sent.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>

namespace {

constexpr unsigned kBatch = 64;
constexpr size_t kFrameSize = 60;

std::optional<uint64_t> parse_mac(const std::string& s) {
  unsigned b[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6)
    return std::nullopt;
  uint64_t v = 0;
  for (unsigned x : b) v = v << 8 | x;
  return v;
}

void put_mac(uint8_t* p, uint64_t mac) {
  for (int i = 5; i >= 0; --i, mac >>= 8) p[i] = static_cast<uint8_t>(mac);
}

int usage() {
  std::fprintf(stderr,
               "usage: lvs_frame_flood IFACE COUNT [--src random|MAC] [--dst random|MAC] "
               "[--seed N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string iface = argv[1];
  char* end = nullptr;
  const unsigned long long count = std::strtoull(argv[2], &end, 10);
  if (*end != '\0' || count == 0) return usage();
  std::optional<uint64_t> src, dst = 0xffffffffffffULL;
  uint64_t seed = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string opt = argv[i], val = argv[i + 1];
    if (opt == "--src" || opt == "--dst") {
      std::optional<uint64_t> mac;
      if (val != "random") {
        mac = parse_mac(val);
        if (!mac) return usage();
      }
      (opt == "--src" ? src : dst) = mac;
    } else if (opt == "--seed") {
      seed = std::strtoull(val.c_str(), nullptr, 10);
    } else {
      return usage();
    }
  }
  if ((argc - 3) % 2 != 0) return usage();

  const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing
  if (fd < 0) {
    std::perror("socket(AF_PACKET)");
    return 1;
  }
  const unsigned ifindex = ::if_nametoindex(iface.c_str());
  if (ifindex == 0) {
    std::fprintf(stderr, "no interface %s\n", iface.c_str());
    return 1;
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = static_cast<int>(ifindex);
  addr.sll_protocol = htons(0x88b5);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("bind");
    return 1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));  // best effort

  std::mt19937_64 rng(seed);
  // Locally administered (bit 1) unicast (bit 0 clear) addresses.
  auto random_mac = [&] { return (rng() & 0xfcffffffffffULL) | 0x020000000000ULL; };
  static uint8_t frames[kBatch][kFrameSize];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  for (unsigned i = 0; i < kBatch; ++i) {
    std::memset(frames[i], 0, kFrameSize);
    frames[i][12] = 0x88;
    frames[i][13] = 0xb5;
    iov[i] = {frames[i], kFrameSize};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  const auto t0 = std::chrono::steady_clock::now();
  unsigned long long sent = 0;
  while (sent < count) {
    const unsigned n = static_cast<unsigned>(std::min<unsigned long long>(kBatch, count - sent));
    for (unsigned i = 0; i < n; ++i) {
      put_mac(frames[i], dst ? *dst : random_mac());
      put_mac(frames[i] + 6, src ? *src : random_mac());
      // A sequence number in the payload: every frame differs.
      const uint64_t seq = sent + i;
      std::memcpy(frames[i] + 14, &seq, sizeof(seq));
    }
    const int r = ::sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) continue;
      std::perror("sendmmsg");
      return 1;
    }
    sent += static_cast<unsigned>(r);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("sent %llu frames in %.3f s (%.0f frames/s)\n", sent, s,
              static_cast<double>(sent) / s);
  ::close(fd);
  return 0;
}
