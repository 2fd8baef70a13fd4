#!/usr/bin/env bash
# test_manual.sh - the cluster of rsmd.conf(5)'s EXAMPLES, written as a
# user copies it: the example is taken from the page itself, only its
# addresses, paths and node ids substituted, for two nodes of the three it
# names (node 3 stays down).  Over tcp0 and its defaults: connect, put,
# get, putv, getv and barriers with checksums, and signals both ways.
# Then a data port nobody can reach: the connect itself answers
# RSMERR_REMOTE_NODE_UNREACHABLE and both daemons log the address.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_UNREACH=39
MIB=1048576
SEG=0x400123

net_require
[ -f "$MANUAL_PAGE" ] || { echo "FAIL - no $MANUAL_PAGE"; exit 1; }
net_setup 2 || { echo "network setup failed"; exit 1; }

# The example, as rsmd.conf(5) shows it (manual_example, lib.sh).
example=$(manual_example)
check "rsmd.conf(5) has an example with listen and peers" \
    eval 'grep -q "^listen = " <<<"$example" && grep -q "^peer = " <<<"$example"'

for i in 1 2; do
	manual_conf "$i" "$NET_SUBNET" >"$(node_dir "$i")/rsmd.conf"
done
check "no data_listen in the example" \
    eval '! grep -q data_listen "$(node_dir 1)/rsmd.conf"'
check "the example checks (rsmd -n)" \
    "$RSMD_BIN" -n -c "$(node_dir 1)/rsmd.conf"
for i in 1 2; do
	node_start "$i" || nok "node $i starts"
done
up12() { [ "$(node_state 1 2)" = up ] && [ "$(node_state 2 1)" = up ]; }
check "nodes 1 and 2 see each other up" wait_until 8000 up12

# ---- data over tcp0, as configured ----
probe_start exp 1 export $SEG $((4 * MIB)) 2:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 connects through tcp0" 0 "$P_LAST"
probe_checksums $((4 * MIB)) 1 4096 65536 $MIB $((4 * MIB))
check "put/get/putv/getv/barrier checksums over tcp0" test "$bad" = 0
check_rc "importer posts" 0 "$(probe_say imp post)"
check_rc "exporter on node 1 is woken" 0 "$(probe_say exp "wait 3000")"
check_rc "exporter posts" 0 "$(probe_say exp post)"
check_rc "importer on node 2 is woken" 0 "$(probe_say imp "wait 3000")"
probe_quit imp

# ---- a data port node 2 cannot reach ----
# Node 1's administrator puts its data port on an address only node 1
# has (no route from node 2), while the peer link stays up: the connect
# must say so itself, not a later get, and both daemons name the address.
probe_quit exp
kill -TERM "$(node_pid 1)"
wait_until 5000 eval '! kill -0 "$(node_pid 1)"'
LONE=10.99.$(( $$ % 250 + 1 )).1
on_node 1 ip addr add "$LONE/32" dev lo
echo "data_listen = $LONE:0" >>"$(node_dir 1)/rsmd.conf"
node_start 1 || nok "node 1 restarts with data_listen = $LONE:0"
check "nodes 1 and 2 see each other up again" wait_until 8000 up12
probe_start exp 1 export $SEG $MIB 2:0666
check "exporter on node 1 ready again" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "the connect answers REMOTE_NODE_UNREACHABLE" $E_UNREACH "$P_LAST"
probe_close imp
check "node 2 logs the data port it could not reach" \
    wait_until 3000 log_has 2 "data port $LONE:[0-9]+ cannot be reached"
check "node 1 logs that node 2 cannot reach it" \
    wait_until 3000 log_has 1 "node 2 cannot reach this node's data port at $LONE:[0-9]+"
check "node 1 keeps no import of node 2's" \
    wait_until 3000 eval '[ "$(status_of 1 imports)" = 0 ]'
check "node 2 keeps no import either" \
    wait_until 3000 eval '[ "$(status_of 2 imports)" = 0 ]'
probe_quit exp

net_summary
