#!/usr/bin/env bash
# test_unprivileged.sh - rsmd that dropped root (config key "user").
#
# A daemon started as root with "user = nobody" must run as nobody, with
# CAP_IPC_LOCK as its only capability (effective, permitted and bounding)
# and no way to new privileges; then the process tests and two cluster
# tests run again against daemons that all do so (RSM_TEST_RSMD_USER:
# tests/harness.c and tests/net/lib.sh add the key to every config).
#
# Root only (77 otherwise).  $RSMD_BIN, $RSM_TEST_SRCDIR and
# $RSM_TEST_BUILDDIR come from make check.
set -u
[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "no user nobody: skipped"; exit 77; }
rsmd=${RSMD_BIN:?}
build=${RSM_TEST_BUILDDIR:?}
src=${RSM_TEST_SRCDIR:?}
fail=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-unpriv.XXXXXX")
chmod 755 "$tmp"
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
printf 'node_id = 1\nsocket = %s/rsmd.sock\nuser = nobody\n' "$tmp" >"$tmp/rsmd.conf"
"$rsmd" -f -c "$tmp/rsmd.conf" >"$tmp/log" 2>&1 &
pid=$!
i=0
until grep -qs "listening on" "$tmp/log"; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: rsmd did not start"; cat "$tmp/log"; exit 1
	fi
	sleep 0.1
done
st=/proc/$pid/status
want_uid=$(id -u nobody)
if awk -v u="$want_uid" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' "$st"; then
	echo "ok: every uid is nobody's"
else
	echo "FAIL: $(grep '^Uid:' "$st")"; fail=1
fi
for set in CapEff CapPrm CapBnd; do
	# CAP_IPC_LOCK is capability 14: bit 0x4000, and nothing else.
	if grep -q "^$set:[[:space:]]*0000000000004000$" "$st"; then
		echo "ok: $set is CAP_IPC_LOCK alone"
	else
		echo "FAIL: $(grep "^$set:" "$st")"; fail=1
	fi
done
grep -q '^NoNewPrivs:[[:space:]]*1$' "$st" && echo "ok: no new privileges" ||
    { echo "FAIL: $(grep '^NoNewPrivs:' "$st")"; fail=1; }
kill "$pid"
wait "$pid" 2>/dev/null
pid=

export RSM_TEST_RSMD_USER=nobody
for t in test_basic test_errors test_signals test_faults test_tcp test_topology; do
	if "$build/tests/proc/$t" >"$tmp/$t.out" 2>&1; then
		echo "ok: tests/proc/$t against unprivileged daemons"
	else
		echo "FAIL: tests/proc/$t against unprivileged daemons"
		tail -30 "$tmp/$t.out"; fail=1
	fi
done
for t in test_cluster test_remote; do
	"$src/net/$t.sh" >"$tmp/$t.out" 2>&1
	rc=$?
	case $rc in
	0) echo "ok: tests/net/$t.sh against unprivileged daemons" ;;
	77) echo "skip: tests/net/$t.sh (no namespaces here)" ;;
	*) echo "FAIL: tests/net/$t.sh against unprivileged daemons"
	   tail -30 "$tmp/$t.out"; fail=1 ;;
	esac
done
exit $fail
