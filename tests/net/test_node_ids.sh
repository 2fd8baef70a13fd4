#!/usr/bin/env bash
# test_node_ids.sh - two nodes with ids far above the kernel agent's 64:
# 1000 and 65535, the highest.  Their link comes up, rsmadm and the
# topology name them, imports go both ways with put/get checksums, and an
# access list naming 65535 admits that node while one naming 65534 (its
# neighbour) refuses it, also after a republish.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_NOT_TO_NODE=8
MIB=1048576
# lib.sh's node I is node id ID[I] here.
ID=(- 1000 65535)

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }

# big_conf I: node I's config under its large id, the other node its peer.
big_conf() {
	local i=$1 j=$((3 - $1))
	{
		echo "node_id = ${ID[$i]}"
		echo "socket = $(node_sock "$i")"
		echo "log_level = info"
		echo "listen = $(node_addr "$i"):$PEER_PORT"
		echo "data_listen = 0.0.0.0:0"
		echo "cluster_key_file = $(node_dir "$i")/key"
		echo "heartbeat_ms = $HEARTBEAT_MS"
		echo "dead_after_ms = $DEAD_AFTER_MS"
		echo "peer = ${ID[$j]} $(node_addr "$j"):$PEER_PORT"
	} >"$(node_dir "$i")/rsmd.conf"
}
for i in 1 2; do
	big_conf "$i"
	node_start "$i" || nok "node ${ID[$i]} starts"
done
check "node 1000 sees node 65535 up" wait_until 5000 is_state 1 65535 up
check "node 65535 sees node 1000 up" wait_until 5000 is_state 2 1000 up

# ---- what the operator and the topology see ----
check "rsmadm status: node id 65535" test "$(adm 2 status |
    awk '$1 == "node" && $2 == "id:" { print $3 }')" = 65535
check "rsmadm -j status: node_id 65535" test "$(adm 2 -j status |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["node_id"])')" \
    = 65535
# Its address starts under ADDRESS: the NODE column holds five digits.
check "rsmadm nodes names 65535 in its own column" test "$(adm 1 nodes |
    awk -v a="$(node_addr 2):$PEER_PORT" 'NR == 1 { h = index($0, "ADDRESS") }
    $1 == 65535 { print index($0, a) == h }')" = 1
check "rsmadm ping 65535 answers" eval \
    "adm 1 ping 65535 | grep -q '^node 65535: round trip'"
check "rsmadm ping 65536 is refused" eval "! adm 1 ping 65536 2>/dev/null"
topo=$(RSM_DAEMON_SOCKET=$(node_sock 1) on_node 1 "$NET_BIN/topo_probe")
check "topology of node 1000: local 1000" grep -qx "local 1000" <<<"$topo"
check "topology of node 1000: remote 65535 active" \
    grep -qx "remote 65535 tcp0 active" <<<"$topo"

# ---- node 65535 imports from node 1000, admitted by name ----
probe_start exp 1 export 0x600001 $MIB 65535:0666
check "exporter on node 1000 (list: 65535)" test "$P_LAST" = ready
probe_start imp 2 import 1000 0x600001 rw
check_rc "node 65535 imports from node 1000" 0 "$P_LAST"
probe_checksums $MIB 1 4096 65536 $MIB
check "put/get/putv/getv/barrier checksums from node 65535" test "$bad" = 0

# ---- a list naming the neighbour 65534 keeps 65535 out ----
probe_start exn 1 export 0x600002 $MIB 65534:0666
check "exporter on node 1000 (list: 65534)" test "$P_LAST" = ready
probe_start imn 2 import 1000 0x600002 r
check_rc "node 65535 is not node 65534" $E_NOT_TO_NODE "$P_LAST"
probe_close imn
check_rc "the first list now names 65534 only" 0 \
    "$(probe_say exp "republish 65534:0666")"
check_rc "the existing import keeps working" 0 "$(probe_say imp "get 0 4096")"
probe_start imn 2 import 1000 0x600001 r
check_rc "so a new import from node 65535 is refused" $E_NOT_TO_NODE \
    "$P_LAST"
probe_close imn

# ---- and the other way: node 1000 imports from node 65535 ----
probe_quit imp
probe_start ex2 2 export 0x600003 $MIB 1000:0666
check "exporter on node 65535 (list: 1000)" test "$P_LAST" = ready
probe_start im1 1 import 65535 0x600003 rw
check_rc "node 1000 imports from node 65535" 0 "$P_LAST"
a=$(probe_say im1 "put 4093 65536 7")
b=$(probe_say ex2 "sum 4093 65536")
check "node 1000's put lands on node 65535" test "$(rc_of "$a")/$(sum_of "$a")" \
    = "0/$(sum_of "$b")"
probe_say ex2 "fill 0 $MIB 8" >/dev/null
a=$(probe_say im1 "get 0 $MIB")
b=$(probe_say ex2 "sum 0 $MIB")
check "node 1000's get reads node 65535's memory" test \
    "$(rc_of "$a")/$(sum_of "$a")" = "0/$(sum_of "$b")"

for p in im1 ex2 exp exn; do probe_quit "$p"; done
for i in 1 2; do
	check "node ${ID[$i]}: nothing left" wait_until 2000 eval \
	    "[ \"\$(status_of $i imports)\" = 0 ] && \
	    [ \"\$(status_of $i segments)\" = 0 ]"
done
for i in 1 2; do
	node_stop "$i" "node ${ID[$i]}"
done
net_summary
