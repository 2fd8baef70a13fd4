#!/bin/sh
# run-demo.sh - show two rsm nodes sharing memory, both on this machine.
#
# usage: run-demo.sh [BUILDDIR]
#
# Starts two private rsmd, node 1 and node 2, each with its own config,
# socket and log under a temporary directory (nothing system-wide, no
# root).  They are peers of each other over 127.0.0.1 on two free ports,
# authenticated by a cluster key made for this run, and serve controller
# tcp0 on 127.0.0.1.  The demo's exporter runs on node 1 and publishes a
# segment that node 2 may import; its importer runs on node 2, connects
# through tcp0, reads the greeting with get, answers with put inside a
# barrier and signals node 1, which acknowledges with a signal back.  While
# the importer is connected the script shows `rsmadm nodes` on node 2 and
# `rsmadm segments` on node 1.  Exits non-zero if any part failed.  Every
# wait is bounded; everything started is stopped and removed on exit.
#
# The same programs work on one node too:
#   rsm_demo export SEGID  and  rsm_demo import SEGID   (loopback, mapped)
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
unset RSM_DAEMON_SOCKET RSM_SEGMENTID_FILE

SEGID=0x400100
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-demo.XXXXXX") || exit 2
pid1=
pid2=
exp_pid=
imp_pid=

# stop_node I: stop node I's rsmd (TERM, then KILL after 5 s).
stop_node() {
	eval "sn_pid=\${pid$1}"
	[ -n "$sn_pid" ] || return 0
	kill "$sn_pid" 2>/dev/null
	i=0
	while kill -0 "$sn_pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$sn_pid" 2>/dev/null
	wait "$sn_pid" 2>/dev/null
	eval "pid$1="
}

cleanup() {
	for p in $imp_pid $exp_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	stop_node 2
	stop_node 1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

show() {
	echo "--- $1"
	sed 's/^/    /' "$2"
}

sock() { echo "$tmp/node$1/rsmd.sock"; }

# adm I ARGS...: rsmadm against node I, bounded.
adm() {
	a_node=$1
	shift
	RSM_DAEMON_SOCKET=$(sock "$a_node") timeout 10 "$RSMADM" "$@"
}

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

# A random port from 20000 to 59999 (no $RANDOM in POSIX sh).
random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
}

# The cluster key: 64 random bytes that only we may read.
mkdir -p "$tmp/node1" "$tmp/node2" || exit 2
key=$tmp/cluster.key
(umask 077 && head -c 64 /dev/urandom >"$key") || exit 2
chmod 600 "$key" || exit 2

# write_conf I OWN_PORT PEER PEER_PORT
write_conf() {
	cat >"$tmp/node$1/rsmd.conf" <<CONF
# private rsmd for the demo: node $1 of 2
node_id = $1
socket = $(sock "$1")
log_level = info
listen = 127.0.0.1:$2
peer = $3 127.0.0.1:$4
cluster_key_file = $key
data_listen = 127.0.0.1:0
CONF
}

# start_node I: start node I's rsmd and wait until it answers.  Status 0
# up, 3 its listen port was taken, 1 any other failure.
start_node() {
	"$RSMD" -f -c "$tmp/node$1/rsmd.conf" >"$tmp/node$1/rsmd.log" 2>&1 &
	eval "pid$1=\$!"
	eval "sn_pid=\${pid$1}"
	i=0
	until adm "$1" status >/dev/null 2>&1; do
		i=$((i + 1))
		if ! kill -0 "$sn_pid" 2>/dev/null; then
			wait "$sn_pid" 2>/dev/null
			eval "pid$1="
			grep -q "listen = .*: bind" "$tmp/node$1/rsmd.log" &&
			    return 3
			return 1
		fi
		[ $i -lt 50 ] || return 1
		sleep 0.1
	done
	return 0
}

