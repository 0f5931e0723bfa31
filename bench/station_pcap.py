#!/usr/bin/env python3
"""Writes the frames bench/datapath_fwd's station source makes, as a pcap for net_pcap.

  station_pcap.py --port P --stations N [--frames F] [--frame-size B] [--tagged] [--unknown-dst]
                  [--ports K] OUT.pcap

Frame k of port P is station j = (k * stride) mod N (bench/station_source.hpp: the same MACs,
order, IPv4/UDP headers), src 02:00:PP:JJ:JJ:JJ, dst the same station of the partner port P^1
(06:00:... with --unknown-dst). --frames defaults to N (at least 1): net_pcap infinite_rx replays
the file, so every frame of the file is a different station until N > frames. Used to give
datapath_fwd and dpdk-testpmd the very same frames (net_pcap0,rx_pcap=OUT,infinite_rx=1).
"""
import argparse
import math
import struct
import sys

VLAN = 10


def stride(n):
    if n <= 2:
        return 1
    s = int(n * 0.6180339887)
    while math.gcd(s, n) != 1:
        s -= 1
    return s


def mac(prefix, port, j):
    v = (prefix << 40) | ((port & 0xFF) << 24) | j
    return v.to_bytes(6, "big")


def header(frame_len, tagged):
    l2 = 18 if tagged else 14
    ip_len = frame_len - l2 if frame_len > l2 + 28 else 28
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    s = sum(struct.unpack("!10H", ip))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
    udp = struct.pack("!HHHH", 4000, 9, ip_len - 20, 0)
    tag = struct.pack("!HH", 0x8100, VLAN) if tagged else b""
    return tag + b"\x08\x00" + bytes(ip) + udp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stations", type=int, required=True)
    ap.add_argument("--frames", type=int, default=0)
    ap.add_argument("--frame-size", type=int, default=64)
    ap.add_argument("--tagged", action="store_true")
    ap.add_argument("--unknown-dst", action="store_true")
    ap.add_argument("out")
    a = ap.parse_args()
    if not 1 <= a.stations <= 1 << 24:
        sys.exit("station_pcap.py: --stations must be 1..16777216")
    if not 64 <= a.frame_size <= 9000:
        sys.exit("station_pcap.py: --frame-size must be 64..9000")
    frames = a.frames or a.stations
    hdr = header(a.frame_size, a.tagged)
    pad = bytes(a.frame_size - 12 - len(hdr))
    partner = a.port if a.unknown_dst else a.port ^ 1
    dst_prefix = 0x06 if a.unknown_dst else 0x02
    st = stride(a.stations)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        rec = struct.pack("<IIII", 0, 0, a.frame_size, a.frame_size)
        j = 0
        for _ in range(frames):
            f.write(rec + mac(dst_prefix, partner, j) + mac(0x02, a.port, j) + hdr + pad)
            j += st
            if j >= a.stations:
                j -= a.stations
    return 0


if __name__ == "__main__":
    sys.exit(main())
