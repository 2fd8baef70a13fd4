#!/usr/bin/env bash
# test_on_demand.sh - three nodes configured with one shared peers_file and
# no peer lines, so their links are made on demand (peer_links = auto):
#
# - at start no node dials anybody: every peer is "idle", no peer TCP
#   connection exists;
# - a remote connect links exactly the two nodes it needs and moves data
#   (checksums), signals both ways; the third node stays idle;
# - while the import lives the link stays up past peer_idle_timeout;
# - once nothing uses it, the link closes within the timeout, logged as
#   unused on both sides (no "node down"), and a new connect links again;
# - rsmadm ping links an idle peer;
# - a connect to, or ping of, an on-demand peer whose rsmd is dead fails
#   RSMERR_REMOTE_NODE_UNREACHABLE within a bound, and the peer shows down;
# - a live on-demand link that loses its network still ends the import
#   with RSMERR_CONN_ABORTED within the heartbeat bound.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_UNREACH=39
E_ABORTED=40
E_TIMEOUT=42
IDLE_S=1
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 2000 ))
SEG=0x510001

net_require
net_setup 3 || { echo "network setup failed"; exit 1; }

# One file for the whole cluster, this node's own line included.
{
	echo "# the cluster: node  listen address"
	for i in 1 2 3; do
		echo "$i  $(node_addr "$i"):$PEER_PORT"
	done
} >"$NET_DIR/peers"
for i in 1 2 3; do
	cat >"$(node_dir "$i")/rsmd.conf" <<EOF
node_id = $i
socket = $(node_sock "$i")
listen = $(node_addr "$i"):$PEER_PORT
cluster_key_file = $(node_dir "$i")/key
peers_file = $NET_DIR/peers
peer_idle_timeout = $IDLE_S
heartbeat_ms = $HEARTBEAT_MS
log_level = ${LOG_LEVEL:-info}
dead_after_ms = $DEAD_AFTER_MS
EOF
done

check "rsmd -n accepts the config and counts 2 peers from the file" \
    eval "'$RSMD_BIN' -n -v -c '$(node_dir 1)/rsmd.conf' 2>&1 | grep -qF '# peers_file: 2 peers'"
for i in 1 2 3; do
	node_start "$i" || nok "node $i starts"
done

# Peer TCP connections in node I's namespace, established.
links() {
	on_node "$1" ss -Htn state established \
	    "( sport = :$PEER_PORT or dport = :$PEER_PORT )" | wc -l
}
all_idle() {
	local i=$1 j
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		is_state "$i" "$j" idle || return 1
	done
}
check "node 1 lists nodes 2 and 3 as idle" all_idle 1
check "node 3 lists nodes 1 and 2 as idle" all_idle 3
check "no peer link exists at start" test "$(links 1)$(links 2)$(links 3)" = 000
check "node 1 logs that its peers link on demand" \
    log_has 1 "2 peers, linked on demand"

# ---- a connect links the two nodes it needs ----
probe_start exp 1 export $SEG 1048576 2:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "node 2 connects to an idle peer's segment" 0 "$a"
check "node 2 sees node 1 up" is_state 2 1 up
check "node 1 sees node 2 up" wait_until 2000 is_state 1 2 up
check "node 3 stays idle for both" eval "is_state 1 3 idle && is_state 2 3 idle"
check "node 3 has no link" test "$(links 3)" = 0
probe_checksums 1048576 1 4097 65536 1048576
check "put/get/putv/getv checksums over the on-demand link" test "$bad" = 0
check_rc "importer posts" 0 "$(probe_say imp post)"
check_rc "exporter is woken" 0 "$(probe_say exp "wait 3000")"
check_rc "exporter posts" 0 "$(probe_say exp post)"
check_rc "importer is woken" 0 "$(probe_say imp "wait 3000")"

