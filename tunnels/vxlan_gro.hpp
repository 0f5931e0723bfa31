#pragma once
// Receive side of the kernel underlay with UDP_GRO on its socket: the kernel hands over several
// VXLAN datagrams of one UDP flow in one buffer (each gso_size bytes, the last one shorter or
// equal). When they carry consecutive pieces of one inner TCP/IPv4 stream (same headers but for
// the sequence number and PSH, contiguous sequence numbers, every piece but the last of the same
// length, valid inner checksums) they are joined into one inner TSO super-frame, which then
// crosses the switch and the container's veth once, as the kernel's own VXLAN GRO would do.
// Otherwise each datagram becomes a packet of its own. Either way the payload is copied once into
// fresh mbufs and the buffer is freed. A joined frame goes into one mbuf of `large` (64 KiB room,
// large_frame_pool.hpp) when one is free, each piece's payload checksummed right after its copy
// (in L1, one pass over the source); else into a chain of `pool` mbufs, checksums first.
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>

namespace lvs::tunnels {

struct GroPacket {
  rte_mbuf* m = nullptr;  // a VXLAN packet (header + inner frame), as decap() expects
  uint16_t mss = 0;       // non-zero: a joined TCP super-frame, segments of this payload size
  uint8_t l4_len = 0;     // its TCP header length
};

// Splits or joins `m` (consumed). Returns how many packets went to out[0..), at most `max`;
// datagrams without room or mbufs are dropped and counted in `dropped`. `large` may be nullptr.
unsigned vxlan_gro_receive(rte_mbuf* m, uint16_t gso_size, rte_mempool* pool, rte_mempool* large,
                           GroPacket* out, unsigned max, uint64_t& dropped);

// GRE (no UDP GRO): frames[0..n) are inner frames (Ethernet first) just decapsulated from one
// receive burst, all of one (remote, key), in arrival order. Runs of consecutive pieces of one
// inner TCP/IPv4 stream (the same rules as above) are joined into one super-frame each (in
// `large` when it has a free mbuf, else a chain of `pool`); every other frame, and the pieces of
// a run that cannot be joined (a bad checksum, no mbufs), is passed on as it is. All n frames
// are consumed; returns how many packets went to out[0..) (at most n), in order.
unsigned tcp_join_frames(rte_mbuf** frames, unsigned n, rte_mempool* pool, rte_mempool* large,
                         GroPacket* out);

// After decap: marks a joined frame as a TSO super-frame (the datapath's offload flags).
void mark_joined(rte_mbuf* inner, const GroPacket& p);

}  // namespace lvs::tunnels
