#!/usr/bin/env bash
# test_cluster.sh - four nodes in network namespaces: a node with the
# wrong cluster key is refused by everyone (both sides log it) while the
# others link up; with the right key all four see each other; kill -9 of
# one rsmd and taking one node's link down are both seen as "down" by the
# others within dead_after_ms + 200 ms (measured, asserted generously
# below 3 s), and the node rejoins after a restart or link up.
set -u
. "$(dirname "$0")/lib.sh"

# Detection must stay under this (dead_after_ms is 1000 ms).
DETECT_LIMIT_MS=3000
REJOIN_LIMIT_MS=8000

net_require
net_setup 4 || { echo "network setup failed"; exit 1; }

# Node 4 gets a key of its own: the others must refuse it.
head -c 64 /dev/urandom >"$(node_dir 4)/key"
chmod 600 "$(node_dir 4)/key"
for i in 1 2 3 4; do
	node_start "$i" || nok "node $i starts"
done

trio_up() {
	local i j
	for i in 1 2 3; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] || is_state "$i" "$j" up || return 1
		done
	done
}
check "nodes 1-3 see each other up" wait_until 5000 trio_up
# Each refusal of node 4 is logged: once logged, node 4 has been judged.
for i in 1 2 3; do
	check "node $i logged node 4's failed authentication" wait_until 5000 \
	    log_has "$i" "node 4 .*refused: authentication failed"
	check "node $i does not accept node 4 (wrong key)" \
	    test "$(node_state "$i" 4)" != up
done
check "node 4 logged the others' failed authentication" \
    wait_until 5000 log_has 4 "node [123] .*refused: authentication failed"
sees_nobody() { ! adm "$1" nodes | grep -q ' up '; }
check "node 4 sees nobody up" sees_nobody 4
check "nodes 1-3 stayed up throughout" trio_up

# Node 4 with the right key: all four.
node_kill9 4
install -m 600 "$NET_DIR/cluster.key" "$(node_dir 4)/key"
node_start 4 || nok "node 4 restarts"
every_up() {
	local i
	for i in 1 2 3 4; do all_up "$i" || return 1; done
}
check "four nodes see each other up" wait_until 5000 every_up
# Each node hears each other one anew (a heartbeat after they all came
# up), and then the last heard is recent.
old_ages=0
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		if ! wait_rx "$i" "$j"; then
			echo "# node $i: nothing new from node $j"
			old_ages=$((old_ages + 1))
		fi
		age=$(node_hb_age "$i" "$j")
		if [ "${age:--1}" -lt 0 ] || [ "$age" -ge "$DEAD_AFTER_MS" ]; then
			echo "# node $i: heartbeat age of node $j is $age ms"
			old_ages=$((old_ages + 1))
		fi
	done
done
check "every heartbeat age is below dead_after_ms" test "$old_ages" -eq 0
topo=$(RSM_DAEMON_SOCKET=$(node_sock 1) on_node 1 "$NET_BIN/topo_probe")
check "topology from node 1 lists nodes 2, 3 and 4 active" test \
    "$(grep -c '^remote [234] tcp0 active$' <<<"$topo")" -eq 3

# ---- kill -9 ----
down_everywhere() {	# down_everywhere NODE: every other node sees it not up
	local i
	for i in 1 2 3 4; do
		[ "$i" = "$1" ] && continue
		[ "$(node_state "$i" "$1")" = up ] && return 1
	done
	return 0
}
t0=$(now_ms)
node_kill9 3
wait_until 10000 down_everywhere 3
dt=$(( $(now_ms) - t0 ))
echo "# kill -9 of node 3 seen as down by nodes 1, 2, 4 after $dt ms"
check "kill -9 seen as down within $DETECT_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$DETECT_LIMIT_MS"
check "node 1 logged node 3 down" log_has 1 "node 3 down"
others_up() {	# others_up NODE: all but NODE see each other up
	local i j
	for i in 1 2 3 4; do
		[ "$i" = "$1" ] && continue
		for j in 1 2 3 4; do
			[ "$j" = "$1" ] || [ "$j" = "$i" ] ||
			    is_state "$i" "$j" up || return 1
		done
	done
}
check "nodes 1, 2, 4 stay up among themselves" others_up 3
t0=$(now_ms)
node_start 3 || nok "node 3 restarts"
wait_until "$REJOIN_LIMIT_MS" every_up
dt=$(( $(now_ms) - t0 ))
check "restarted node 3 rejoins ($dt ms)" every_up

# ---- link down ----
t0=$(now_ms)
ip -n "$(node_ns 2)" link set eth0 down
wait_until 10000 down_everywhere 2
dt=$(( $(now_ms) - t0 ))
echo "# link down on node 2 seen as down by nodes 1, 3, 4 after $dt ms"
check "link down seen as down within $DETECT_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$DETECT_LIMIT_MS"
check "link down was detected by silence, not by a closed socket" \
    log_has 1 "node 2 down: nothing received for"
check "node 2 sees the others down too" wait_until 3000 sees_nobody 2
check "nodes 1, 3, 4 stay up among themselves" others_up 2
t0=$(now_ms)
ip -n "$(node_ns 2)" link set eth0 up
wait_until "$REJOIN_LIMIT_MS" every_up
dt=$(( $(now_ms) - t0 ))
check "after link up node 2 is up again everywhere ($dt ms)" every_up

for i in 1 2 3 4; do
	node_stop "$i"
done

net_summary
