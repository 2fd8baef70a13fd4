#!/usr/bin/env bash
# run-bench-mpi.sh - rsm beside MPI RMA and OpenSHMEM, one-sided, across
# two namespace nodes, every path started by mpirun (or oshrun) the same
# way (tests/net/job_lib.sh: an agent instead of ssh, --bind-to none).
#
# usage: run-bench-mpi.sh [BUILDDIR]
#
# Paths, one rank per node, the same four tests (bench/onesided.h):
#   rsm          bench/rsm_job_perf over tcp0, bootstrapped by PMIx
#   mpi-pt2pt    bench/mpi_rma_perf, osc pt2pt over pml ob1 / btl tcp
#   mpi-ucx      bench/mpi_rma_perf, osc ucx over UCX tcp
#   shmem-ucx    bench/shmem_perf under oshrun, UCX tcp
# Tests: 8 B put + flush/quiet (remote completion), 8 B get, 1 MiB put
# bandwidth, and the busy target (10 gets while the target computes 1 s
# without a library call), and an 8 B fetch-and-add with its old value
# back (rsm_atomic.h, MPI_Fetch_and_op, shmem_ulonglong_atomic_fetch_add).
# ROUNDS rounds (default 3) interleave the paths;
# figures are medians over the rounds, and each ratio says how many times
# better rsm is (peer time / rsm time, rsm bandwidth / peer bandwidth).
# A path whose programs are missing or fail is reported and skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/..}" && pwd)
ROUNDS=${ROUNDS:-3}
export RSMD_BIN=${RSMD:-$build/rsmd/rsmd}
export RSMADM_BIN=${RSMADM:-$build/rsmadm/rsmadm}
export NET_BIN=$build/tests/net
[ "$(id -u)" -eq 0 ] || { echo "run-bench-mpi: needs root (network namespaces)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "run-bench-mpi: no mpirun (openmpi-bin): skipped"; exit 0; }
mkdir -p "$NET_BIN"
. "$here/../tests/net/lib.sh"
. "$here/../tests/net/job_lib.sh"
JOB_BIN=$build/bench

net_setup 2 || { echo "run-bench-mpi: network setup failed" >&2; exit 2; }
job_files
for i in 1 2; do
	node_conf "$i"
	node_start "$i" >/dev/null || { echo "run-bench-mpi: rsmd $i does not start" >&2; exit 2; }
done
wait_until 8000 all_up 1 || { echo "run-bench-mpi: nodes not up" >&2; exit 2; }

UCX_ARGS=(-x UCX_TLS=tcp,self -x UCX_NET_DEVICES=eth0 -x UCX_WARN_UNUSED_ENV_VARS=n)
# path NAME: launch that path once; its figures line on stdout.
path() {
	local prog launch=mpirun
	case $1 in
	rsm)	prog=rsm_job_perf; JOB_MPI_ARGS=() ;;
	mpi-pt2pt) prog=mpi_rma_perf
		JOB_MPI_ARGS=(--mca pml ob1 --mca btl tcp,self --mca osc pt2pt) ;;
	mpi-ucx) prog=mpi_rma_perf
		JOB_MPI_ARGS=(--mca pml ucx --mca osc ucx
		    --mca opal_common_ucx_tls any --mca opal_common_ucx_devices any
		    "${UCX_ARGS[@]}") ;;
	shmem-ucx) prog=shmem_perf; launch=oshrun
		JOB_MPI_ARGS=(--mca osc ^rdma "${UCX_ARGS[@]}") ;;
	esac
	[ -x "$JOB_BIN/$prog" ] || { echo "$1 missing"; return; }
	JOB_LAUNCH=$launch job_mpirun 2 1 "$JOB_BIN/$prog" "$1" |
	    grep "^$1 put8_us=" || echo "$1 failed"
}

PATHS="rsm mpi-pt2pt mpi-ucx shmem-ucx"
echo "run-bench-mpi: $ROUNDS rounds of $PATHS across 2 namespace nodes; medians"
: >"$NET_DIR/figures"
for r in $(seq 1 "$ROUNDS"); do
	for p in $PATHS; do
		line=$(path "$p")
		echo "  round $r: $line"
		echo "$line" >>"$NET_DIR/figures"
	done
done

awk -v paths="$PATHS" '
function median(k,   n, i, j, t, a) {
	n = cnt[k]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] = val[k, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$2 ~ /=/ {
	for (f = 2; f <= NF; f++) {
		split($f, kv, "=")
		if (kv[2] == "-") continue
		k = $1 SUBSEP kv[1]
		val[k, ++cnt[k]] = kv[2] + 0
	}
}
END {
	np = split(paths, p, " ")
	split("put8_us get8_us put_mib_MBps busy_ms fadd8_us", t, " ")
	split("8 B put + flush/quiet (us)|8 B get (us)|1 MiB put (MB/s)|10 gets, target busy 1 s (ms)|8 B fetch-and-add (us)", lab, "|")
	printf "\n%-32s", "test"
	for (i = 1; i <= np; i++) printf " %10s", p[i]
	for (i = 2; i <= np; i++) printf " %11s", "x vs " p[i]
	printf "\n"
	for (j = 1; j <= 5; j++) {
		printf "%-32s", lab[j]
		for (i = 1; i <= np; i++) {
			m[i] = median(p[i] SUBSEP t[j])
			printf " %10s", m[i] == "" ? "-" : sprintf("%.1f", m[i])
		}
		for (i = 2; i <= np; i++) {
			if (m[1] == "" || m[i] == "" || m[1] == 0 || m[i] == 0) { printf " %11s", "-"; continue }
			x = t[j] ~ /MBps/ ? m[1] / m[i] : m[i] / m[1]
			printf " %10.2fx", x
		}
		printf "\n"
	}
	printf "x: how many times better rsm is (peer time / rsm time; rsm MB/s / peer MB/s)\n"
}' "$NET_DIR/figures"

for i in 1 2; do
	node_stop "$i" >/dev/null
done
