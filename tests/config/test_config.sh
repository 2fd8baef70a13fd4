#!/usr/bin/env bash
# test_config.sh - golden tests of rsmd's configuration parser
# (rsmd/config.c), through "rsmd -nv -c FILE".
#
#   good/NAME.conf  a valid file (NAME.peers beside it: its peers_file).  good/NAME.ok is what rsmd -nv prints
#                   for it; it must exit 0 with nothing on stderr, and what
#                   it printed must parse back to the very same output.
#   bad/NAME.conf   an invalid file.  bad/NAME.err holds what rsmd prints
#                   on stderr (every "file:line: message") and, as its last
#                   line, "exit N"; nothing may come on stdout.  A
#                   bad/NAME.err without NAME.conf: the file named with -c
#                   does not exist.
#
# Every .conf is copied into a scratch directory with @DIR@ replaced by
# that directory, which also holds the cluster keys the files name
# (cluster.key, min.key, max.key and the broken ones: open.key, short.key,
# long.key, keydir, nokey); in what rsmd prints the scratch directory is
# turned back into @DIR@.  So the goldens hold no path of the sources or
# of the build, and the sources may be read-only (make distcheck).
#
# Also checked: each key rsmd.conf(5) documents is set by some good file,
# and good/man-example.conf is the manual's EXAMPLES section.
#
#   tests/config/test_config.sh            compare; a diff per difference
#   tests/config/test_config.sh --update   rewrite the goldens from rsmd
#
# $RSMD_BIN names rsmd (make check sets it, as it sets $RSM_TEST_SRCDIR).
set -u

update=0
case ${1:-} in
--update) update=1 ;;
"") ;;
*) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
src=${RSM_TEST_SRCDIR:+$RSM_TEST_SRCDIR/config}
src=${src:-$here}
man=$src/../../man/rsmd.conf.5
RSMD_BIN=${RSMD_BIN:-$src/../../rsmd/rsmd}
if [ ! -x "$RSMD_BIN" ]; then
	echo "test_config.sh: no rsmd at $RSMD_BIN (set RSMD_BIN)" >&2
	exit 99
fi
# rsmd -v prints the socket it would use, which this would override.
unset RSM_DAEMON_SOCKET

pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsmconf.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/good" "$tmp/bad"

# key NAME BYTES [MODE]: a cluster key of random bytes.
key() {
	head -c "$2" /dev/urandom >"$tmp/$1"
	chmod "${3:-600}" "$tmp/$1"
}
key cluster.key 64
key min.key 32
key max.key 4096
key short.key 31
key long.key 4097
key open.key 64 640
mkdir -m 700 "$tmp/keydir"

# run FILE: rsmd -nv on FILE; its stdout, stderr and status in $tmp/out,
# $tmp/err and $rc, with the scratch directory written @DIR@.
run() {
	"$RSMD_BIN" -nv -c "$1" >"$tmp/out.raw" 2>"$tmp/err.raw"
	rc=$?
	norm <"$tmp/out.raw" >"$tmp/out"
	norm <"$tmp/err.raw" >"$tmp/err"
}
norm() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "${line//"$tmp"/@DIR@}"
	done
}

# same DESCRIPTION GOLDEN ACTUAL: ok, or the difference.
same() {
	if diff -u --label "${2#"$src"/}" --label rsmd "$2" "$3" >"$tmp/diff"
	then
		ok "$1"
	else
		nok "$1"
		cat "$tmp/diff"
	fi
}

# The scratch copy of case DIR/NAME (none for a missing .conf), and of
# its peers file DIR/NAME.peers if it has one (peers_file =
# @DIR@/DIR/NAME.peers).
stage() {
	local conf=$src/$1/$2.conf
	[ -f "$conf" ] || return 0
	sed "s|@DIR@|$tmp|g" "$conf" >"$tmp/$1/$2.conf"
	[ -f "$src/$1/$2.peers" ] && cp "$src/$1/$2.peers" "$tmp/$1/$2.peers"
	return 0
}

ngood=0
for conf in "$src"/good/*.conf; do
	[ -f "$conf" ] || continue
	name=$(basename "$conf" .conf)
	ngood=$((ngood + 1))
	stage good "$name"
	run "$tmp/good/$name.conf"
	if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
		nok "good/$name: exit $rc (want 0)"
		cat "$tmp/err"
		continue
	fi
	if [ "$update" -eq 1 ]; then
		cp "$tmp/out" "$src/good/$name.ok"
		echo "updated good/$name.ok"
		continue
	fi
	same "good/$name" "$src/good/$name.ok" "$tmp/out"
	# What rsmd printed is a configuration file that means the same.
	cp "$tmp/out.raw" "$tmp/good/$name.again.conf"
	cp "$tmp/out" "$tmp/first"
	run "$tmp/good/$name.again.conf"
	if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
		nok "good/$name: the printed file does not parse (exit $rc)"
		cat "$tmp/err"
	else
		same "good/$name: the printed file parses back the same" \
		    "$tmp/first" "$tmp/out"
	fi
done

nbad=0
for f in "$src"/bad/*.conf "$src"/bad/*.err; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	name=${name%.*}
	# Each case once, whether it has a .conf, a .err or both.
	if [ "${f##*.}" = err ] && [ -f "$src/bad/$name.conf" ]; then
		continue
	fi
	nbad=$((nbad + 1))
	stage bad "$name"
	run "$tmp/bad/$name.conf"
	echo "exit $rc" >>"$tmp/err"
	if [ "$rc" -eq 0 ] || [ -s "$tmp/out" ]; then
		nok "bad/$name: exit $rc (want an error) or output on stdout"
		cat "$tmp/out" "$tmp/err"
		continue
	fi
	if [ "$update" -eq 1 ]; then
		cp "$tmp/err" "$src/bad/$name.err"
		echo "updated bad/$name.err"
		continue
	fi
	same "bad/$name" "$src/bad/$name.err" "$tmp/err"
done

# A test that finds no cases proves nothing.
if [ "$ngood" -lt 1 ] || [ "$nbad" -lt 1 ]; then
	nok "found $ngood good and $nbad bad cases under $src"
fi

if [ "$update" -eq 0 ] && [ ! -f "$man" ]; then
	nok "no manual at $man"
elif [ "$update" -eq 0 ]; then
	# Every key the manual documents is set by some good file.
	keys=$(sed -n 's/^\.BI \([a-z_]*\) " = ".*/\1/p' "$man" | sort -u)
	[ -n "$keys" ] || nok "no keys found in $man"
	for k in $keys; do
		if grep -Eq "^[[:space:]]*$k[[:space:]]*[=:]" "$src"/good/*.conf
		then ok "rsmd.conf(5) key $k is covered"
		else nok "rsmd.conf(5) key $k is in no good/*.conf"
		fi
	done
	# The manual's example, its key where the scratch keys are.
	sed -n '/^\.SH EXAMPLES/,/^\.EE/p' "$man" | sed '1,2d;$d' |
	    sed 's/\\-/-/g; s/\\e/\\/g' |
	    sed 's|/etc/rsm/cluster\.key|@DIR@/cluster.key|' >"$tmp/example"
	same "good/man-example.conf is the EXAMPLES of rsmd.conf(5)" \
	    "$src/good/man-example.conf" "$tmp/example"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
