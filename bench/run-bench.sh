#!/bin/sh
# run-bench.sh - run rsm_perf against a private rsmd.
#
# usage: run-bench.sh [BUILDDIR] [rsm_perf options]
#
# Starts rsmd with its own config and socket under a temporary directory,
# runs the benchmark, stops rsmd.  The benchmark prints PASS/MISS against
# its targets but does not fail on a miss; this script fails only when the
# benchmark cannot run.  $RSMD and $RSM_PERF override the programs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench_lib.sh"
bench_build_dir "$@"
shift "$bench_shift"
RSMD=${RSMD:-$build/rsmd/rsmd}
RSM_PERF=${RSM_PERF:-$build/bench/rsm_perf}
for p in "$RSMD" "$RSM_PERF"; do
	if [ ! -x "$p" ]; then
		echo "run-bench: $p is missing: build first (make)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-bench.XXXXXX") || exit 2
sock=$tmp/rsmd.sock
rsmd_pid=
cleanup() {
	if [ -n "$rsmd_pid" ]; then
		kill "$rsmd_pid" 2>/dev/null
		i=0
		while kill -0 "$rsmd_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$rsmd_pid" 2>/dev/null
		wait "$rsmd_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each live segment is a memfd in rsmd and in the benchmark.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

cat >"$tmp/rsmd.conf" <<CONF
node_id = 1
socket = $sock
log_level = warn
CONF
"$RSMD" -f -c "$tmp/rsmd.conf" >"$tmp/rsmd.log" 2>&1 &
rsmd_pid=$!
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 "$rsmd_pid" 2>/dev/null; then
		echo "run-bench: rsmd did not start" >&2
		cat "$tmp/rsmd.log" >&2
		exit 1
	fi
	sleep 0.1
done

echo "run-bench: $(nproc) cores, $(uname -sr), rsmd pid $rsmd_pid"
RSM_DAEMON_SOCKET=$sock timeout 300 "$RSM_PERF" "$@"
rc=$?
if [ $rc -ne 0 ]; then
	echo "run-bench: rsm_perf could not run (status $rc)" >&2
	sed 's/^/    rsmd: /' "$tmp/rsmd.log" >&2
fi
exit $rc