# ---- in use: the link outlives the idle timeout ----
# Up for 3 idle timeouts, watched every 100 ms.
stays_up() {
	local end=$(( $(now_ms) + $1 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		is_state 1 2 up && is_state 2 1 up || return 1
		sleep 0.1
	done
}
check "the link stays up for $((3 * IDLE_S)) s while the import lives" \
    stays_up $((3000 * IDLE_S))
check_rc "and still moves data" 0 "$(probe_say imp "put 0 4096 9")"

# ---- unused: the link closes quietly ----
probe_quit imp
check "node 2 sees node 1 idle again" \
    wait_until $((IDLE_S * 1000 + 5000)) is_state 2 1 idle
check "node 1 sees node 2 idle again" wait_until 3000 is_state 1 2 idle
check "no peer link is left" wait_until 2000 test "$(links 1)$(links 2)" = 00
# Each side logs once its own link is gone, so the lines are polled for.
check "one side logs closing the unused link" wait_until 2000 \
    eval "log_has 1 'link to node 2 closed: unused' || log_has 2 'link to node 1 closed: unused'"
check "the other logs it closed by its peer" wait_until 2000 \
    eval "log_has 1 'link to node 2 closed by it: unused' || log_has 2 'link to node 1 closed by it: unused'"
check "neither logs the other down" \
    eval "! log_has 1 'node 2 down' && ! log_has 2 'node 1 down'"

# ---- and a new connect links again ----
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "a new connect after the idle close" 0 "$a"
check_rc "moves data" 0 "$(probe_say imp "put 0 4096 10")"
probe_quit imp

# ---- rsmadm ping links an idle peer ----
# The link it made is unused the moment the ping answers, so it may be
# idle again by the time anyone looks: each side's "up" line proves it.
ups() { grep -c "node $2 up: " "$(node_log "$1")"; }
up13=$(ups 1 3) up31=$(ups 3 1)
out=$(adm 1 ping 3 2>&1); rc=$?
check "rsmadm ping 3 from node 1 answers ($out)" test "$rc" = 0
check "and linked it: node 1 logs node 3 up, node 3 logs node 1 up" \
    wait_until 2000 eval '[ "$(ups 1 3)" -gt "$up13" ] && [ "$(ups 3 1)" -gt "$up31" ]'
check "and the link goes idle again" \
    wait_until $((IDLE_S * 1000 + 5000)) is_state 1 3 idle

# ---- both sides dial at the same moment ----
# Pings from each side at once, ROUNDS times, each round from idle: every
# ping answers, and the crossing dials settle on one link quietly.
ROUNDS=${ROUNDS:-10}
cross_fail=0
for r in $(seq 1 "$ROUNDS"); do
	wait_until $((IDLE_S * 1000 + 5000)) eval \
	    "is_state 1 2 idle && is_state 2 1 idle" || {
		cross_fail=$((cross_fail + 1))
		echo "# round $r: not idle: 1 sees $(node_state 1 2), 2 sees $(node_state 2 1)"
		continue
	}
	adm 1 ping 2 >"$NET_DIR/x1" 2>&1 & p1=$!
	adm 2 ping 1 >"$NET_DIR/x2" 2>&1 & p2=$!
	wait $p1 || { cross_fail=$((cross_fail + 1)); echo "# round $r 1->2 $(now_ms): $(cat "$NET_DIR/x1")"; }
	wait $p2 || { cross_fail=$((cross_fail + 1)); echo "# round $r 2->1 $(now_ms): $(cat "$NET_DIR/x2")"; }
done
check "$ROUNDS rounds of crossing pings from idle all answer ($cross_fail failed)" \
    test "$cross_fail" = 0
check "and nobody logs the other down" \
    eval "! log_has 1 'node 2 down' && ! log_has 2 'node 1 down'"

# ---- a dead on-demand peer ----
node_kill9 3
t0=$(now_ms)
out=$(adm 1 ping 3 2>&1); rc=$?
t=$(( $(now_ms) - t0 ))
check "ping of a dead on-demand peer fails ($rc in $t ms: $out)" \
    eval "[ $rc -ne 0 ] && [ $t -lt $NODE_DEATH_LIMIT_MS ]"
check "node 1 shows node 3 down" is_state 1 3 down
probe_start exp3 2 export 0x510002 65536 1:0666
t0=$(now_ms)
probe_start imp3 1 import 3 0x510001 rw; a=$P_LAST
t=$(( $(now_ms) - t0 ))
check_rc "connect to the dead peer's node fails unreachable ($t ms)" \
    $E_UNREACH "$a"
check "within $NODE_DEATH_LIMIT_MS ms" test "$t" -lt "$NODE_DEATH_LIMIT_MS"
probe_close imp3
probe_quit exp3

# ---- a live on-demand link that loses its network ----
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "node 2 imports again" 0 "$a"
probe_send imp "until 10000 started"
check "the importer streams gets (a get every millisecond)" \
    test "$(probe_read imp)" = started
t0=$(now_ms)
ip -n "$NET_SW" link set p1 down
a=$(probe_read imp)
t=$(( $(at_of "$a") - t0 ))
check_rc "the importer's get fails aborted after the link is cut ($t ms)" \
    $E_ABORTED "$a"
check "within $NODE_DEATH_LIMIT_MS ms" test "$t" -lt "$NODE_DEATH_LIMIT_MS"
check "node 2 logs node 1 down" wait_until 2000 log_has 2 "node 1 down"
ip -n "$NET_SW" link set p1 up
probe_quit imp

# ---- a link cut before an import's first data access ----
# The data connection is opened by the first get, towards a node that no
# longer answers: the revocation must end that get, not the connect's
# own timeout.
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "node 2 imports once the link is back" 0 "$a"
ip -n "$NET_SW" link set p1 down
t0=$(now_ms)
a=$(probe_say imp "get 0 64")
t=$(( $(now_ms) - t0 ))
check_rc "its first get, after the link is cut, fails aborted ($t ms)" \
    $E_ABORTED "$a"
check "within $NODE_DEATH_LIMIT_MS ms" test "$t" -lt "$NODE_DEATH_LIMIT_MS"
ip -n "$NET_SW" link set p1 up
probe_quit imp
probe_quit exp

node_stop 1
node_stop 2
net_summary
