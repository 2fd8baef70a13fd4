#!/usr/bin/env bash
# test_peers.sh - two nodes in network namespaces: they link up and
# heartbeat, rsmadm nodes/ping report it, the topology lists the peer, and
# hostile input on the peer port (garbage frames, a wrong MAC, a silent
# client, a flood of 1000 connections) is refused and closed while the
# link between the nodes stays up.
set -u
. "$(dirname "$0")/lib.sh"

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }

node_start 1 || nok "node 1 starts"
node_start 2 || nok "node 2 starts"

both_up() { is_state 1 2 up && is_state 2 1 up; }
no_down() { ! grep -q 'node [12] down' "$(node_log 1)" "$(node_log 2)"; }

check "two nodes see each other up" wait_until 5000 both_up

age=$(node_hb_age 1 2)
check "heartbeat age ($age ms) is below dead_after_ms" \
    test "${age:--1}" -ge 0 -a "${age:--1}" -lt "$DEAD_AFTER_MS"
# Three more receptions on node 2 from node 1, each a frame sent after
# the one before.
heard=0
for k in 1 2 3; do
	wait_rx 2 1 && heard=$((heard + 1))
done
check "heartbeats keep coming (node 2 heard node 1 anew $heard/3 times)" \
    test "$heard" -eq 3
age=$(node_hb_age 2 1)
check "and the last is recent ($age ms ago)" \
    test "${age:--1}" -ge 0 -a "${age:--1}" -lt "$DEAD_AFTER_MS"

json=$(adm 1 -j nodes)
check "rsmadm -j nodes lists node 2 up with its address" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
n = [e for e in d["nodes"] if e["node"] == 2]
assert d["node_id"] == 1 and d["count"] == 1 and len(n) == 1
assert n[0]["state"] == "up" and n[0]["address"] == sys.argv[2]
assert n[0]["up_ms"] > 0
' "$json" "$(node_addr 2):$PEER_PORT"

out=$(adm 1 ping 2)
check "rsmadm ping 2 measures a round trip ($out)" \
    grep -q "^node 2: round trip [0-9]*\.[0-9]* ms$" <<<"$out"
rtt=$(adm 2 -j ping 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["rtt_us"])')
check "rsmadm -j ping 1 from node 2: ${rtt:-?} us" \
    test "${rtt:-0}" -gt 0 -a "${rtt:-0}" -lt 1000000
adm 1 ping 9 >/dev/null 2>&1
check "ping of a node that is not a peer fails with status 3" test $? -eq 3

topo=$(RSM_DAEMON_SOCKET=$(node_sock 1) on_node 1 "$NET_BIN/topo_probe")
check "topology from node 1 names node 1 and node 2 active" \
    grep -qx "remote 2 tcp0 active" <<<"$topo"
check "topology reports the local node id" grep -qx "local 1" <<<"$topo"

# ---- hostile input on node 1's peer port, sent from node 2's namespace ----
poke() {	# poke MODE LOG_PATTERN
	local mode=$1 pat=$2 before after
	before=$(grep -Ec "$pat" "$(node_log 1)")
	if ! on_node 2 "$NET_BIN/peer_poke" "$(node_addr 1)" "$PEER_PORT" \
	    "$mode"; then
		nok "$mode: connection closed by rsmd"
		return
	fi
	ok "$mode: connection closed by rsmd"
	logged() { [ "$(grep -Ec "$pat" "$(node_log 1)")" -gt "$before" ]; }
	wait_until 2000 logged
	after=$(grep -Ec "$pat" "$(node_log 1)")
	check "$mode: refusal logged (/$pat/)" test "$after" -gt "$before"
}
poke truncated "refused: connection closed in the middle of a frame"
poke oversized "refused: bad frame header: length out of bounds"
poke version "refused: bad frame header: unsupported protocol version"
poke type "refused: bad frame header: unknown frame type"
poke flags "refused: bad frame header: flags invalid"
poke random "refused: bad frame header: bad magic"
poke badauth "refused: authentication failed"
poke silent "not authenticated within"

check "after the garbage, node 1 still sees node 2 up" is_state 1 2 up
check "after the garbage, node 2 still sees node 1 up" is_state 2 1 up
check "the link never went down" no_down

# ---- a flood of connections must not starve the link or the control side ----
fds1=$(node_fds 1)
on_node 2 "$NET_BIN/peer_poke" "$(node_addr 1)" "$PEER_PORT" flood 1000 3000 \
    >"$NET_DIR/flood.out" 2>&1 &
flood=$!
# The client says how many it opened, then holds them for 3 s: the flood
# is on from that line until the client exits.
check "the flood client opened its connections" \
    wait_until 10000 grep -q "^opened" "$NET_DIR/flood.out"
pings=0 failed=0
limit=$(( $(now_ms) + 10000 ))
while kill -0 "$flood" 2>/dev/null && [ "$(now_ms)" -lt "$limit" ]; do
	if adm 1 ping 2 >/dev/null && is_state 1 2 up && is_state 2 1 up; then
		pings=$((pings + 1))
	else
		failed=$((failed + 1))
	fi
done
check "during a flood of 1000 connections the link stays up and pings \
answer ($pings answered, $failed failed)" test "$pings" -ge 5 -a "$failed" -eq 0
wait "$flood"
check "the flood client ran ($(cat "$NET_DIR/flood.out"))" \
    grep -q "^opened [1-9][0-9]* of 1000" "$NET_DIR/flood.out"
check "the flood was bounded and logged" log_has 1 \
    "unauthenticated connections: dropping the oldest"
# Over for rsmd 1 once it has closed what it kept of the flood; a frame
# each way after that shows the link lived through it.
check "rsmd 1 closed the flood's connections (back to $fds1 descriptors)" \
    wait_until 5000 eval '[ "$(node_fds 1)" -le "$fds1" ]'
check "node 1 hears node 2 after the flood" wait_rx 1 2
check "node 2 hears node 1 after the flood" wait_rx 2 1
check "after the flood, both still up" both_up
check "the link never went down during the flood" no_down
ping_after=$(adm 2 ping 1)
check "ping after the flood ($ping_after)" grep -q "round trip" <<<"$ping_after"

for i in 1 2; do
	node_stop "$i"
done

net_summary
