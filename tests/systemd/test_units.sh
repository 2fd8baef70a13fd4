#!/usr/bin/env bash
# test_units.sh - rsmd under systemd: the units and the notifications.
#
# 1. systemd-analyze verify accepts rsmd.service and rsmd@.service as this
#    build made them (with this build's rsmd in ExecStart, since nothing is
#    installed, and the man pages of the sources for Documentation=).
# 2. systemd-analyze security --offline rates each at most 3.0 ("OK").
# 3. With libsystemd (Type=notify), rsmd speaks sd_notify on
#    $NOTIFY_SOCKET: READY=1 only once its socket answers, RELOADING=1 then
#    READY=1 around a SIGHUP, also when the new file has errors (logged
#    with file:line; the old configuration stays), STOPPING=1 at SIGTERM.
#
# Skipped (77) without systemd-analyze.  $RSMD_BIN, $RSMADM_BIN,
# $RSM_TEST_SRCDIR and $RSM_TEST_BUILDDIR come from make check.
set -u
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
src=${RSM_TEST_SRCDIR:?}/..
build=${RSM_TEST_BUILDDIR:?}
rsmd=${RSMD_BIN:?}
rsmadm=${RSMADM_BIN:?}
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-units.XXXXXX")
rsmd_pid=
listen_pid=
cleanup() {
	[ -n "$rsmd_pid" ] && kill -9 "$rsmd_pid" 2>/dev/null
	[ -n "$listen_pid" ] && kill "$listen_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Poll COMMAND until it succeeds, for at most $1 tenths of a second.
wait_until() {
	local n=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge "$n" ] && return 1
		sleep 0.1
	done
}

# --- 1, 2: the units ---
mkdir -p "$tmp/man/man8" "$tmp/man/man5"
cp "$src/man/rsmd.8" "$tmp/man/man8/"
cp "$src/man/rsmd.conf.5" "$tmp/man/man5/"
for u in rsmd.service rsmd@.service; do
	if [ ! -f "$build/systemd/$u" ]; then
		bad "$u was not built"
		continue
	fi
	sed "s|^ExecStart=[^ ]*/rsmd |ExecStart=$rsmd |" "$build/systemd/$u" >"$tmp/$u"
	grep -q "^ExecStart=$rsmd " "$tmp/$u" || bad "$u: no ExecStart running rsmd"
	# verify names each problem on stderr; any line is a failure.
	out=$(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify "$tmp/$u" 2>&1)
	if [ $? -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify $u"
	else
		bad "systemd-analyze verify $u:"; echo "$out" | sed 's/^/    /'
	fi
	score=$(systemd-analyze security --offline=yes "$tmp/$u" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'; then
		ok "$u exposure $score (at most 3.0)"
	else
		bad "$u exposure '${score:-none}', wanted at most 3.0"
	fi
done

# --- 3: sd_notify ---
if ! grep -q '^#define HAVE_SYSTEMD 1' "$build/config.h"; then
	echo "built without libsystemd: the unit is Type=exec"
	grep -q '^Type=exec' "$build/systemd/rsmd.service" || bad "Type= is not exec"
	exit $fail
fi
grep -q '^Type=notify' "$build/systemd/rsmd.service" || bad "Type= is not notify"
command -v python3 >/dev/null || { echo "no python3: notifications not tested"; exit $fail; }

# A service manager's notify socket: every datagram, one line each.
python3 - "$tmp/notify.sock" "$tmp/notes" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
listen_pid=$!
wait_until 50 test -S "$tmp/notify.sock" || { bad "no notify socket"; exit 1; }
: >"$tmp/notes"

cat >"$tmp/rsmd.conf" <<CONF
node_id = 1
socket = $tmp/rsmd.sock
CONF
NOTIFY_SOCKET=$tmp/notify.sock "$rsmd" -f -c "$tmp/rsmd.conf" >"$tmp/log" 2>&1 &
rsmd_pid=$!
if wait_until 100 grep -q '^READY=1' "$tmp/notes"; then
	# Ready means serving: the socket must answer now, not later.
	if RSM_DAEMON_SOCKET=$tmp/rsmd.sock "$rsmadm" status >/dev/null 2>&1; then
		ok "READY=1 once rsmd serves ($(grep -m1 '^READY' "$tmp/notes"))"
	else
		bad "READY=1 before the socket answered"
	fi
else
	bad "no READY=1"; cat "$tmp/log"
fi

notes_after() {	# notes_after N PATTERN: a line past line N matches
	tail -n +"$(($1 + 1))" "$tmp/notes" | grep -q "$2"
}
n=$(wc -l <"$tmp/notes")
kill -HUP "$rsmd_pid"
if wait_until 100 notes_after "$n" '^READY=1' &&
    tail -n +"$((n + 1))" "$tmp/notes" | head -1 | grep -q '^RELOADING=1 MONOTONIC_USEC=[0-9]'; then
	ok "SIGHUP: RELOADING=1, then READY=1"
else
	bad "SIGHUP: $(tail -n +"$((n + 1))" "$tmp/notes" | tr '\n' '|')"
fi

# A file with errors: reloading ends, the old configuration stays.
echo "no_such_key = 1" >>"$tmp/rsmd.conf"
n=$(wc -l <"$tmp/notes")
kill -HUP "$rsmd_pid"
if wait_until 100 notes_after "$n" '^READY=1' &&
    grep -q "rsmd.conf:3:" "$tmp/log" &&
    grep -q "keeping the running configuration" "$tmp/log" &&
    RSM_DAEMON_SOCKET=$tmp/rsmd.sock "$rsmadm" status >/dev/null 2>&1; then
	ok "SIGHUP with a bad file: file:line logged, old configuration kept, READY=1"
else
	bad "SIGHUP with a bad file"; tail -5 "$tmp/log"
fi

n=$(wc -l <"$tmp/notes")
kill -TERM "$rsmd_pid"
if wait_until 100 notes_after "$n" '^STOPPING=1'; then
	ok "SIGTERM: STOPPING=1"
else
	bad "SIGTERM: no STOPPING=1"
fi
wait_until 100 sh -c "! kill -0 $rsmd_pid 2>/dev/null" || bad "rsmd did not exit"
rsmd_pid=
exit $fail
