#!/usr/bin/env bash
# test_verbs_atomic.sh - the extensions of <rsm/rsm_atomic.h> over verbs0
# on real SoftRoCE, inside a guest (see run-in-guest.sh): one rxe device
# on a veth, two rsmd on its address (nodes 1 and 2), as test_verbs.sh.
#
# put-with-signal from node 2: on every signal the exporter on node 1
# sees, that message is whole in its memory (WRITEs completed, then the
# SEND).  Atomics by IB atomics (rxe: IBV_ATOMIC_HCA): two importers
# hammer a 32-bit and a 64-bit counter (exact at the end), and take a cas
# lock that guards a get + put increment (never two holders, exact); a
# read-only import may not; tcp0 beside it on the same segment.
#
# Not in the default suite (a guest boot); run it with
#   RSMD_BIN=build/rsmd/rsmd RSMADM_BIN=build/rsmadm/rsmadm \
#       tests/vm/test_verbs_atomic.sh
# Outside the guest this script re-runs itself through run-in-guest.sh.
set -u
if [ -z "${RSM_IN_GUEST:-}" ]; then
	exec "$(dirname "$0")/run-in-guest.sh" --timeout "${RSM_VM_TIMEOUT:-600}" \
	    "$0" "$@"
fi
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/../net/remote_lib.sh"

E_PERM=27
E_ABORTED=40
E_NOMEM=32
MIB=1048576
SEG=0x700001
ADDR=10.9.0.1
# Generous under emulation: targets are 100 ms and dead_after_ms + 200 ms.
EXPORTER_DEATH_LIMIT_MS=3000
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 3000 ))
export RSM_PROBE_CTLR=verbs0
FORGE=$(cd "$(dirname "$RSMD_BIN")/../tests/vm" && pwd)/verbs_forge

