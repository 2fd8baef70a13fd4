#!/bin/sh
# test_demo.sh - the demo of scripts/demo.sh and `make demo` still works:
# examples/run-demo.sh against this build tree (two private rsmd on
# 127.0.0.1, no root) exchanges its lines across the nodes and ends OK.
set -u

srcdir=${RSM_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
build=${RSMD_BIN:+$(dirname "$RSMD_BIN")/..}
build=${build:-.}
out=$(mktemp "${TMPDIR:-/tmp}/test_demo.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT TERM HUP

fail=0
timeout 120 sh "$srcdir/../examples/run-demo.sh" "$build" >"$out" 2>&1
rc=$?
cat "$out"
if [ $rc -ne 0 ]; then
	echo "FAIL: run-demo.sh exited with $rc"
	fail=1
fi

# expect DESCRIPTION EXTENDED-REGEX: a line of the output matches.
expect() {
	if grep -Eq "$2" "$out"; then
		echo "ok: $1"
	else
		echo "FAIL: $1 (no line matches: $2)"
		fail=1
	fi
}
expect "exporter publishes on node 1 for node 2" \
    '^ *exporter: published segment 0x400100 .* on node 1 through tcp0, open to nodes 1 and 2$'
expect "importer on node 2 connects through tcp0" \
    '^ *importer: on node 2, connected to segment 0x400100 on node 1 through tcp0 \(put/get\)$'
expect "importer reads the greeting" \
    '^ *importer: read "hello from exporter pid [0-9]+ on node 1"$'
expect "exporter receives the answer" \
    '^ *exporter: got a signal, received "hello back from importer pid [0-9]+ on node 2"$'
expect "importer receives the acknowledgement" \
    '^ *importer: got a signal, received "exporter pid [0-9]+ on node 1 got your answer"$'
expect "node 2 sees node 1 up" '^ *1 +127\.0\.0\.1:[0-9]+ +up '
expect "node 1 lists the importer as pid@2" '^ *0x00400100 .*\([0-9]+@2\)$'
expect "exporter finishes" '^ *exporter: done$'
expect "importer finishes" '^ *importer: done$'
expect "the demo ends OK" '^run-demo: OK$'
exit $fail
