#!/usr/bin/env bash
# test_remote4.sh - four nodes: node 1 exports to nodes 2 and 3 (not 4),
# node 3 exports to node 1 at the same time; data with checksums from
# several importers at once, a post on node 1's export handle waking the
# importers on both nodes, and the death of node 2's rsmd dropping only
# node 2's import on node 1 while node 3 carries on.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_NOT_TO_NODE=8
E_ABORTED=40
MIB=1048576

net_require
net_setup 4 || { echo "network setup failed"; exit 1; }
# No data_listen: the data port listens at the host of listen (rsmd.conf(5)).
for i in 1 2 3 4; do
	node_start "$i" || nok "node $i starts"
done
every_up() {
	local i
	for i in 1 2 3 4; do all_up "$i" || return 1; done
}
check "four nodes see each other up" wait_until 8000 every_up

probe_start e1 1 export 0x600001 $((8 * MIB)) 2:0666 3:0666
check "exporter on node 1 (nodes 2 and 3)" test "$P_LAST" = ready
probe_start e3 3 export 0x600003 $MIB
check "exporter on node 3 (everyone)" test "$P_LAST" = ready
probe_start i2 2 import 1 0x600001 rw
check_rc "node 2 imports from node 1" 0 "$P_LAST"
probe_start i3 3 import 1 0x600001 rw
check_rc "node 3 imports from node 1" 0 "$P_LAST"
probe_start i4 4 import 1 0x600001 r
check_rc "node 4 is not in the access list" $E_NOT_TO_NODE "$P_LAST"
probe_close i4
probe_start i1 1 import 3 0x600003 rw
check_rc "node 1 imports from node 3" 0 "$P_LAST"
check "node 1 lists importers on nodes 2 and 3" eval \
    "adm 1 segments | grep -q '@2' && adm 1 segments | grep -q '@3'"

# Both importers write their own half at once, then read the other's.
half=$((4 * MIB))
probe_send i2 "put 0 $half 11"
probe_send i3 "put $half $half 12"
a2=$(probe_read i2)
a3=$(probe_read i3)
b2=$(probe_say e1 "sum 0 $half")
b3=$(probe_say e1 "sum $half $half")
check "concurrent puts from nodes 2 and 3 land intact" test \
    "$(sum_of "$a2")/$(sum_of "$a3")" = "$(sum_of "$b2")/$(sum_of "$b3")"
g2=$(probe_say i2 "getv $half $half 9")
g3=$(probe_say i3 "get 0 $half")
check "each reads the other's half" test \
    "$(sum_of "$g2")/$(sum_of "$g3")" = "$(sum_of "$a3")/$(sum_of "$a2")"
a1=$(probe_say i1 "putv 4093 $((MIB - 8192)) 13 5")
b1=$(probe_say e3 "sum 4093 $((MIB - 8192))")
check "node 1 writes into node 3's segment" test "$(sum_of "$a1")" = \
    "$(sum_of "$b1")"

check_rc "node 1's exporter posts" 0 "$(probe_say e1 post)"
check_rc "importer on node 2 woken" 0 "$(probe_say i2 "wait 3000")"
check_rc "importer on node 3 woken" 0 "$(probe_say i3 "wait 3000")"
check_rc "node 1's importer posts to node 3" 0 "$(probe_say i1 post)"
check_rc "node 3's exporter woken" 0 "$(probe_say e3 "wait 3000")"

# Node 2's daemon dies: node 1 drops its import, node 3 carries on.
node_kill9 2
check "node 1 stops listing node 2's importer" wait_until 5000 eval \
    "! adm 1 segments | grep -q '@2'"
check_rc "node 2's importer reports the loss" $E_ABORTED \
    "$(probe_say i2 "get 0 8")"
check_rc "node 3's import still works" 0 "$(probe_say i3 "get 0 $MIB")"
probe_kill9 i2
node_start 2 || nok "node 2 restarts"
check "node 2 rejoins" wait_until 8000 every_up
probe_start i2 2 import 1 0x600001 rw
check_rc "node 2 imports again" 0 "$P_LAST"
a2=$(probe_say i2 "put 0 65536 21")
b2=$(probe_say e1 "sum 0 65536")
check "and moves data" test "$(sum_of "$a2")" = "$(sum_of "$b2")"

for p in i1 i2 i3 e1 e3; do probe_quit "$p"; done
for i in 1 2 3; do
	check "node $i: nothing left" wait_until 2000 eval \
	    "[ \"\$(status_of $i imports)\" = 0 ] && \
	    [ \"\$(status_of $i segments)\" = 0 ]"
done
for i in 1 2 3 4; do
	node_stop "$i"
done
net_summary
