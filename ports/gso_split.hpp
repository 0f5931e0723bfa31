#pragma once
// Cuts a TCP GSO super-frame over 64 KiB (BIG TCP: a container's veth end with
// gso_ipv4_max_size, or for IPv6 gso_max_size, above 64 KiB, which the kernel carries whole)
// into GSO frames of at most kMaxKernelFrame, each a whole number of tso_segsz segments, so that
// everything past the port (tag rewrite, floods, tunnels, vhost-user, the tx paths) keeps the
// 64 KiB bound it was built for. Only frames the switch itself forwards pay this: offloaded
// flows go through the kernel.
//
// Each piece is a fresh mbuf holding the L2-L4 headers, rewritten as the kernel's GSO would
// rewrite them for its first segment (IPv4 total length, id + first segment's index and header
// checksum; IPv6 payload length, without the hop-by-hop jumbo header (RFC 2675) the kernel puts
// in IPv6 frames over 64 KiB; TCP seq, FIN/PSH on the last piece only, CWR on the first only;
// the TCP checksum field: the pseudo-header sum of the piece's own length, which is what a
// CHECKSUM_PARTIAL GSO frame carries), then indirect mbufs over the payload bytes of the
// original frame: no payload byte is copied.
#include <rte_mbuf.h>

#include <cstdint>

namespace lvs::ports {

// Splits `m` (TX_TCP_SEG with l2/l3/l4_len and tso_segsz set, headers in its first segment)
// into pieces taken from `pool` and written to out[0..), at most `max`. Returns how many; `m` is
// consumed (freed) then. Returns 0 and leaves `m` alone when it is not such a frame (an IPv6
// header other than payload length 0 with a lone jumbo header or none, or a real payload length),
// the pieces would be more than `max`, or the pool ran dry.
unsigned split_big_gso(rte_mbuf* m, rte_mempool* pool, rte_mbuf** out, unsigned max);

}  // namespace lvs::ports
