#pragma once
// pcap files and streams of what mirrors and captures copy (the classic libpcap format with
// nanosecond timestamps, magic a1b23c4d, link type Ethernet): what tcpdump -r and tshark -r read.
//
// Two shapes: a stream to a file descriptor (vsctl capture -w FILE|-, one header then records
// until the peer goes away), or a file rotated by size (mirror --output-pcap FILE
// --pcap-max-size MB): when FILE would pass the size it is renamed FILE.1 (FILE.1 to FILE.2 ...,
// the oldest past `keep_files` removed) and a fresh FILE begins with its own header, so every
// file reads on its own. Writes are buffered; flush() hands them to the kernel. Used by the one
// writer thread of a PcapSink (mirror_sink.hpp), never by a PMD.
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lvs::sw {

inline constexpr uint32_t kPcapMagicNs = 0xa1b23c4d;
inline constexpr uint32_t kPcapSnapLen = 262144;
inline constexpr uint32_t kPcapLinkEthernet = 1;
inline constexpr uint32_t kPcapDefaultKeepFiles = 5;  // FILE and FILE.1 .. FILE.4

class PcapWriter {
 public:
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Streams to `fd` (taken over, closed by the writer). `cancel`, when set, ends a write that
  // waits on a peer not reading.
  // `preamble` goes out before the pcap header (the control reply that precedes the stream).
  static std::unique_ptr<PcapWriter> to_fd(int fd, const std::string& preamble = {});
  // Creates (truncates) `path`; rotates past `max_bytes` (0: never). Null and `error` set when
  // the file cannot be created.
  static std::unique_ptr<PcapWriter> to_file(const std::string& path, uint64_t max_bytes,
                                             uint32_t keep_files, std::string* error);

  // One record: the frame's bytes (all segments, cut at the snap length), stamped `ts_ns`
  // (nanoseconds since the epoch). False once writing failed (peer gone, disk full).
  bool write(const rte_mbuf* m, uint64_t ts_ns);
  bool write(const uint8_t* data, uint32_t len, uint64_t ts_ns);
  bool flush();
  bool failed() const { return failed_; }
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  int fd() const { return fd_; }
  uint64_t records() const { return records_; }

 private:
  PcapWriter() = default;
  bool put(const void* p, size_t n);
  bool write_all(const uint8_t* p, size_t n);
  bool begin_file();  // the global header
  bool rotate();

  int fd_ = -1;
  std::string path_;  // empty for a stream
  uint64_t max_bytes_ = 0;
  uint32_t keep_files_ = kPcapDefaultKeepFiles;
  uint64_t file_bytes_ = 0;  // bytes in the current file, buffered ones included
  uint64_t records_ = 0;
  bool failed_ = false;
  const std::atomic<bool>* cancel_ = nullptr;
  std::vector<uint8_t> buf_;
};

// "FILE.k" for rotation index k (0: FILE itself).
std::string pcap_rotated_name(const std::string& path, uint32_t k);

}  // namespace lvs::sw
