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
PAGE=${RSM_TEST_SRCDIR:-$(dirname "$0")/..}/../man/rsmd.conf.5

net_require
[ -f "$PAGE" ] || { echo "FAIL - no $PAGE"; exit 1; }
net_setup 2 || { echo "network setup failed"; exit 1; }

# The lines between .EX and .EE of the EXAMPLES section.
example=$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$PAGE" |
    sed -n '/^\.EX/,/^\.EE/p' | sed '1d;$d')
check "rsmd.conf(5) has an example with listen and peers" \
    eval 'grep -q "^listen = " <<<"$example" && grep -q "^peer = " <<<"$example"'

# manual_conf I: the example for node I.  The example is node 1 of
# 10.0.0.1..3; node 2's file is what its administrator writes: its own
# node_id and listen, and the other two as peers.
manual_conf() {
	local i=$1 d
	d=$(node_dir "$i")
	sed -e "s|^node_id = .*|node_id = $i|" \
	    -e "s|^pidfile = .*|pidfile = $d/rsmd.pid|" \
	    -e "s|/etc/rsm/cluster.key|$d/key|" \
	    -e "s|10\.0\.0\.\([0-9]\)|$NET_SUBNET.\1|g" <<<"$example" |
	awk -v me="$i" -v sub_="$NET_SUBNET" '
		/^listen = / { print "listen = " sub_ "." me ":7700"; next }
		/^peer = / { next }
		{ print }
		END {
			for (j = 1; j <= 3; j++)
				if (j != me)
					print "peer = " j " " sub_ "." j ":7700"
		}'
	# Not in the example: where this test's daemons put their sockets.
	echo "socket = $(node_sock "$i")"
}
for i in 1 2; do
	manual_conf "$i" >"$(node_dir "$i")/rsmd.conf"
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
