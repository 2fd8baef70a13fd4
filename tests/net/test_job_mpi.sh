#!/usr/bin/env bash
# test_job_mpi.sh - every program of examples/job, started by mpirun
# across 2 and then 4 namespace nodes (one rsmd each, one rank per
# node), bootstrapping through PMIx: each must exit 0 (its answer
# checked against one process) and say so.  Skipped (77) without root,
# ip netns or mpirun.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/job_lib.sh"

net_require
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (openmpi-bin)"; exit 77; }
net_setup 4 || { echo "network setup failed"; exit 1; }
job_files
for i in 1 2 3 4; do
	node_conf "$i"
	node_spawn "$i"
done
for i in 1 2 3 4; do
	check "node $i starts" wait_until 5000 eval "adm $i status >/dev/null"
done
for i in 1 2 3 4; do
	check "node $i sees the others up" wait_until 8000 all_up "$i"
done

progs=$(find "$JOB_BIN" -maxdepth 1 -type f -perm -u+x ! -name '*.*' | sort)
check "examples/job has programs" test -n "$progs"
for nodes in 2 4; do
	for p in $progs; do
		name=$(basename "$p")
		t0=$(now_ms)
		out=$(job_mpirun "$nodes" 1 "$p")
		rc=$?
		dt=$(( $(now_ms) - t0 ))
		echo "$out" | sed "s/^/# /"
		check "$name under mpirun on $nodes nodes exits 0 ($dt ms)" \
		    test "$rc" = 0
		check "$name on $nodes nodes: rank 0 reports the right answer" \
		    eval 'echo "$out" | grep -q "^$name: $nodes ranks on nodes .*(started by PMIx).*equal to one process"'
	done
done
# 300 allgathers in a row, every value checked on every rank: no round
# may see another's values.  The times printed are for the record: PMIx
# keeps every round's key, and with 2 ranks each round is slower than the
# one before.
for nodes in 2 4; do
	out=$(job_mpirun "$nodes" 1 "$NET_BIN/job_allgather" 300)
	rc=$?
	echo "$out" | sed "s/^/# /"
	check "300 allgathers on $nodes nodes, every value right" eval \
	    'test "$rc" = 0 && echo "$out" | grep -q "^job_allgather: 300 rounds of $nodes ranks ok"'
done
# Two ranks on each of two nodes: two ranks of one node import from it
# (stencil_map: map each other's segment, which is shared memory).
for name in stencil stencil_map; do
	out=$(job_mpirun 2 2 "$JOB_BIN/$name" 64 64 20)
	rc=$?
	echo "$out" | sed "s/^/# /"
	check "$name with 2 ranks per node on 2 nodes exits 0" test "$rc" = 0
	check "and names nodes 1,1,2,2" \
	    eval 'echo "$out" | grep -q "^$name: 4 ranks on nodes 1,1,2,2 (started by PMIx).*equal to one process"'
done
# Both halo paths of stencil_map on a grid so shallow that the heat
# reaches every band boundary within a few steps, so that every halo
# changes: across 4 nodes, and 2 ranks on each of 2 nodes.
for layout in "4 1" "2 2"; do
	set -- $layout
	out=$(job_mpirun "$1" "$2" "$JOB_BIN/stencil_map" --compare 256 16 20)
	rc=$?
	echo "$out" | sed "s/^/# /"
	check "stencil_map --compare on $1 nodes x $2 exits 0" test "$rc" = 0
	check "and both grids are equal to one process" \
	    eval 'echo "$out" | grep -q "^stencil_map: 4 ranks on nodes .*(started by PMIx).*equal to one process" &&
	    echo "$out" | grep -q "^stencil_map: per step, halos by put"'
done

for i in 1 2 3 4; do
	node_stop "$i"
done
net_summary
