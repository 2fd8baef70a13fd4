#!/usr/bin/env python3
"""pcap_has.py FILE HEX [N]: exit 0 when the TCP streams recorded in FILE
(tcpdump -w, Ethernet, IPv4 or IPv6) hold the bytes HEX at least N times
(default 1), else 1.

Each direction of each connection is put back together in sequence order
first (retransmissions counted once), so bytes that a segment boundary
cuts in two are still found: a check that something is absent would
otherwise pass for the wrong reason.  A stretch the capture missed splits
a stream, and nothing is matched across it.
"""
import struct
import sys


def packets(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("pcap_has: not a pcap file")
    if struct.unpack(end + "I", data[20:24])[0] != 1:
        sys.exit("pcap_has: not an Ethernet capture")
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def tcp_segment(frame):
    """(flow, seq, payload) of a TCP frame, or None."""
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        hl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst, tcp = ip[12:16], ip[16:20], ip[hl:total]
    elif etype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        plen = struct.unpack("!H", ip[4:6])[0]
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if len(tcp) < 20:
        return None
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    doff = (tcp[12] >> 4) * 4
    return (src, sport, dst, dport), seq, tcp[doff:]


def streams(data):
    """Every direction's bytes, as runs without gaps."""
    flows = {}
    for frame in packets(data):
        seg = tcp_segment(frame)
        if seg is None or not seg[2]:
            continue
        flow, seq, payload = seg
        f = flows.setdefault(flow, {"base": seq, "segs": {}})
        rel = (seq - f["base"]) % (1 << 32)
        if len(payload) > len(f["segs"].get(rel, b"")):
            f["segs"][rel] = payload
    for f in flows.values():
        run, at = bytearray(), None
        for rel in sorted(f["segs"]):
            payload = f["segs"][rel]
            if at is not None and rel > at:
                yield bytes(run)
                run, at = bytearray(), None
            if at is None:
                at = rel
            # Overlap with what is there already: only the new tail.
            run += payload[at - rel:]
            at = max(at, rel + len(payload))
        if run:
            yield bytes(run)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: pcap_has.py FILE HEX [N]")
    want = bytes.fromhex(sys.argv[2])
    need = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    with open(sys.argv[1], "rb") as fp:
        data = fp.read()
    n = sum(run.count(want) for run in streams(data))
    sys.exit(0 if n >= need else 1)


if __name__ == "__main__":
    main()
