#include "switch/pcap_writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lvs::sw {
namespace {

constexpr size_t kBufferBytes = 256 * 1024;

struct GlobalHeader {
  uint32_t magic = kPcapMagicNs;
  uint16_t major = 2, minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0;
  uint32_t snaplen = kPcapSnapLen;
  uint32_t linktype = kPcapLinkEthernet;
};
struct RecordHeader {
  uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};
static_assert(sizeof(GlobalHeader) == 24 && sizeof(RecordHeader) == 16);

}  // namespace

static void shift_files(const std::string& path, uint32_t keep);

std::string pcap_rotated_name(const std::string& path, uint32_t k) {
  return k == 0 ? path : path + "." + std::to_string(k);
}

PcapWriter::~PcapWriter() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<PcapWriter> PcapWriter::to_fd(int fd, const std::string& preamble) {
  std::unique_ptr<PcapWriter> w(new PcapWriter);
  w->fd_ = fd;
  w->buf_.reserve(kBufferBytes);
  w->put(preamble.data(), preamble.size());
  w->begin_file();
  return w;
}

// FILE.(keep-1) goes; FILE.k -> FILE.(k+1); FILE -> FILE.1.
static void shift_files(const std::string& path, uint32_t keep) {
  ::unlink(pcap_rotated_name(path, keep - 1).c_str());
  for (uint32_t k = keep - 1; k >= 1; --k)
    ::rename(pcap_rotated_name(path, k - 1).c_str(), pcap_rotated_name(path, k).c_str());
}

std::unique_ptr<PcapWriter> PcapWriter::to_file(const std::string& path, uint64_t max_bytes,
                                                uint32_t keep_files, std::string* error) {
  keep_files = keep_files < 1 ? 1 : keep_files;
  // A file left by an earlier run (a restart) is kept as FILE.1, not overwritten.
  if (keep_files > 1 && ::access(path.c_str(), F_OK) == 0) shift_files(path, keep_files);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) {
    if (error) *error = "cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<PcapWriter> w(new PcapWriter);
  w->fd_ = fd;
  w->path_ = path;
  w->max_bytes_ = max_bytes;
  w->keep_files_ = keep_files;
  w->buf_.reserve(kBufferBytes);
  w->begin_file();
  return w;
}

bool PcapWriter::begin_file() {
  file_bytes_ = 0;
  const GlobalHeader h;
  return put(&h, sizeof(h));
}

bool PcapWriter::rotate() {
  if (!flush()) return false;
  ::close(fd_);
  fd_ = -1;
  shift_files(path_, keep_files_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd_ < 0) {
    failed_ = true;
    return false;
  }
  return begin_file();
}

bool PcapWriter::write(const uint8_t* data, uint32_t len, uint64_t ts_ns) {
  if (failed_) return false;
  const uint32_t incl = len < kPcapSnapLen ? len : kPcapSnapLen;
  if (max_bytes_ && file_bytes_ > sizeof(GlobalHeader) &&
      file_bytes_ + sizeof(RecordHeader) + incl > max_bytes_ && !rotate())
    return false;
  const RecordHeader r{static_cast<uint32_t>(ts_ns / 1'000'000'000),
                       static_cast<uint32_t>(ts_ns % 1'000'000'000), incl, len};
  if (!put(&r, sizeof(r)) || !put(data, incl)) return false;
  ++records_;
  return true;
}

bool PcapWriter::write(const rte_mbuf* m, uint64_t ts_ns) {
  if (failed_) return false;
  if (m->nb_segs == 1) return write(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, ts_ns);
  const uint32_t len = rte_pktmbuf_pkt_len(m);
  const uint32_t incl = len < kPcapSnapLen ? len : kPcapSnapLen;
  if (max_bytes_ && file_bytes_ > sizeof(GlobalHeader) &&
      file_bytes_ + sizeof(RecordHeader) + incl > max_bytes_ && !rotate())
    return false;
  const RecordHeader r{static_cast<uint32_t>(ts_ns / 1'000'000'000),
                       static_cast<uint32_t>(ts_ns % 1'000'000'000), incl, len};
  if (!put(&r, sizeof(r))) return false;
  uint32_t left = incl;
  for (const rte_mbuf* s = m; s && left; s = s->next) {
    const uint32_t n = s->data_len < left ? s->data_len : left;
    if (!put(rte_pktmbuf_mtod(s, const uint8_t*), n)) return false;
    left -= n;
  }
  ++records_;
  return true;
}

bool PcapWriter::put(const void* p, size_t n) {
  if (failed_) return false;
  file_bytes_ += n;
  if (buf_.size() + n > kBufferBytes && !flush()) return false;
  if (n > kBufferBytes) return write_all(static_cast<const uint8_t*>(p), n);
  const auto* b = static_cast<const uint8_t*>(p);
  buf_.insert(buf_.end(), b, b + n);
  return true;
}

bool PcapWriter::flush() {
  if (failed_) return false;
  if (buf_.empty()) return true;
  const bool ok = write_all(buf_.data(), buf_.size());
  buf_.clear();
  return ok;
}

bool PcapWriter::write_all(const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      // A stream whose reader is slow: wait, but give up when told to stop.
      if (cancel_ && cancel_->load(std::memory_order_relaxed)) break;
      pollfd pfd{fd_, POLLOUT, 0};
      ::poll(&pfd, 1, 100);
      if (pfd.revents & (POLLERR | POLLHUP)) break;
      continue;
    }
    break;
  }
  if (n > 0) failed_ = true;
  return n == 0;
}

}  // namespace lvs::sw
