#!/usr/bin/env bash
# test_job_mpi.sh - every program of examples/job, started by mpirun
# across 2 and then 4 namespace nodes (one rsmd each, one rank per
# node), bootstrapping through PMIx: each must exit 0 (its answer
# checked against one process) and say so; then job_lib.sh's job_suite
# (allgathers, two ranks a node, barriers) and stencil_map --compare.
# Skipped (77) without root, ip netns or mpirun.
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

# What every launcher must run (job_lib.sh), then what only mpirun does.
job_suite job_mpirun mpirun

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
