#!/usr/bin/env bash
# Runs the whole test suite: a plain build and an ASan+UBSan build, each
# with `make check`, the libFuzzer targets (scripts/fuzz.sh), then
# `make distcheck`.  Prints one closing line
# "N passed, N failed" and exits non-zero on any failure.
# The guest tests (tests/vm: QEMU in emulation, about 3 minutes a pass)
# run in the plain pass only: RSM_SKIP_VM=1 skips them in the sanitizer
# pass and in distcheck.  So does the soak (tests/soak: a 200-fault chaos
# run on a 4-node cluster, about a minute): RSM_SKIP_SOAK=1, and the
# Debian packages (tests/pkg: a package build, about a minute): RSM_SKIP_DEB=1.
# The plain pass's daemons run as the system user rsmtest (made if absent).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 status=0
# The tails of failed tests' logs, printed again last, where a reader of
# the end of the output sees them.
failed_logs=$(mktemp)
trap 'rm -f "$failed_logs"' EXIT

count() {	# count DIR: add the automake harness results of DIR
	local log=$1/test-suite.log p f
	[ -f "$log" ] || { fail=$((fail + 1)); return; }
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=$(sed -n 's/^# \(FAIL\|ERROR\|XPASS\): *//p' "$log" | awk '{s+=$1} END {print s+0}')
	pass=$((pass + ${p:-0})); fail=$((fail + f))
}

run_suite() {	# run_suite NAME DIR [configure args]
	local name=$1 dir=$2
	shift 2
	echo "== $name build"
	if ! "$top/scripts/build.sh" "$dir" "$@"; then
		echo "$name: build failed"; fail=$((fail + 1)); status=1; return
	fi
	echo "== $name make check"
	if ! make -C "$dir" -s check; then
		status=1
		for l in "$dir"/tests/*.log "$dir"/tests/*/*.log; do
			[ -f "$l" ] && grep -q -E '^:test-result: (FAIL|ERROR)' "${l%.log}.trs" 2>/dev/null &&
				{ echo "---- $name: $l"; tail -40 "$l"; } >>"$failed_logs"
		done
	fi
	count "$dir"
}

# The plain pass runs every process and cluster test against rsmds that
# dropped root (RSM_TEST_RSMD_USER: tests/harness.c and tests/net/lib.sh
# add "user = rsmtest" to every config they write), as a packaged rsmd
# runs; the sanitizer pass keeps rsmd.conf's default, root.  rsmtest is a
# system user of its own, so it is neither nobody (the tests' "another
# user") nor anyone who owns files.
test_user=
if [ "$(id -u)" -eq 0 ]; then
	id rsmtest >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin rsmtest
	id rsmtest >/dev/null 2>&1 && test_user=rsmtest
fi
[ -n "$test_user" ] || echo "check: no user rsmtest, the plain pass runs root daemons"
RSM_TEST_RSMD_USER=$test_user run_suite plain "$top/build"
RSM_SKIP_VM=1 RSM_SKIP_SOAK=1 RSM_SKIP_DEB=1 run_suite sanitizers "$top/build-san" --enable-sanitizers

# libFuzzer targets (tests/fuzz/), $FUZZ_SECONDS each; skipped without clang.
echo "== fuzz"
fz=$("$top/scripts/fuzz.sh" "$top/build-fuzz"); frc=$?
echo "$fz"
if [ "$frc" -ne 77 ]; then
	fl=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$fz" | tail -1)
	if [ -n "$fl" ]; then
		pass=$((pass + ${fl%% passed*}))
		f=${fl#*, }; fail=$((fail + ${f%% failed}))
	else
		fail=$((fail + 1))
	fi
	[ "$frc" -eq 0 ] || status=1
fi

if [ "${RSM_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "== make distcheck"
	if RSM_SKIP_VM=1 RSM_SKIP_SOAK=1 RSM_SKIP_DEB=1 make -C "$top/build" -s distcheck \
	    >"$top/build/distcheck.out" 2>&1; then
		pass=$((pass + 1))
	else
		tail -40 "$top/build/distcheck.out"; fail=$((fail + 1)); status=1
	fi
fi

if [ -s "$failed_logs" ]; then
	echo "== failed tests"
	cat "$failed_logs"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] || status=1
exit $status
