#!/usr/bin/env python3
"""data_proxy.py LISTEN_HOST PORT TARGET_HOST TARGET_PORT DIR

A TCP relay on the path of tcp0 data connections
(tests/net/test_data_encrypt.sh), the data-port sibling of
tamper_proxy.py.  It forwards both directions and appends every byte to
DIR/capture.up (importer to server) and DIR/capture.down (server to
importer).

It reads the server's CHALLENGE (rsm data protocol 3: 32-byte header,
then 32 nonce bytes and the cipher).  When the cipher is not 0 the
connection is sealed, and past the importer's HELLO (112 bytes) the
relay forwards the importer's stream record by record (4 length bytes,
the data, a 16-byte tag), so that it can change one record when told,
once per command file:

  DIR/flip    flip one bit of the next record's data; then DIR/flipped
  DIR/replay  send the next record twice; then DIR/replayed

DIR/listening appears once it accepts connections.
"""
import os
import select
import socket
import struct
import sys

HELLO = 32 + 80          # header and body of HELLO
CHALLENGE = 32 + 40      # header and body of CHALLENGE
CIPHER_AT = 32 + 32      # the cipher byte in the CHALLENGE
TAG = 16

lhost, port, host, tport, d = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                               int(sys.argv[4]), sys.argv[5])
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((lhost, port))
ls.listen(16)
up = open(os.path.join(d, "capture.up"), "ab", buffering=0)
down = open(os.path.join(d, "capture.down"), "ab", buffering=0)
open(os.path.join(d, "listening"), "w").close()


class Conn:
    def __init__(self, cli, srv):
        self.cli, self.srv = cli, srv
        self.head = b""      # the server's first CHALLENGE bytes
        self.sealed = None   # unknown until the CHALLENGE is in
        self.sent_up = 0     # importer bytes forwarded
        self.pending = b""   # importer bytes past HELLO, not forwarded


conns = {}  # socket -> Conn


def take(name):
    try:
        os.unlink(os.path.join(d, name))
        return True
    except FileNotFoundError:
        return False


def close(c):
    for s in (c.cli, c.srv):
        conns.pop(s, None)
        s.close()


def records(c):
    """Whole records of c.pending, changed as told; the rest stays."""
    out = b""
    while len(c.pending) >= 4:
        n = struct.unpack("=I", c.pending[:4])[0]
        if len(c.pending) < 4 + n + TAG:
            break
        rec, c.pending = c.pending[:4 + n + TAG], c.pending[4 + n + TAG:]
        if take("flip"):
            rec = rec[:4] + bytes([rec[4] ^ 0x01]) + rec[5:]
            open(os.path.join(d, "flipped"), "w").close()
        elif take("replay"):
            rec = rec + rec
            open(os.path.join(d, "replayed"), "w").close()
        out += rec
    return out


def from_importer(c, data):
    up.write(data)
    if c.sealed is None or not c.sealed:
        # Before the CHALLENGE is known nothing past HELLO can come.
        c.sent_up += len(data)
        return data
    out = b""
    if c.sent_up < HELLO:
        k = min(HELLO - c.sent_up, len(data))
        out, data = data[:k], data[k:]
        c.sent_up += k
    c.pending += data
    out += records(c)
    return out


def from_server(c, data):
    down.write(data)
    if c.sealed is None:
        c.head += data
        if len(c.head) >= CHALLENGE:
            c.sealed = c.head[CIPHER_AT] != 0
    return data


while True:
    r, _, _ = select.select([ls] + list(conns), [], [])
    for s in r:
        if s is ls:
            cli, _ = ls.accept()
            try:
                srv = socket.create_connection((host, tport))
            except OSError:
                cli.close()
                continue
            c = Conn(cli, srv)
            conns[cli] = c
            conns[srv] = c
            continue
        c = conns.get(s)
        if c is None:
            continue
        try:
            data = s.recv(262144)
        except OSError:
            data = b""
        if not data:
            close(c)
            continue
        try:
            if s is c.cli:
                c.srv.sendall(from_importer(c, data))
            else:
                c.cli.sendall(from_server(c, data))
        except OSError:
            close(c)
