#!/usr/bin/env bash
# test_job.sh - rsm jobs without a launcher, and a job's failures.
#
# The argument checks in a job of one; a 2-rank stencil and a 2-rank ring
# started by hand on two namespace nodes with
# RSM_JOB_RANK/RSM_JOB_SIZE/RSM_JOB_ROOT; then the failures that must
# reach every rank as the documented error within the timeout, never a
# hang: no rsmd on one rank's node (RSMERR_CTLR_NOT_PRESENT), a node the
# other's rsmd does not reach (RSMERR_REMOTE_NODE_UNREACHABLE),
# mismatched job sizes (RSMERR_BAD_CONF), a rank that never comes
# (RSMERR_TIMEOUT); and, if mpirun exists, no rsmd on one node of an
# mpirun job (the same error on every rank, through PMIx).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/job_lib.sh"

E_CTLR_NOT_PRESENT=4
E_BAD_CONF=44
E_UNREACH=39
E_TIMEOUT=42
TMO_MS=3000
# A failure is reported within the timeout plus start-up time.
LIMIT_MS=$((TMO_MS + 4000))

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
job_files
export RSM_JOB_TIMEOUT_MS=$TMO_MS

# run2 OUT0 OUT1 SIZE0 SIZE1: the stencil as ranks 0 and 1 on nodes 1 and
# 2; sets rc0, rc1 and dt (ms until both ended).
run2() {
	local t0 p0 p1
	t0=$(now_ms)
	job_rank_bg 1 0 "$3" "$1" "$JOB_BIN/stencil" 64 64 20; p0=$!
	job_rank_bg 2 1 "$4" "$2" "$JOB_BIN/stencil" 64 64 20; p1=$!
	wait "$p0"; rc0=$?
	wait "$p1"; rc1=$?
	dt=$(( $(now_ms) - t0 ))
}
o0=$NET_DIR/out0 o1=$NET_DIR/out1
both_say() { grep -q "$1" "$o0" && grep -q "$1" "$o1"; }

for i in 1 2; do
	node_conf "$i"
	node_start "$i" >/dev/null || nok "node $i starts"
done
check "nodes see each other up" wait_until 8000 all_up 1

# ---- a job of one: every argument check ----
out=$(RSM_DAEMON_SOCKET=$(node_sock 1) on_node 1 "$NET_BIN/job_args" 2>/dev/null)
rc=$?
echo "$out" | grep FAIL
check "rsm_job's argument checks ($(echo "$out" | grep -c '^ok') ok)" \
    test "$rc" = 0