# ---- one address, two daemons: lib.sh's helpers without namespaces ----
node_addr() { echo "$ADDR"; }
on_node() { shift; "$@"; }
net_teardown() {
	local i pid
	for name in "${!P_PID[@]}"; do kill -9 "${P_PID[$name]}" 2>/dev/null; done
	for i in 1 2; do
		pid=$(cat "$(node_dir "$i")/pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
	done
	rdma link delete rxe1 2>/dev/null
	rdma link delete rxe0 2>/dev/null
	ip link del veth2 2>/dev/null
	ip link del veth0 2>/dev/null
	[ "$NET_FAIL" -gt 0 ] && net_dump_logs
	[ -n "$NET_DIR" ] && rm -rf "$NET_DIR"
}
net_setup() {
	NET_N=2
	NET_DIR=$(mktemp -d /tmp/rsmv.XXXXXX)
	chmod 755 "$NET_DIR"
	trap 'rc=$?; net_teardown; exit $rc' EXIT
	trap 'exit 1' INT TERM
	head -c 64 /dev/urandom >"$NET_DIR/cluster.key"
	ip link add veth0 type veth peer name veth1 || return 1
	ip addr add "$ADDR/24" dev veth0
	ip link set veth0 up && ip link set veth1 up || return 1
	rdma link add rxe0 type rxe netdev veth0 || return 1
	for i in 1 2; do
		mkdir -p "$(node_dir "$i")"
		install -m 600 "$NET_DIR/cluster.key" "$(node_dir "$i")/key"
	done
}
node_conf() {
	local i=$1 j=$((3 - $1))
	{
		echo "node_id = $i"
		echo "socket = $(node_sock "$i")"
		echo "log_level = debug"
		echo "listen = $ADDR:$((PEER_PORT + i))"
		echo "data_listen = $ADDR:0"
		# No verbs_listen: every RDMA device with an address is served.
		[ -n "${VERBS_ADDR:-}" ] && echo "verbs_listen = $VERBS_ADDR:0"
		echo "cluster_key_file = $(node_dir "$i")/key"
		echo "heartbeat_ms = $HEARTBEAT_MS"
		echo "dead_after_ms = $DEAD_AFTER_MS"
		echo "peer = $j $ADDR:$((PEER_PORT + j))"
		[ -n "${VERBS_WINDOWS:-}" ] && echo "verbs_windows = $VERBS_WINDOWS"
	} >"$(node_dir "$i")/rsmd.conf"
}
node_start() {
	local i=$1
	node_conf "$i"
	${RSMD_WRAP:-} "$RSMD_BIN" -f -c "$(node_dir "$i")/rsmd.conf" \
	    >>"$(node_log "$i")" 2>&1 &
	echo $! >"$(node_dir "$i")/pid"
	wait_until 5000 adm "$i" status >/dev/null
}
# One namespace for all nodes: the probe runs here, given more time to
# start under emulation.
probe_exec() { shift; exec "$@"; }
P_START_WAIT=60
all_up() { is_state 1 2 up && is_state 2 1 up; }

if ! command -v rdma >/dev/null || ! modinfo rdma_rxe >/dev/null 2>&1; then
	echo "SKIP: no rdma tool or rdma_rxe module"
	exit 77
fi
net_setup || { echo "SKIP: cannot set up rxe0 on a veth"; exit 77; }
for i in 1 2; do node_start "$i" || nok "node $i starts"; done
check "nodes see each other up" wait_until 10000 all_up
check "node 1 serves verbs" grep -q 'rdma_cm listener' "$(node_log 1)"

NMSG=200
probe_start exp 1 export $SEG 262144 2:0666
check "exporter on node 1 ready (verbs0)" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "node 2 connects through verbs0" 0 "$a"

# ---- put with signal ----
probe_send exp "sigcheck $NMSG 20000"
a=$(probe_say imp "psig $NMSG")
check_rc "node 2 puts $NMSG messages with signals over verbs0" 0 "$a"
a=$(probe_read exp)
check_rc "the exporter sees each message whole on its signal, in order ($a)" 0 "$a"

# ---- atomics over verbs0 ----
N=300
LOCKS=40
val_of() { sed -n 's/.*val=\([0-9]*\).*/\1/p' <<<"$1"; }
probe_start imp2 2 import 1 $SEG rw
check_rc "a second importer through verbs0" 0 "$P_LAST"
probe_send imp "fadd 131008 32 $N"
a=$(probe_say imp2 "fadd 131008 32 $N"); b=$(probe_read imp)
check "2 x $N fetch_add32 over verbs0 ($a / $b)" \
    test "$(rc_of "$a")$(rc_of "$b")" = 00
a=$(probe_say exp "word 131008 32")
check "the 32-bit counter is exact ($(val_of "$a"), want $((2 * N)))" \
    test "$(val_of "$a")" = $((2 * N))
probe_send imp "fadd 131016 64 $N"
a=$(probe_say imp2 "fadd 131016 64 $N"); b=$(probe_read imp)
check "2 x $N fetch_add64 over verbs0 ($a / $b)" \
    test "$(rc_of "$a")$(rc_of "$b")" = 00
a=$(probe_say exp "word 131016 64")
check "the 64-bit counter is exact ($(val_of "$a"), want $((2 * N << 33)))" \
    test "$(val_of "$a")" = $((2 * N << 33))
probe_send imp "lock 131072 $LOCKS"
a=$(probe_say imp2 "lock 131072 $LOCKS"); b=$(probe_read imp)
check "2 x $LOCKS rounds of a cas lock over verbs0, never two holders ($a / $b)" \
    test "$(rc_of "$a")$(rc_of "$b")" = 00
a=$(probe_say exp "word 131088 64")
check "the word the lock guards is exact ($(val_of "$a"), want $((2 * LOCKS)))" \
    test "$(val_of "$a")" = $((2 * LOCKS))
probe_start ro 2 import 1 $SEG r
check_rc "a read-only import through verbs0" 0 "$P_LAST"
check_rc "may not fetch_add" $E_PERM "$(probe_say ro "fadd 131008 32 1")"
a=$(probe_say exp "word 131008 32")
check "and the counter did not move" test "$(val_of "$a")" = $((2 * N))

# ---- tcp0 beside it ----
RSM_PROBE_CTLR=tcp0 probe_start t2 2 import 1 $SEG rw
check_rc "node 2 imports the same segment through tcp0" 0 "$P_LAST"
check_rc "500 fetch_add64 through tcp0" 0 "$(probe_say t2 "fadd 131032 64 500")"
a=$(probe_say exp "word 131032 64")
check "the counter is exact ($a)" test "$(val_of "$a")" = $((500 << 33))

for p in t2 ro imp2 imp exp; do probe_quit "$p"; done
net_summary
