#!/usr/bin/env python3
"""tamper_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DIR

A TCP relay on the path of a peer link (tests/net/test_peer_tamper.sh):
it forwards both directions and, for the direction from the dialer to the
target, copies every byte to DIR/capture.  It changes what it forwards
only when told, once per command file, and never within the first SKIP
bytes (the handshake):

  DIR/flip    flip one bit of the last byte of the next chunk; then
              DIR/flipped appears
  DIR/replay  send the last forwarded chunk again, right after the next
              one; then DIR/replayed appears
"""
import os
import select
import socket
import sys

SKIP = 128  # HELLO (72 bytes) and AUTH (56) of rsm peer protocol 3

port, host, tport, d = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
open(os.path.join(d, "listening"), "w").close()
pairs = {}      # socket -> (its partner, 1 if it is the dialer's side)
sent = {}       # dialer socket -> bytes forwarded so far
last = {}       # dialer socket -> the last chunk forwarded past SKIP
cap = open(os.path.join(d, "capture"), "ab", buffering=0)


def take(name):
    try:
        os.unlink(os.path.join(d, name))
        return True
    except FileNotFoundError:
        return False


def close(s):
    p, _ = pairs.pop(s, (None, 0))
    sent.pop(s, None)
    last.pop(s, None)
    s.close()
    if p is not None and p in pairs:
        close(p)


while True:
    r, _, _ = select.select([ls] + list(pairs), [], [])
    for s in r:
        if s is ls:
            c, _ = ls.accept()
            t = socket.create_connection((host, tport))
            pairs[c] = (t, 1)
            pairs[t] = (c, 0)
            sent[c] = 0
            continue
        if s not in pairs:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(s)
            continue
        p, from_dialer = pairs[s]
        extra = b""
        if from_dialer:
            cap.write(data)
            before = sent[s]
            sent[s] += len(data)
            if before >= SKIP:
                if take("flip"):
                    data = data[:-1] + bytes([data[-1] ^ 0x01])
                    open(os.path.join(d, "flipped"), "w").close()
                elif s in last and take("replay"):
                    extra = last[s]
                    open(os.path.join(d, "replayed"), "w").close()
                last[s] = data
        try:
            p.sendall(data + extra)
        except OSError:
            close(s)
