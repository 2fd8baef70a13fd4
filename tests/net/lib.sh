# lib.sh - a cluster of rsmd nodes on one machine, for the network tests.
#
# Sourced by tests/net/test_*.sh.  Each node is a network namespace
# "rsmPID-nI" holding one end of a veth pair whose other end sits on a
# bridge in a switch namespace "rsmPID-sw", so nothing is added to the
# machine's own namespace and deleting the namespaces removes every link.
# Node I has address 10.77.X.I/24, where X comes from the PID, and its own
# rsmd, config, cluster key, socket and log under a private directory
# (a script for more than 254 nodes redefines node_addr and NET_PREFIX).
# net_setup installs an EXIT trap that tears all of it down, on failure too.
#
# Every wait is bounded (wait_until); results are counted by ok/nok and
# summed by net_summary as "N passed, N failed".

RSMD_BIN=${RSMD_BIN:?RSMD_BIN must name the rsmd binary}
RSMADM_BIN=${RSMADM_BIN:?RSMADM_BIN must name the rsmadm binary}
NET_BIN=${NET_BIN:-$(cd "$(dirname "$RSMD_BIN")/../tests/net" && pwd)}

NET_TAG=rsm$$
NET_SW=$NET_TAG-sw
NET_SUBNET=10.77.$(( $$ % 250 + 1 ))
NET_DIR=
NET_N=0
NET_PASS=0
NET_FAIL=0
NET_NODES_UP=()
HEARTBEAT_MS=${HEARTBEAT_MS:-100}
DEAD_AFTER_MS=${DEAD_AFTER_MS:-1000}
NET_PREFIX=24
PEER_PORT=7700

# Exit 77 (skipped) unless root with working network namespaces.
net_require() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: network namespace tests need root"
		exit 77
	fi
	if ! ip netns add "$NET_TAG-probe" 2>/dev/null; then
		echo "SKIP: ip netns is not available"
		exit 77
	fi
	ip netns del "$NET_TAG-probe"
}

