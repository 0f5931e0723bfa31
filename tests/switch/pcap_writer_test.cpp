// The pcap writer (format, rotation, streams) and the sink that feeds it from PMD rings.
#include "switch/pcap_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "switch/mirror_sink.hpp"
#include "tests/support/frames.hpp"

namespace lvs::sw {
namespace {

namespace fs = std::filesystem;

struct Record {
  uint32_t sec, nsec, incl, orig;
  std::vector<uint8_t> bytes;
};
struct PcapFile {
  uint32_t magic = 0, linktype = 0;
  std::vector<Record> records;
  bool truncated = false;
};

PcapFile parse(const std::vector<uint8_t>& d) {
  PcapFile f;
  if (d.size() < 24) return f;
  std::memcpy(&f.magic, d.data(), 4);
  std::memcpy(&f.linktype, d.data() + 20, 4);
  size_t at = 24;
  while (at + 16 <= d.size()) {
    Record r;
    uint32_t h[4];
    std::memcpy(h, d.data() + at, 16);
    r.sec = h[0], r.nsec = h[1], r.incl = h[2], r.orig = h[3];
    at += 16;
    if (at + r.incl > d.size()) {
      f.truncated = true;
      break;
    }
    r.bytes.assign(d.begin() + static_cast<long>(at), d.begin() + static_cast<long>(at + r.incl));
    at += r.incl;
    f.records.push_back(std::move(r));
  }
  f.truncated |= at != d.size();
  return f;
}
std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class PcapWriterTest : public testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("lvs-pcap-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    path = (dir / "out.pcap").string();
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
  std::string path;
};

TEST_F(PcapWriterTest, WritesAHeaderAndOneRecordPerFrameWithItsBytesAndTime) {
  const auto a = test::frame_bytes({.payload = 46}), b = test::frame_bytes({.payload = 1000});
  {
    std::string err;
    auto w = PcapWriter::to_file(path, 0, 3, &err);
    ASSERT_TRUE(w) << err;
    rte_mbuf* m = test::make_raw(test::test_pool(), a);
    EXPECT_TRUE(w->write(m, 1'700'000'000'123'456'789ULL));
    rte_pktmbuf_free(m);
    EXPECT_TRUE(w->write(b.data(), static_cast<uint32_t>(b.size()), 5));
  }
  const PcapFile f = parse(slurp(path));
  EXPECT_EQ(f.magic, kPcapMagicNs);
  EXPECT_EQ(f.linktype, kPcapLinkEthernet);
  EXPECT_FALSE(f.truncated);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[0].sec, 1'700'000'000u);
  EXPECT_EQ(f.records[0].nsec, 123'456'789u);
  EXPECT_EQ(f.records[0].bytes, a);
  EXPECT_EQ(f.records[0].orig, a.size());
  EXPECT_EQ(f.records[1].bytes, b);
}

TEST_F(PcapWriterTest, RotatesPastTheSizeKeepingEachFileReadableAndTheNewestFrames) {
  const uint64_t max = 1000;
  {
    auto w = PcapWriter::to_file(path, max, 3, nullptr);
    ASSERT_TRUE(w);
    for (uint8_t i = 0; i < 40; ++i) {
      auto bytes = test::frame_bytes({.payload = 84, .fill = i});  // 98 + 16 bytes a record
      ASSERT_TRUE(w->write(bytes.data(), static_cast<uint32_t>(bytes.size()), i));
    }
  }
  ASSERT_TRUE(fs::exists(path));
  ASSERT_TRUE(fs::exists(path + ".1"));
  ASSERT_TRUE(fs::exists(path + ".2"));
  EXPECT_FALSE(fs::exists(path + ".3"));  // 3 files kept
  uint32_t newest = 0;
  for (const std::string& p : {path + ".2", path + ".1", path}) {
    EXPECT_LE(fs::file_size(p), max) << p;
    const PcapFile f = parse(slurp(p));
    EXPECT_EQ(f.magic, kPcapMagicNs) << p;
    EXPECT_FALSE(f.truncated) << p;
    ASSERT_FALSE(f.records.empty()) << p;
    EXPECT_GE(f.records.front().nsec, newest) << p;  // older files hold older frames
    newest = f.records.back().nsec;
  }
  EXPECT_EQ(newest, 39u);
}

TEST_F(PcapWriterTest, ReopeningKeepsTheEarlierFileAsDotOne) {
  const auto a = test::frame_bytes({});
  for (int run = 0; run < 2; ++run) {
    auto w = PcapWriter::to_file(path, 1 << 20, 5, nullptr);
    ASSERT_TRUE(w);
    w->write(a.data(), static_cast<uint32_t>(a.size()), static_cast<uint64_t>(run));
  }
  EXPECT_EQ(parse(slurp(path + ".1")).records.at(0).nsec, 0u);
  EXPECT_EQ(parse(slurp(path)).records.at(0).nsec, 1u);
}

TEST_F(PcapWriterTest, AStreamCarriesThePreambleThenThePcap) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const auto a = test::frame_bytes({});
  {
    auto w = PcapWriter::to_fd(fds[1], "{\"result\":1}\n");
    w->write(a.data(), static_cast<uint32_t>(a.size()), 0);
  }  // closes the write end
  std::vector<uint8_t> got;
  uint8_t buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) got.insert(got.end(), buf, buf + n);
  ::close(fds[0]);
  const std::string pre = "{\"result\":1}\n";
  ASSERT_GT(got.size(), pre.size());
  EXPECT_EQ(std::string(got.begin(), got.begin() + static_cast<long>(pre.size())), pre);
  const PcapFile f = parse({got.begin() + static_cast<long>(pre.size()), got.end()});
  ASSERT_EQ(f.records.size(), 1u);
  EXPECT_EQ(f.records[0].bytes, a);
}

TEST_F(PcapWriterTest, ASinkWritesNFramesThenTakesNoMoreAndFreesEveryCopy) {
  const unsigned before = rte_mempool_in_use_count(test::test_pool());
  {
    auto w = PcapWriter::to_file(path, 0, 1, nullptr);
    PcapSink sink(std::move(w), {.pmds = 2, .ring_size = 64, .max_frames = 3});
    rte_mbuf* pkts[5];
    for (auto& m : pkts) m = test::make_raw(test::test_pool(), test::frame_bytes({}));
    sink.offer(0, pkts, 5, 0);
    for (int i = 0; i < 200 && !sink.finished(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(sink.finished());
    EXPECT_FALSE(sink.accepting());
    EXPECT_EQ(sink.written(), 3u);
    // A full ring drops (and frees) what does not fit, without waiting: 100 frames offered at
    // once to a ring of 63 while its writer naps.
    PcapSink small(PcapWriter::to_file(path + ".s", 0, 1, nullptr), {.pmds = 1, .ring_size = 64});
    rte_mbuf* many[100];
    for (auto& m : many) m = test::make_raw(test::test_pool(), test::frame_bytes({}));
    small.offer(0, many, 100, 0);
    EXPECT_GT(small.dropped(), 0u);
    for (int i = 0; i < 200 && small.written() + small.dropped() < 100; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(small.written() + small.dropped(), 100u);
  }
  EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), before);
  EXPECT_EQ(parse(slurp(path)).records.size(), 3u);
}

}  // namespace
}  // namespace lvs::sw
