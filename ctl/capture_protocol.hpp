#pragma once
// vsctl capture on the control socket: one request line
//   {"id":N,"method":"capture","params":{"port":P,"direction":"rx"|"tx"|"both","count":N}}
// (count 0 or absent: until the client goes away), answered by one reply line, an error as
// any request's, or {"id":N,"result":{"port":P}} followed by a pcap stream (switch/pcap_writer.hpp)
// on the same connection until N frames were written or the client closes it. The daemon copies
// nothing once the stream ended.
namespace lvs::ctl {

inline constexpr const char* kCaptureMethod = "capture";

}  // namespace lvs::ctl