# ---- a PMIx launcher named, but no libpmix ----
out=$(PMIX_NAMESPACE=none RSM_JOB_PMIX_LIB=/nonexistent/libpmix.so.2 \
    RSM_DAEMON_SOCKET=$(node_sock 1) on_node 1 "$JOB_BIN/stencil" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "PMIX_NAMESPACE without a loadable libpmix: RSMERR_BAD_CONF" eval \
    "[ $rc = 2 ] && echo \"\$out\" | grep -q 'rsm_job_init: RSMERR $E_BAD_CONF' &&
    echo \"\$out\" | grep -q 'cannot be loaded'"

# ---- by hand ----
run2 "$o0" "$o1" 2 2
sed 's/^/# /' "$o0" "$o1"
check "a 2-rank job by hand exits 0 on both ranks" test "$rc0$rc1" = 00
check "rank 0 reports nodes 1,2 and the right answer" grep -q \
    "^stencil: 2 ranks on nodes 1,2 (started by RSM_JOB_RANK).*equal to one process" "$o0"

# The ring's put_signal between ranks that no launcher started.
job_rank_bg 1 0 2 "$o0" "$JOB_BIN/ring"; p0=$!
job_rank_bg 2 1 2 "$o1" "$JOB_BIN/ring"; p1=$!
wait "$p0"; rc0=$?
wait "$p1"; rc1=$?
sed 's/^/# /' "$o0" "$o1"
check "a 2-rank ring by hand exits 0 on both ranks" test "$rc0$rc1" = 00
check "rank 0 reports nodes 1,2 and the final token" grep -q \
    "^ring: 2 ranks on nodes 1,2 (started by RSM_JOB_RANK).*equal to one process" "$o0"

# ---- mismatched sizes ----
run2 "$o0" "$o1" 2 3
sed 's/^/# /' "$o0" "$o1"
check "mismatched job sizes fail on both ranks ($dt ms)" \
    test "$rc0$rc1" = 22 -a "$dt" -lt "$LIMIT_MS"
check "both say RSMERR_BAD_CONF and why" eval \
    "both_say 'rsm_job_init: RSMERR $E_BAD_CONF' && both_say 'mismatched job sizes'"

# ---- a rank that never comes ----
t0=$(now_ms)
job_rank_bg 1 0 2 "$o0" "$JOB_BIN/stencil"; wait $!; rc0=$?
dt=$(( $(now_ms) - t0 ))
sed 's/^/# /' "$o0"
check "rank 0 alone gives up with RSMERR_TIMEOUT ($dt ms)" eval \
    "[ $rc0 = 2 ] && [ $dt -lt $LIMIT_MS ] && grep -q 'RSMERR $E_TIMEOUT' '$o0'"
check "and names the missing rank" grep -q "rank 1 of 2 did not join" "$o0"

# ---- under mpirun, a rank that comes late ----
if command -v mpirun >/dev/null; then
	cat >"$NET_DIR/late" <<LATE
#!/bin/sh
# Rank 1 starts after the others have given up.
[ "\$OMPI_COMM_WORLD_RANK" = 1 ] && sleep $((TMO_MS / 1000 + 5))
exec "\$@"
LATE
	chmod 755 "$NET_DIR/late"
	t0=$(now_ms)
	out=$(job_mpirun 2 1 "$NET_DIR/late" "$JOB_BIN/stencil")
	rc=$?
	dt=$(( $(now_ms) - t0 ))
	echo "$out" | sed 's/^/# /'
	# mpirun's own start and teardown come on top (seconds when loaded).
	check "under mpirun a late rank makes the job fail ($dt ms)" \
	    test "$rc" != 0 -a "$dt" -lt $((LIMIT_MS + 6000))
	check "rank 0 says RSMERR_TIMEOUT" eval \
	    "echo \"\$out\" | grep -q 'rsm_job_init: RSMERR $E_TIMEOUT'"
fi

# ---- no rsmd on node 2 ----
node_stop 2 >/dev/null
run2 "$o0" "$o1" 2 2
sed 's/^/# /' "$o0" "$o1"
check "no rsmd on node 2: both ranks fail ($dt ms)" \
    test "$rc0$rc1" = 22 -a "$dt" -lt "$LIMIT_MS"
check "both say RSMERR_CTLR_NOT_PRESENT, naming rank 1's node" eval \
    "both_say 'rsm_job_init: RSMERR $E_CTLR_NOT_PRESENT' && both_say 'rank 1 of 2 on n2: no rsmd answers'"

if command -v mpirun >/dev/null; then
	t0=$(now_ms)
	out=$(job_mpirun 2 1 "$JOB_BIN/stencil")
	rc=$?
	dt=$(( $(now_ms) - t0 ))
	echo "$out" | sed 's/^/# /'
	check "under mpirun too the job fails ($dt ms)" \
	    test "$rc" != 0 -a "$dt" -lt "$LIMIT_MS"
	# mpirun kills the other ranks once one exits non-zero, so what
	# every rank is sure to say is the library's line, written first.
	check "and every rank says why" eval \
	    "echo \"\$out\" | grep -q '^rsm_job: rank 0 of 2 on n1: because rank 1 of 2 on n2: no rsmd answers' &&
	    echo \"\$out\" | grep -q '^rsm_job: rank 1 of 2 on n2: no rsmd answers'"
fi

# ---- node 2 up, but the two rsmd are no peers ----
node_stop 1 >/dev/null
for i in 1 2; do
	grep -v '^peer = ' "$(node_dir "$i")/rsmd.conf" >"$NET_DIR/c" &&
	    cp "$NET_DIR/c" "$(node_dir "$i")/rsmd.conf"
	node_start "$i" >/dev/null || nok "node $i restarts"
done
run2 "$o0" "$o1" 2 2
sed 's/^/# /' "$o0" "$o1"
check "nodes that do not reach each other: both ranks fail ($dt ms)" \
    test "$rc0$rc1" = 22 -a "$dt" -lt "$LIMIT_MS"
check "both say RSMERR_REMOTE_NODE_UNREACHABLE" \
    both_say "rsm_job_init: RSMERR $E_UNREACH"

for i in 1 2; do
	node_stop "$i"
done
net_summary
