#!/bin/sh
# run-demo.sh - show two processes sharing memory through rsm.
#
# usage: run-demo.sh [BUILDDIR]
#
# Starts a private rsmd (its own config and socket under a temporary
# directory, nothing system-wide), runs the demo's exporter in the
# background and its importer in the foreground, shows both sides' lines
# and `rsmadm segments` while the segment is live, then stops everything.
# Exits non-zero if any part failed.  Every wait is bounded.
#
# Programs are taken from BUILDDIR (default: the tree this script is in),
# unless $RSMD, $RSM_DEMO or $RSMADM name them.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/..}
if [ ! -d "$build" ]; then
	echo "run-demo: no build directory $build" >&2
	exit 2
fi
build=$(cd "$build" && pwd)
RSMD=${RSMD:-$build/rsmd/rsmd}
RSM_DEMO=${RSM_DEMO:-$build/examples/rsm_demo}
RSMADM=${RSMADM:-$build/rsmadm/rsmadm}
for p in "$RSMD" "$RSM_DEMO" "$RSMADM"; do
	if [ ! -x "$p" ]; then
		echo "run-demo: $p is missing: build first (make)" >&2
		exit 2
	fi
done

SEGID=0x400100
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-demo.XXXXXX") || exit 2
sock=$tmp/rsmd.sock
rsmd_pid=
exp_pid=
imp_pid=

cleanup() {
	for p in $imp_pid $exp_pid; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$rsmd_pid" ]; then
		kill "$rsmd_pid" 2>/dev/null
		# Give rsmd a moment to unlink its socket, then insist.
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

# wait_for FILE PATTERN SECONDS PID: until FILE has a line matching PATTERN;
# fails at once if PID has exited without printing it.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null; return $?; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

show() {
	echo "--- $1"
	sed 's/^/    /' "$2"
}

cat >"$tmp/rsmd.conf" <<CONF
# private rsmd for the demo
node_id = 1
socket = $sock
log_level = info
CONF

"$RSMD" -f -c "$tmp/rsmd.conf" >"$tmp/rsmd.log" 2>&1 &
rsmd_pid=$!
i=0
until RSM_DAEMON_SOCKET=$sock "$RSMADM" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 "$rsmd_pid" 2>/dev/null; then
		echo "run-demo: rsmd did not start" >&2
		show "rsmd log" "$tmp/rsmd.log" >&2
		exit 1
	fi
	sleep 0.1
done
export RSM_DAEMON_SOCKET="$sock"
echo "run-demo: rsmd (pid $rsmd_pid) listening on $sock"

failed=0
timeout 60 "$RSM_DEMO" export "$SEGID" >"$tmp/export.out" 2>&1 &
exp_pid=$!
if ! wait_for "$tmp/export.out" "published" 15 "$exp_pid"; then
	echo "run-demo: the exporter did not publish" >&2
	failed=1
fi

if [ $failed -eq 0 ]; then
	# The importer stays connected for 2 s so rsmadm can show it.
	timeout 60 "$RSM_DEMO" import "$SEGID" -l 2 >"$tmp/import.out" 2>&1 &
	imp_pid=$!
	if wait_for "$tmp/import.out" "staying connected" 15 "$imp_pid"; then
		echo "run-demo: rsmadm segments, while the importer is connected:"
		"$RSMADM" segments | sed 's/^/    /' || failed=1
	else
		echo "run-demo: the importer did not finish its exchange" >&2
		failed=1
	fi
	wait "$imp_pid" || { echo "run-demo: importer failed (status $?)" >&2; failed=1; }
	imp_pid=
fi
wait "$exp_pid" || { echo "run-demo: exporter failed (status $?)" >&2; failed=1; }
exp_pid=

show "exporter" "$tmp/export.out"
[ -f "$tmp/import.out" ] && show "importer" "$tmp/import.out"
if [ $failed -ne 0 ]; then
	show "rsmd log" "$tmp/rsmd.log" >&2
	echo "run-demo: FAILED" >&2
	exit 1
fi
echo "run-demo: OK"
exit 0
