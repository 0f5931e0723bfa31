#!/usr/bin/env python3
"""Raw Ethernet frames in test namespaces (AF_PACKET; 802.1Q tags rebuilt from PACKET_AUXDATA,
since the kernel hands received tags out of band). One process, one socket per namespace.

  rawframes.py matrix PREFIX NAME:MODES...   learn, then all unicast cases: prints what arrived
  rawframes.py learn PREFIX NAME:MODES...    one broadcast per station and mode (the FDB learns)
  rawframes.py stopped-move PREFIX A B C     C->A, A's MAC sends on B, C->A: where each arrived
  rawframes.py leak PREFIX A T C             A's MAC moves to T; C->A every ms for 60 ms:
                                             how many still reached A
MODES: comma-separated "u" (untagged) or a VID (tagged). Namespaces are PREFIX+NAME, each with
eth0; station NAME's MAC is 02:00:00:00:00:<index+1> (set by the caller)."""
import ctypes, json, os, select, socket, struct, sys, time

ETH_P_ALL, SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 3, 263, 8, 0x10
ETHERTYPE = 0x88B5  # local experimental: nothing else in the namespaces sends it
libc = ctypes.CDLL("libc.so.6", use_errno=True)


def open_in(ns):
    me = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(target, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind(("eth0", 0))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.setblocking(False)
        return s
    finally:
        libc.setns(me, 0x40000000)
        os.close(me), os.close(target)


def mac(i):
    return bytes([2, 0, 0, 0, 0, i + 1])


def frame(dst, src, mode, payload):
    tag = b"" if mode == "u" else struct.pack("!HH", 0x8100, int(mode))
    return dst + src + tag + struct.pack("!H", ETHERTYPE) + payload.encode().ljust(46, b".")


def receive(socks, seconds):
    """(receiver, frame hex) of every test frame that arrived within `seconds`, tags rebuilt."""
    got, end = [], time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return got
        ready, _, _ = select.select(list(socks.values()), [], [], left)
        for name, s in socks.items():
            if s not in ready:
                continue
            while True:
                try:
                    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                for level, kind, aux in anc:
                    if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 20:
                        status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", aux[:20])
                        if status & TP_STATUS_VLAN_VALID:
                            data = data[:12] + struct.pack("!HH", tpid or 0x8100, tci) + data[12:]
                inner = data[12:14] if data[12:14] not in (b"\x81\x00", b"\x88\xa8") else data[16:18]
                if inner == struct.pack("!H", ETHERTYPE):
                    got.append((name, data.hex()))


def stations(args):
    out = []
    for i, a in enumerate(args):
        name, modes = a.split(":")
        out.append((i, name, modes.split(",")))
    return out


def learn(socks, sts):
    for i, name, modes in sts:
        for m in modes:
            socks[name].send(frame(b"\xff" * 6, mac(i), m, "learn %s %s" % (name, m)))
    receive(socks, 0.05)


def main():
    cmd, prefix = sys.argv[1], sys.argv[2]
    if cmd in ("learn", "matrix"):
        sts = stations(sys.argv[3:])
        socks = {name: open_in(prefix + name) for _, name, _ in sts}
        learn(socks, sts)
        if cmd == "learn":
            return
        for i, name, modes in sts:
            for m in modes:
                for j, dname, _ in sts:
                    if j != i:
                        socks[name].send(frame(mac(j), mac(i), m, "%s %s -> %s" % (name, m, dname)))
        print(json.dumps(sorted(receive(socks, 0.15)), indent=0))
    elif cmd == "stopped-move":
        a, b, c = sys.argv[3:6]  # stations 0, 1, 2
        socks = {n: open_in(prefix + n) for n in (a, b, c)}
        receive(socks, 0.02)
        socks[c].send(frame(mac(0), mac(2), "u", "before"))
        first = receive(socks, 0.05)
        socks[b].send(frame(mac(2), mac(0), "u", "moved"))  # A's MAC, now on B
        time.sleep(0.02)
        socks[c].send(frame(mac(0), mac(2), "u", "after"))
        after = receive(socks, 0.05)
        print(json.dumps({"before": sorted(n for n, _ in first),
                          "after": sorted(n for n, f in after if bytes.fromhex(f)[:6] == mac(0))}))
    elif cmd == "leak":
        a, t, c = sys.argv[3:6]  # stations 0, 1, 2; T not offloaded
        socks = {n: open_in(prefix + n) for n in (a, t, c)}
        receive(socks, 0.02)
        socks[t].send(frame(mac(2), mac(0), "u", "moved"))
        sent_at = time.monotonic()
        for k in range(60):
            socks[c].send(frame(mac(0), mac(2), "u", "after %d" % k))
            time.sleep(max(0, sent_at + (k + 1) * 0.001 - time.monotonic()))
        got = receive(socks, 0.05)
        print(sum(1 for n, f in got if n == a and "after" in bytes.fromhex(f).decode(errors="replace")))
    else:
        sys.exit("unknown command " + cmd)


main()