ok()  { NET_PASS=$((NET_PASS + 1)); echo "ok   - $*"; }
nok() { NET_FAIL=$((NET_FAIL + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_until TIMEOUT_MS COMMAND...: rerun COMMAND every 20 ms until it
# succeeds (0) or TIMEOUT_MS have passed (1).  The tests synchronise only
# through this, on something they can observe; the 20 ms sleep is the
# poll interval, never a wait for something to happen.
wait_until() {
	local limit=$(( $(now_ms) + $1 ))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(now_ms)" -ge "$limit" ] && return 1
		sleep 0.02
	done
	return 0
}

node_ns()   { echo "$NET_TAG-n$1"; }
node_addr() { echo "$NET_SUBNET.$1"; }
node_dir()  { echo "$NET_DIR/n$1"; }
node_sock() { echo "$NET_DIR/n$1/rsmd.sock"; }
node_log()  { echo "$NET_DIR/n$1/rsmd.log"; }
# on_node I COMMAND...: run a command inside node I's namespace.
on_node() { local i=$1; shift; ip netns exec "$(node_ns "$i")" "$@"; }
adm() { local i=$1; shift; "$RSMADM_BIN" -s "$(node_sock "$i")" "$@"; }

# State of node J as node I sees it: up, connecting, down (or empty).
node_state() {
	adm "$1" nodes 2>/dev/null | awk -v n="$2" '$1 == n { print $3 }'
}
# Heartbeat age in ms of node J as node I sees it.
node_hb_age() {
	adm "$1" -j nodes 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
for e in json.load(sys.stdin)["nodes"]:
    if e["node"] == n:
        print(e["heartbeat_age_ms"] if e["heartbeat_age_ms"] is not None else -1)
' "$2"
}
is_state() { [ "$(node_state "$1" "$2")" = "$3" ]; }
# When node I last received anything (heartbeats included) from node J,
# in ms after their link came up: up_ms - heartbeat_age_ms of one reply,
# so no shell timing enters it.  It grows with every frame received.
node_rx_mark() {
	adm "$1" -j nodes 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
for e in json.load(sys.stdin)["nodes"]:
    if e["node"] == n and e["state"] == "up" and \
        e["heartbeat_age_ms"] is not None:
        print(e["up_ms"] - e["heartbeat_age_ms"])
' "$2"
}
# rx_since I J MARK: node I has received from node J since MARK, on the
# same link.
rx_since() {
	local m
	m=$(node_rx_mark "$1" "$2")
	[ -n "$m" ] && [ "$m" -gt "$3" ]
}
# wait_rx I J [TIMEOUT_MS]: wait until node I receives something new from
# node J (a heartbeat comes every heartbeat_ms): the positive event that
# bounds a check that something does not happen to the link.
wait_rx() {
	local m
	m=$(node_rx_mark "$1" "$2")
	[ -n "$m" ] || return 1
	wait_until "${3:-$((DEAD_AFTER_MS * 2))}" rx_since "$1" "$2" "$m"
}
# Descriptors open in node I's rsmd.
node_fds() { ls "/proc/$(node_pid "$1")/fd" 2>/dev/null | wc -l; }
# CPU time node I's rsmd has used so far, in clock ticks (user + system).
node_cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' \
	    "/proc/$(node_pid "$1")/stat"
}

net_teardown() {
	local i pid
	for i in $(seq 1 "$NET_N"); do
		pid=$(cat "$(node_dir "$i")/pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
	done
	for i in $(seq 1 "$NET_N"); do
		ip netns del "$(node_ns "$i")" 2>/dev/null
	done
	ip netns del "$NET_SW" 2>/dev/null
	[ -n "$NET_DIR" ] && rm -rf "$NET_DIR"
}

net_dump_logs() {
	local i
	for i in $(seq 1 "$NET_N"); do
		echo "---- node $i log"
		tail -"${NET_LOG_LINES:-30}" "$(node_log "$i")" 2>/dev/null
	done
}

# net_setup N: N namespaces on one bridge, and a key per node (all equal).
net_setup() {
	local i ns
	NET_N=$1
	NET_DIR=$(mktemp -d "/tmp/$NET_TAG.XXXXXX")
	chmod 755 "$NET_DIR"
	trap 'rc=$?; net_teardown; exit $rc' EXIT
	trap 'exit 1' INT TERM
	head -c 64 /dev/urandom >"$NET_DIR/cluster.key"
	ip netns add "$NET_SW" || return 1
	ip -n "$NET_SW" link add br0 type bridge || return 1
	ip -n "$NET_SW" link set br0 up
	for i in $(seq 1 "$NET_N"); do
		ns=$(node_ns "$i")
		mkdir -p "$(node_dir "$i")"
		install -m 600 "$NET_DIR/cluster.key" "$(node_dir "$i")/key"
		ip netns add "$ns" || return 1
		ip -n "$NET_SW" link add "p$i" type veth peer name eth0 \
		    netns "$ns" || return 1
		ip -n "$NET_SW" link set "p$i" master br0 up
		ip -n "$ns" addr add "$(node_addr "$i")/$NET_PREFIX" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
}

# node_conf I [EXTRA]: node I's config, naming every other node as a peer.
node_conf() {
	local i=$1 j conf
	conf="$(node_dir "$i")/rsmd.conf"
	{
		echo "node_id = $i"
		echo "socket = $(node_sock "$i")"
		echo "log_level = info"
		echo "listen = $(node_addr "$i"):$PEER_PORT"
		echo "cluster_key_file = $(node_dir "$i")/key"
		echo "heartbeat_ms = $HEARTBEAT_MS"
		echo "dead_after_ms = $DEAD_AFTER_MS"
		for j in $(seq 1 "$NET_N"); do
			[ "$j" = "$i" ] || echo "peer = $j $(node_addr "$j"):$PEER_PORT"
		done
		# test_unprivileged.sh and check.sh's plain pass: daemons drop root.
		[ -n "${RSM_TEST_RSMD_USER:-}" ] && echo "user = $RSM_TEST_RSMD_USER"
		[ -n "${2:-}" ] && echo "$2"
	} >"$conf"
}

# The configuration of rsmd.conf(5)'s EXAMPLES section, as a user copies
# it (test_manual.sh over tcp0, tests/vm/test_roce2.sh over verbs0): the
# page itself, so that the manual cannot drift from what is tested.
MANUAL_PAGE=${MANUAL_PAGE:-${RSM_TEST_SRCDIR:-$(dirname "${BASH_SOURCE[0]}")/..}/../man/rsmd.conf.5}
# manual_example: the lines between .EX and .EE of the EXAMPLES section.
manual_example() {
	sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$MANUAL_PAGE" |
	    sed -n '/^\.EX/,/^\.EE/p' | sed '1d;$d'
}
# manual_conf I SUBNET: the example for node I of SUBNET.1..3.  The
# example is node 1 of 10.0.0.1..3; node I's file is what its
# administrator writes: its own node_id and listen, the other two as
# peers, its pidfile and key where this test keeps them, and (not in the
# example) the socket of node_sock.  No other key is added.
manual_conf() {
	local i=$1 net=$2 d
	d=$(node_dir "$i")
	manual_example | sed -e "s|^node_id = .*|node_id = $i|" \
	    -e "s|^pidfile = .*|pidfile = $d/rsmd.pid|" \
	    -e "s|/etc/rsm/cluster.key|$d/key|" \
	    -e "s|10\.0\.0\.\([0-9]\)|$net.\1|g" |
	awk -v me="$i" -v sub_="$net" '
		/^listen = / { print "listen = " sub_ "." me ":7700"; next }
		/^peer = / { next }
		{ print }
		END {
			for (j = 1; j <= 3; j++)
				if (j != me)
					print "peer = " j " " sub_ "." j ":7700"
		}'
	echo "socket = $(node_sock "$i")"
}

# node_spawn I: start node I's rsmd (config written first if missing)
# without waiting for it, so that several can start at the same moment.
node_spawn() {
	local i=$1
	[ -f "$(node_dir "$i")/rsmd.conf" ] || node_conf "$i"
	# Not through on_node: $! must be rsmd itself (ip netns exec execs it).
	ip netns exec "$(node_ns "$i")" "$RSMD_BIN" -f \
	    -c "$(node_dir "$i")/rsmd.conf" >>"$(node_log "$i")" 2>&1 &
	echo $! >"$(node_dir "$i")/pid"
}

# node_start I: node_spawn, then wait until its control socket answers.
node_start() {
	node_spawn "$1"
	wait_until 5000 adm "$1" status >/dev/null
}

node_pid() { cat "$(node_dir "$1")/pid"; }

# node_stop I [NAME]: SIGTERM node I's rsmd and check that it exits
# cleanly (NAME: how the check names the node; default "node I").
node_stop() {
	local pid
	pid=$(node_pid "$1")
	kill "$pid"
	wait "$pid"
	check "${2:-node $1} exits cleanly on SIGTERM" test $? -eq 0
	rm -f "$(node_dir "$1")/pid"
}

node_kill9() {
	local pid
	pid=$(node_pid "$1")
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	rm -f "$(node_dir "$1")/pid"
}

# all_up I: node I sees every other node up.
all_up() {
	local i=$1 j
	for j in $(seq 1 "$NET_N"); do
		[ "$j" = "$i" ] && continue
		is_state "$i" "$j" up || return 1
	done
}

# Node I's log mentions PATTERN (grep -E).
log_has() { grep -Eq "$2" "$(node_log "$1")"; }

net_summary() {
	local i
	# A sanitizer build reports into the daemons' logs.
	for i in $(seq 1 "$NET_N"); do
		if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" \
		    "$(node_log "$i")"; then
			nok "node $i: sanitizer report in its log"
			grep -E -A20 "Sanitizer|runtime error:" "$(node_log "$i")"
		fi
	done
	[ "$NET_FAIL" -eq 0 ] || net_dump_logs
	echo "$NET_PASS passed, $NET_FAIL failed"
	[ "$NET_FAIL" -eq 0 ]
}
