#!/usr/bin/env bash
# test_simul.sh - two rsmd started at the same moment, many times over:
# both dial each other at once, and the pair must settle on one link
# without a down/up.  Each round starts both daemons back to back, then
# checks that both see each other up, that neither logged "node N down" or
# a replaced link, that each logged the node up exactly once, that exactly
# one established peer connection joins them (the same one seen from both
# sides), and that an import made by node 2 as soon as it sees node 1 up
# connects and moves data, before and after the link has settled.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

ROUNDS=${SIMUL_ROUNDS:-20}
SEG=0x510001
LEN=65536

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
for i in 1 2; do
	node_conf "$i" "data_listen = 0.0.0.0:0"
done

both_up() { is_state 1 2 up && is_state 2 1 up; }
sock_up() { adm 1 status >/dev/null && adm 2 status >/dev/null; }
# Established peer connections of node I, "LOCAL PEER" a line.
peer_conns() {
	on_node "$1" ss -Htn state established \
	    "( sport = :$PEER_PORT or dport = :$PEER_PORT )" |
	    awk '{ print $(NF-1), $NF }'
}
# Exactly one peer connection on each node, and it is the same one.
one_conn() {
	local a b
	a=$(peer_conns 1)
	b=$(peer_conns 2)
	[ "$(wc -l <<<"$a")" -eq 1 ] && [ "$(wc -l <<<"$b")" -eq 1 ] &&
	    [ -n "$a" ] && [ "$(awk '{ print $2, $1 }' <<<"$b")" = "$a" ]
}
# How many lines of node I's log match PATTERN.
log_count() { grep -Ec "$2" "$(node_log "$1")"; }

kept_lower=0 kept_higher=0
for r in $(seq 1 "$ROUNDS"); do
	why=
	: >"$(node_log 1)"
	: >"$(node_log 2)"
	# Back to back: both dial while the other is coming up.
	node_spawn 1
	node_spawn 2
	if ! wait_until 5000 sock_up; then
		nok "round $r: both daemons answer"
		break
	fi
	probe_start exp 1 export $SEG $LEN 2:0666
	[ "$P_LAST" = ready ] || why="$why; exporter: '$P_LAST'"
	# The import goes out the moment node 2 has a link.
	if wait_until 5000 is_state 2 1 up; then
		probe_start imp 2 import 1 $SEG rw
		if [ "$(rc_of "$P_LAST")" = 0 ]; then
			a=$(probe_say imp "put 0 $LEN $r")
			b=$(probe_say exp "sum 0 $LEN")
			[ "$(rc_of "$a")" = 0 ] && [ "$(sum_of "$a")" = \
			    "$(sum_of "$b")" ] ||
			    why="$why; first put: '$a' / exporter '$b'"
		else
			why="$why; import as the link came up: '$P_LAST'"
		fi
	else
		why="$why; node 2 never saw node 1 up"
		probe_start imp 2 import 1 $SEG rw
	fi
	wait_until 5000 both_up || why="$why; not both up"
	wait_until 3000 one_conn ||
	    why="$why; peer connections: node 1 [$(peer_conns 1 | tr '\n' ,)]\
 node 2 [$(peer_conns 2 | tr '\n' ,)]"
	# A frame each way on the link that stayed: anything that was still
	# settling has settled by now.
	wait_rx 1 2 || why="$why; node 1 hears nothing new from node 2"
	wait_rx 2 1 || why="$why; node 2 hears nothing new from node 1"
	probe_say exp "fill 0 $LEN $((r + 100))" >/dev/null
	b=$(probe_say exp "sum 0 $LEN")
	a=$(probe_say imp "get 0 $LEN")
	[ "$(rc_of "$a")" = 0 ] && [ "$(sum_of "$a")" = "$(sum_of "$b")" ] ||
	    why="$why; later get: '$a' / exporter '$b'"
	for i in 1 2; do
		j=$((3 - i))
		n=$(log_count "$i" "node $j down")
		[ "$n" -eq 0 ] || why="$why; node $i logged node $j down $n times"
		n=$(log_count "$i" "replaces the old one")
		[ "$n" -eq 0 ] || why="$why; node $i replaced its link $n times"
		n=$(log_count "$i" "node $j up")
		[ "$n" -eq 1 ] || why="$why; node $i logged node $j up $n times"
	done
	# Which dial won, as the logs of both tell it.
	if log_has 1 "node 2 up: .*this node connected" &&
	    log_has 2 "node 1 up: .*it connected"; then
		kept_lower=$((kept_lower + 1))
	elif log_has 1 "node 2 up: .*it connected" &&
	    log_has 2 "node 1 up: .*this node connected"; then
		kept_higher=$((kept_higher + 1))
	else
		why="$why; the logs disagree on who dialed the link"
	fi
	probe_quit imp
	probe_quit exp
	if [ -n "$why" ]; then
		nok "round $r: ${why#; }"
		net_dump_logs
	else
		ok "round $r: one link, no down/up, the early import moved data"
	fi
	for i in 1 2; do
		pid=$(node_pid "$i")
		kill "$pid"
		wait "$pid"
		[ $? -eq 0 ] || nok "round $r: node $i exits cleanly on SIGTERM"
		rm -f "$(node_dir "$i")/pid"
	done
	cat "$(node_log 1)" >>"$NET_DIR/n1/all.log"
	cat "$(node_log 2)" >>"$NET_DIR/n2/all.log"
done
# The sanitizer check of net_summary reads every round.
cp "$NET_DIR/n1/all.log" "$(node_log 1)"
cp "$NET_DIR/n2/all.log" "$(node_log 2)"
echo "# kept the link node 1 dialed in $kept_lower rounds, node 2's in" \
    "$kept_higher"
net_summary