# Two free ports: try random pairs, letting rsmd's own bind decide.
attempt=0
while :; do
	attempt=$((attempt + 1))
	if [ $attempt -gt 10 ]; then
		echo "run-demo: found no two free ports on 127.0.0.1" >&2
		exit 1
	fi
	port1=$(random_port)
	port2=$((port1 + 1))
	write_conf 1 "$port1" 2 "$port2"
	write_conf 2 "$port2" 1 "$port1"
	start_node 1
	rc=$?
	[ $rc -eq 3 ] && continue
	if [ $rc -eq 0 ]; then
		start_node 2
		rc=$?
		[ $rc -eq 3 ] && { stop_node 1; continue; }
		[ $rc -eq 0 ] && break
	fi
	echo "run-demo: rsmd did not start" >&2
	for n in 1 2; do
		[ -s "$tmp/node$n/rsmd.log" ] &&
		    show "node $n: rsmd log" "$tmp/node$n/rsmd.log" >&2
	done
	exit 1
done
echo "run-demo: node 1: rsmd pid $pid1, peer port 127.0.0.1:$port1, socket $(sock 1)"
echo "run-demo: node 2: rsmd pid $pid2, peer port 127.0.0.1:$port2, socket $(sock 2)"

# Each node sees the other up once their link is authenticated.
linked() {
	adm 2 nodes 2>/dev/null | awk '$1 == 1 && $3 == "up" { f = 1 } END { exit !f }' &&
	    adm 1 nodes 2>/dev/null | awk '$1 == 2 && $3 == "up" { f = 1 } END { exit !f }'
}
i=0
until linked; do
	i=$((i + 1))
	if [ $i -ge 100 ]; then
		echo "run-demo: nodes 1 and 2 did not link up within 10 s" >&2
		show "node 1: rsmd log" "$tmp/node1/rsmd.log" >&2
		show "node 2: rsmd log" "$tmp/node2/rsmd.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "run-demo: nodes 1 and 2 are linked (authenticated with a fresh cluster key)"

failed=0
RSM_DAEMON_SOCKET=$(sock 1) timeout 60 "$RSM_DEMO" export "$SEGID" \
    -c tcp0 -a 2 >"$tmp/export.out" 2>&1 &
exp_pid=$!
if ! wait_for "$tmp/export.out" "published" 15 "$exp_pid"; then
	echo "run-demo: the exporter did not publish" >&2
	failed=1
fi

if [ $failed -eq 0 ]; then
	# The importer stays connected for 2 s so rsmadm can show it.
	RSM_DAEMON_SOCKET=$(sock 2) timeout 60 "$RSM_DEMO" import "$SEGID" \
	    -n 1 -c tcp0 -l 2 >"$tmp/import.out" 2>&1 &
	imp_pid=$!
	if wait_for "$tmp/import.out" "staying connected" 15 "$imp_pid"; then
		echo "run-demo: rsmadm nodes on node 2, while the importer is connected:"
		adm 2 nodes | sed 's/^/    /' || failed=1
		echo "run-demo: rsmadm segments on node 1 (the importer is pid@node):"
		adm 1 segments | sed 's/^/    /' || failed=1
	else
		echo "run-demo: the importer did not finish its exchange" >&2
		failed=1
	fi
	wait "$imp_pid" || { echo "run-demo: importer failed (status $?)" >&2; failed=1; }
	imp_pid=
fi
wait "$exp_pid" || { echo "run-demo: exporter failed (status $?)" >&2; failed=1; }
exp_pid=

# Stop the daemons now, so that whatever they report at exit (a sanitizer
# build's leak check) is in their logs before those are judged.
stop_node 2
stop_node 1
for n in 1 2; do
	if grep -Eq "ERROR: [A-Za-z]*Sanitizer|runtime error:" \
	    "$tmp/node$n/rsmd.log"; then
		echo "run-demo: node $n: sanitizer report in the rsmd log" >&2
		failed=1
	fi
done
for f in export import; do
	if [ -f "$tmp/$f.out" ] && grep -Eq "ERROR: [A-Za-z]*Sanitizer|runtime error:" \
	    "$tmp/$f.out"; then
		echo "run-demo: sanitizer report from the ${f}er" >&2
		failed=1
	fi
done

show "exporter on node 1" "$tmp/export.out"
[ -f "$tmp/import.out" ] && show "importer on node 2" "$tmp/import.out"
if [ $failed -ne 0 ]; then
	show "node 1: rsmd log" "$tmp/node1/rsmd.log" >&2
	show "node 2: rsmd log" "$tmp/node2/rsmd.log" >&2
	echo "run-demo: FAILED" >&2
	exit 1
fi
echo "run-demo: OK"
exit 0
