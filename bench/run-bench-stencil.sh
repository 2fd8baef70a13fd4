#!/usr/bin/env bash
# run-bench-stencil.sh - the heat stencil with halos by put beside halos
# stored through remote maps (examples/job/stencil_map --compare), started
# by mpirun across namespace nodes as tests/net/test_job_mpi.sh starts it:
# 2 and 4 nodes with one rank each, 2 nodes with two ranks each (then the
# pairs of one node map each other through shared memory).
#
# usage: run-bench-stencil.sh [BUILDDIR]
#
# SIZES lists NXxNY:ITERS runs (default "128x128:100 1024x32:100
# 8192x32:100": few rows, so that heat reaches every band boundary within
# a few steps and the halos change at every step after that).
# Each line is stencil_map's own: its time per step by map and by put and
# their ratio (map/put below 1: the maps are faster).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/..}" && pwd)
SIZES=${SIZES:-"128x128:100 1024x32:100 8192x32:100"}
export RSMD_BIN=${RSMD:-$build/rsmd/rsmd}
export RSMADM_BIN=${RSMADM:-$build/rsmadm/rsmadm}
export NET_BIN=$build/tests/net
[ "$(id -u)" -eq 0 ] || { echo "run-bench-stencil: needs root (network namespaces)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "run-bench-stencil: no mpirun (openmpi-bin): skipped"; exit 0; }
mkdir -p "$NET_BIN"
. "$here/../tests/net/lib.sh"
. "$here/../tests/net/job_lib.sh"
JOB_BIN=$build/examples/job

net_setup 4 || { echo "run-bench-stencil: network setup failed" >&2; exit 2; }
job_files
for i in 1 2 3 4; do
	node_conf "$i"
	node_start "$i" >/dev/null || { echo "run-bench-stencil: rsmd $i does not start" >&2; exit 2; }
done
wait_until 8000 all_up 1 || { echo "run-bench-stencil: nodes not up" >&2; exit 2; }

for s in $SIZES; do
	nx=${s%%x*} rest=${s#*x}
	ny=${rest%%:*} iters=${rest#*:}
	for layout in "2 1" "4 1" "2 2"; do
		echo "== ${nx}x${ny}, $iters steps, nodes x ranks per node: ${layout/ / x }"
		# shellcheck disable=SC2086
		job_mpirun $layout "$JOB_BIN/stencil_map" --compare "$nx" "$ny" "$iters" |
		    grep "^stencil_map:" || echo "stencil_map failed"
	done
done

for i in 1 2 3 4; do
	node_stop "$i" >/dev/null
done
