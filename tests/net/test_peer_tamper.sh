#!/usr/bin/env bash
# test_peer_tamper.sh - peer links nobody on the path can read or change.
#
# Node 2 reaches node 1 only through a relay in its own namespace
# (tamper_proxy.py: node 2's peer line names the relay; node 1's names a
# port where nobody listens, so every link is node 2's dial through it).
# Checked: the link comes up and carries a remote import; after the
# 128-byte handshake the captured stream holds no frame header in the
# clear; one flipped bit, then one replayed chunk, each make node 1
# refuse the link with "failed authentication" (counted as a refusal),
# and node 2's next dial brings a fresh link up that moves data again.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

RELAY_PORT=7800
SEG=0x510002
LEN=65536

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
relay=$NET_DIR/relay
mkdir -p "$relay"
# The relay carries the peer link only: tcp0 data goes straight to node 1.
node_conf 1 "data_listen = $(node_addr 1):0"
node_conf 2 "data_listen = 0.0.0.0:0"
# Node 1 cannot dial node 2; node 2 dials node 1 through the relay.
sed -i "s|^peer = 2 .*|peer = 2 $(node_addr 2):7799|" "$(node_dir 1)/rsmd.conf"
sed -i "s|^peer = 1 .*|peer = 1 127.0.0.1:$RELAY_PORT|" "$(node_dir 2)/rsmd.conf"
on_node 2 python3 "$(dirname "$0")/tamper_proxy.py" "$RELAY_PORT" \
    "$(node_addr 1)" "$PEER_PORT" "$relay" >"$relay/log" 2>&1 &
relay_pid=$!
trap 'rc=$?; kill $relay_pid 2>/dev/null; net_teardown; exit $rc' EXIT
wait_until 5000 test -e "$relay/listening" || nok "the relay listens"
node_start 1
node_start 2
linked() { is_state 1 2 up && is_state 2 1 up; }
check "the link comes up through the relay" wait_until 5000 linked

# data_ok ROUND: node 2 imports node 1's segment and moves checksummed data.
data_ok() {
	local a b
	probe_start imp 2 import 1 $SEG rw
	[ "$(rc_of "$P_LAST")" = 0 ] || return 1
	a=$(probe_say imp "put 0 $LEN $1")
	b=$(probe_say exp "sum 0 $LEN")
	probe_stop imp
	[ "$(rc_of "$a")" = 0 ] && [ "$(sum_of "$a")" = "$(sum_of "$b")" ]
}
probe_start exp 1 export $SEG $LEN 2:0666
check "a remote import over the relayed link moves data" data_ok 1

# Sealed: past the handshake no frame header ("RP", any version, flags 0
# or REPLY, a known type) anywhere in what node 2 sent.
wait_rx 1 2
clear=$(python3 -c '
import re, sys
data = open(sys.argv[1], "rb").read()[128:]
print(len(re.findall(rb"RP[\x01-\x09][\x00\x01][\x01-\x07]\x00", data)))
' "$relay/capture")
check "no frame header in the clear after the handshake ($(stat -c %s "$relay/capture") bytes seen)" \
    test "$clear" -eq 0

refused() { [ "$(grep -c 'failed authentication' "$(node_log 1)")" -ge "$1" ]; }

touch "$relay/flip"
check "the relay flipped a bit" wait_until 5000 test -e "$relay/flipped"
check "node 1 refuses the changed frame" wait_until 5000 refused 1
check "a fresh link comes up" wait_until 10000 linked
check "and moves data" data_ok 2

touch "$relay/replay"
check "the relay replayed a chunk" wait_until 5000 test -e "$relay/replayed"
check "node 1 refuses the replayed frame" wait_until 5000 refused 2
check "a fresh link comes up again" wait_until 10000 linked
check "and moves data again" data_ok 3

probe_stop exp
net_summary
