#!/usr/bin/env bash
# test_atomic.sh - the atomics and put-with-signal of <rsm/rsm_atomic.h>
# through tcp0 across nodes: a segment of node 1, importers on nodes 1, 2
# and 3 (node 1's own through its data server too).
#
# Four importers hammer one 32-bit and one 64-bit counter while the
# exporter adds to the same words with CPU atomics: the final values are
# exact.  The same four take a cas spin lock whose critical section
# counts its holders and increments a plain word with get + put: never
# two holders, and the plain word is exact.  Put-with-signal from node 2:
# on every signal the exporter sees, that message is already whole in its
# memory.  A read-only import may not; the operation rate is printed.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_PERM=27
SEG=0x500701
N=${ATOMIC_N:-3000}
LOCKS=${ATOMIC_LOCKS:-100}
NMSG=200

net_require
net_setup 3 || { echo "network setup failed"; exit 1; }
for i in 1 2 3; do
	node_conf "$i" "data_listen = 0.0.0.0:0"
	node_start "$i" || nok "node $i starts"
done
check "nodes see each other up" wait_until 5000 all_up 1
wait_until 5000 all_up 2
wait_until 5000 all_up 3

probe_start exp 1 export $SEG 131072
check "exporter on node 1 ready" test "$P_LAST" = ready
IMPS="i1 i2 i3 i4"
probe_start i1 1 import 1 $SEG rw; check_rc "node 1 imports its own segment" 0 "$P_LAST"
probe_start i2 2 import 1 $SEG rw; check_rc "node 2 imports" 0 "$P_LAST"
probe_start i3 3 import 1 $SEG rw; check_rc "node 3 imports" 0 "$P_LAST"
probe_start i4 2 import 1 $SEG rw; check_rc "node 2 imports again" 0 "$P_LAST"

# all_rc CMD: send CMD to the four importers at once (and EXP_CMD to the
# exporter, if set), then collect; "#" lines and $bad for failures.
all_rc() {
	local p a
	bad=0
	for p in $IMPS; do probe_send "$p" "$1"; done
	[ -n "${EXP_CMD:-}" ] && probe_send exp "$EXP_CMD"
	for p in $IMPS; do
		a=$(probe_read "$p")
		[ "$(rc_of "$a")" = 0 ] || { echo "# $p: $1: $a"; bad=$((bad + 1)); }
	done
	IMP_DONE_MS=$(now_ms)
	if [ -n "${EXP_CMD:-}" ]; then
		a=$(probe_read exp)
		[ "$(rc_of "$a")" = 0 ] || { echo "# exp: $EXP_CMD: $a"; bad=$((bad + 1)); }
	fi
}
val_of() { sed -n 's/.*val=\([0-9]*\).*/\1/p' <<<"$1"; }

# ---- counters ----
t0=$(now_ms)
EXP_CMD="cpuadd 0 32 $N 100" all_rc "fadd 0 32 $N"
t1=$IMP_DONE_MS
check "4 x $N fetch_add32 and $N CPU adds answered" test "$bad" = 0
a=$(probe_say exp "word 0 32")
check "32-bit counter exact ($(val_of "$a"), want $((5 * N)))" \
    test "$(val_of "$a")" = $((5 * N))
EXP_CMD="cpuadd 8 64 $N 100" all_rc "fadd 8 64 $N"
check "4 x $N fetch_add64 and $N CPU adds answered" test "$bad" = 0
a=$(probe_say exp "word 8 64")
check "64-bit counter exact ($(val_of "$a"), want $((5 * N << 33)))" \
    test "$(val_of "$a")" = $((5 * N << 33))
ms=$(( t1 - t0 > 0 ? t1 - t0 : 1 ))
echo "# fetch_add32 over tcp0: $((4 * N)) by 4 importers in $ms ms" \
    "($((4 * N * 1000 / ms)) ops/s in all)"

# ---- a cas lock ----
EXP_CMD= all_rc "lock 64 $LOCKS"
check "4 x $LOCKS lock rounds, never two holders" test "$bad" = 0
a=$(probe_say exp "word 80 64")
check "the word the lock guards is exact ($(val_of "$a"), want $((4 * LOCKS)))" \
    test "$(val_of "$a")" = $((4 * LOCKS))
a=$(probe_say exp "word 64 32")
check "the lock is free at the end" test "$(val_of "$a")" = 0

# ---- put with signal ----
probe_send exp "sigcheck $NMSG 10000"
a=$(probe_say i2 "psig $NMSG")
check_rc "node 2 puts $NMSG messages with signals" 0 "$a"
a=$(probe_read exp)
check_rc "the exporter sees each message whole on its signal, in order ($a)" 0 "$a"

# ---- rights ----
probe_start ro 3 import 1 $SEG r
check_rc "a read-only import of node 3" 0 "$P_LAST"
check_rc "may not fetch_add" $E_PERM "$(probe_say ro "fadd 0 32 1")"
check_rc "nor put_signal" $E_PERM "$(probe_say ro "psig 1")"

for p in ro $IMPS exp; do probe_quit "$p"; done
net_summary
