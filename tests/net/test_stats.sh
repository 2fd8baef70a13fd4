#!/usr/bin/env bash
# test_stats.sh - rsmadm stats and rsmadm monitor (rsmadm(8)) on two
# nodes: a segment of node 1 imported from node 2 through tcp0 counts
# exactly the puts, gets, putv, getv, atomics and signals made and their
# bytes, per segment and per import, while a loopback import's stores
# (which rsmd never sees) count none; a refused connect shows under its
# code; a revocation
# is counted; the peer shows frames both ways and round-trip percentiles;
# malformed tcp0 frames from a raw client count exactly, for the node;
# -j is one compact line, -j -p indented.
# A monitor started before all of it records publish, connect,
# disconnect, revoke, unpublish, refusal and node down, as JSON lines that
# parse; one that does not read loses events (and says how many) while
# rsmd keeps serving; one whose rsmd dies exits 2, one stopped by SIGTERM
# exits 0.  Only root and rsmd's uid may monitor or see others' segments.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_PERM=27
SEG=0x500010		# a daemon segment of node 1
XSEG=0x500020		# a client's segment of node 1 (revoked by unpublish)
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

net_require
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
net_setup 2 || { echo "network setup failed"; exit 1; }
node_conf 1 "data_listen = 0.0.0.0:0"
node_conf 2 "data_listen = 0.0.0.0:0"
for i in 1 2; do
	node_start "$i" || nok "node $i starts"
done
check "nodes see each other up" wait_until 5000 all_up 1
wait_until 5000 all_up 2

MON=$NET_DIR/mon.json
MONT=$NET_DIR/mon.txt
# mon_has PYTHON-CONDITION: a line of the JSON monitor's output matches
# (e is the event), all lines so far parse.
mon_has() {
	python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(eval(sys.argv[2]) for e in evs) else 1)' "$MON" "$1"
}
# jstats PYTHON-EXPRESSION [SEGID]: evaluated on node 1's "rsmadm -j
# stats" (s is the whole object), printed.
jstats() {
	local expr=$1
	shift
	adm 1 -j stats "$@" | python3 -c '
import json, sys
s = json.load(sys.stdin)
seg = lambda i: [x for x in s["segments"] if x["segid"] == i][0]
imp = lambda i: [x for x in s["imports"] if x["segid"] == i][0]
peer = lambda n: [x for x in s["peers"] if x["node"] == n][0]
print(eval(sys.argv[1]))' "$expr"
}
# expect_fail WANT_EXIT PATTERN COMMAND...: exit status and stderr.
expect_fail() {
	local want=$1 pat=$2 rc
	shift 2
	"$@" >"$NET_DIR/out" 2>"$NET_DIR/err"; rc=$?
	[ "$rc" = "$want" ] && grep -q -- "$pat" "$NET_DIR/err"
}

# ---- monitors, subscribed before anything happens ----
# mon NODE ARGS...: rsmadm itself, so that $! is its pid (signals reach it).
mon() { local i=$1; shift; exec "$RSMADM_BIN" -s "$(node_sock "$i")" "$@"; }
(mon 1 -j monitor >"$MON" 2>"$NET_DIR/mon.err") &
MON_PID=$!
(mon 1 monitor >"$MONT" 2>"$NET_DIR/mont.err") &
MONT_PID=$!
# A refusal is an event: once both monitors show it, both listen.
ping_monitors() {
	adm 1 stats 0x7ffff0 >/dev/null 2>&1
	mon_has 'e["event"] == "refusal" and e["segid"] == 0x7ffff0' &&
	    grep -q 'refusal .*segid 0x007ffff0' "$MONT"
}
check "both monitors are subscribed" wait_until 5000 ping_monitors

# ---- exact data counters ----
check "create a daemon segment" adm 1 segment create $SEG 64K --mode 0660
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 imports it through tcp0" 0 "$P_LAST"
for off in 0 1000 2000; do
	probe_say imp "put $off 1000 3" >/dev/null
done
probe_say imp "get 0 500" >/dev/null
probe_say imp "get 4096 500" >/dev/null
a=$(probe_say imp "putv 8192 3000 5 3")
check_rc "a putv of 3 entries" 0 "$a"
a=$(probe_say imp "getv 8192 2000 2")
check_rc "a getv of 2 entries" 0 "$a"
check_rc "5 fetch-adds on a 64-bit word" 0 "$(probe_say imp "fadd 16384 64 5")"
check_rc "a signal post" 0 "$(probe_say imp post)"
ops() { jstats "$1" $SEG; }
check "the segment counts 3 puts of 3000 bytes" \
    test "$(ops 'seg(0x500010)["ops"]["put"], seg(0x500010)["bytes"]["put"]')" = "(3, 3000)"
check "... 2 gets of 1000 bytes" \
    test "$(ops 'seg(0x500010)["ops"]["get"], seg(0x500010)["bytes"]["get"]')" = "(2, 1000)"
check "... 1 putv of 3000 bytes and 1 getv of 2000" \
    test "$(ops 'seg(0x500010)["ops"]["putv"], seg(0x500010)["bytes"]["putv"], seg(0x500010)["ops"]["getv"], seg(0x500010)["bytes"]["getv"]')" = "(1, 3000, 1, 2000)"
check "... 5 atomics of 40 bytes, 1 signal, one connect, no errors" \
    test "$(ops 'seg(0x500010)["ops"]["atomic"], seg(0x500010)["bytes"]["atomic"], seg(0x500010)["ops"]["signal"], seg(0x500010)["connects"], seg(0x500010)["errors"]')" = "(5, 40, 1, 1, {})"
check "the import counts the same, from node 2 through tcp" \
    test "$(ops 'imp(0x500010)["node"], imp(0x500010)["xport"], imp(0x500010)["ops"]["put"], imp(0x500010)["bytes"]["put"], imp(0x500010)["bytes"]["getv"]')" = "(2, 'tcp', 3, 3000, 2000)"
check "stats of one segment name no node and no peers" \
    test "$(ops 's["node"], s["peers"], len(s["segments"])')" = "(None, [], 1)"
line=$(adm 1 stats $SEG | awk '$1 == "segment"')
check "the text row of the segment: put 3/3000, get 2/1000, connects 1/0" \
    test "$(echo "$line" | awk '{ print $8, $9, $10, $11, $14 }')" = \
    "3/3000 2/1000 1/3000 1/2000 1/0"
check "the text table has its header" eval \
    "adm 1 stats $SEG | head -1 | grep -q '^WHAT  *SEGID  *HANDLE'"

# ---- what rsmd does not see: a loopback import's stores ----
RSM_PROBE_CTLR=loopback probe_start impl 1 import 1 $SEG rw
check_rc "a process on node 1 imports it through loopback" 0 "$P_LAST"
check_rc "and puts 100 bytes with memcpy" 0 "$(probe_say impl "put 0 100 7")"
check "its import is listed, through loopback, with no operations" test \
    "$(ops '[(x["xport"], x["ops"]["put"]) for x in s["imports"] if x["node"] == 1]')" = "[('loopback', 0)]"
check "the segment's puts are still the 3 of tcp0, its connects 2" test \
    "$(ops 'seg(0x500010)["ops"]["put"], seg(0x500010)["connects"]')" = "(3, 2)"
probe_quit impl

# ---- a refused connect: counted under its code ----
P_AS=$NOBODY probe_start impn 2 import 1 $SEG r
check_rc "uid 65534 on node 2 may not import the 0660 segment" \
    $E_PERM "$P_LAST"
probe_close impn
check "the segment counts RSMERR_PERM_DENIED once" \
    test "$(ops 'seg(0x500010)["errors"]')" = "{'RSMERR_PERM_DENIED': 1}"
check "so does the node" \
    test "$(jstats 's["node"]["errors"].get("RSMERR_PERM_DENIED")')" = 1
check "the monitor saw the refusal with who asked" wait_until 3000 mon_has \
    'e["event"] == "refusal" and e["code"] == "RSMERR_PERM_DENIED" and e["node"] == 2 and e["uid"] == 65534 and e["request"] == "IMPORT_CONNECT"'
check "... and the connect through tcp before it" mon_has \
    'e["event"] == "connect" and e["segid"] == 0x500010 and e["node"] == 2 and e["xport"] == "tcp"'
check "... and the publish" mon_has \
    'e["event"] == "publish" and e["segid"] == 0x500010 and e["node"] == 1'

# ---- access ----
check "uid 65534 may not see a root segment's stats" expect_fail 3 \
    RSMERR_PERM_DENIED $NOBODY "$RSMADM_BIN" -s "$(node_sock 1)" stats $SEG
check "uid 65534's stats list no segment of root's" test "$($NOBODY \
    "$RSMADM_BIN" -s "$(node_sock 1)" -j stats | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["segments"]))')" = 0
adm 1 segment create 0x500030 4K --owner 65534:65534
check "uid 65534 sees its own segment, and only that" test "$($NOBODY \
    "$RSMADM_BIN" -s "$(node_sock 1)" -j stats | python3 -c '
import json, sys
print([x["segid_hex"] for x in json.load(sys.stdin)["segments"]])')" = "['0x500030']"
check "... also asked by its id" eval "$NOBODY $RSMADM_BIN -s $(node_sock 1) \
    stats 0x500030 | awk '\$1 == \"segment\" { print \$6 }' | grep -qx 65534"
adm 1 segment remove 0x500030
check "uid 65534 may not monitor" expect_fail 3 RSMERR_PERM_DENIED \
    $NOBODY "$RSMADM_BIN" -s "$(node_sock 1)" monitor
check "stats of an unknown segment" expect_fail 3 RSMERR_SEG_NOT_PUBLISHED \
    adm 1 stats 0x500099
check "stats of something that is no segment id" expect_fail 1 \
    "is not a segment id" adm 1 stats zz
check "stats with two arguments" expect_fail 1 "unexpected argument" \
    adm 1 stats $SEG 1
check "monitor with an argument" expect_fail 1 "unexpected argument" \
    adm 1 monitor 5

# ---- peers ----
for k in 1 2 3; do adm 1 ping 2 >/dev/null; done
check "the peer has sent and received frames and bytes" test \
    "$(jstats 'all(peer(2)[k] > 0 for k in ("frames_tx", "frames_rx", "bytes_tx", "bytes_rx"))')" = True
check "at least the 3 pings' round trips, percentiles in order" test \
    "$(jstats 'peer(2)["rtt_us"]["samples"] >= 3 and 0 < peer(2)["rtt_us"]["p50"] <= peer(2)["rtt_us"]["p90"] <= peer(2)["rtt_us"]["p99"] <= peer(2)["rtt_us"]["max"]')" = True
check "the peer is up, with a retransmission count" test \
    "$(jstats 'peer(2)["state"], type(peer(2)["retransmits"]).__name__')" = "('up', 'int')"
check "the text peer table" eval "adm 1 stats | awk '\$1 == \"PEER\" { h = 1 } h && \$1 == 2 && \$2 == \"up\"' | grep -q ."

# ---- malformed tcp0 frames: counted for the node ----
# A raw client on node 2 dials node 1's data port and breaks the protocol
# three ways: a header of no tcp0 magic, a well-formed PUT before any
# HELLO, half a header and the end of the stream.  rsmd closes each
# connection unanswered; rsmadm stats counts exactly 3 malformed frames
# (status's refused counts them too), under no error code.
DPORT=$(sed -n 's/.*controller tcp0: data port [^ ]*:\([0-9]*\)$/\1/p' \
    "$(node_log 1)" | tail -1)
# bad_frame HOW: one connection to node 1's data port; 0 once rsmd closed it.
bad_frame() {
	on_node 2 python3 - "$(node_addr 1)" "$DPORT" "$1" <<'EOF'
import socket, struct, sys
host, port, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=5)
# magic, version, op, status, id, off, len, count (proto/rsm_data.h)
put = struct.pack("<HBBIQQII", 0x5244, 3, 2, 0, 1, 0, 8, 0)
if how == "magic":
    s.sendall(b"\xff" * 32)
elif how == "order":
    s.sendall(put + b"\0" * 8)
else:
    s.sendall(put[:16])
    s.shutdown(socket.SHUT_WR)
# What rsmd sends first (its CHALLENGE), then nothing: it closed.
while s.recv(4096):
    pass
EOF
}
node_json() { jstats "s[\"node\"][\"$1\"]"; }
refused0=$(status_of 1 refused)
errs0=$(jstats 's["node"]["errors"]')
check "no malformed frame yet" test "$(node_json malformed)" = 0
check "node 1's data port is known ($DPORT)" test -n "$DPORT"
check "a header of no tcp0 magic: the connection is closed" bad_frame magic
check "a PUT before HELLO: closed" bad_frame order
check "half a header, then the end: closed" bad_frame short
check "rsmadm -j stats counts exactly 3 malformed frames" \
    test "$(node_json malformed)" = 3
check "... under no error code (the errors are as before)" \
    test "$(jstats 's["node"]["errors"]')" = "$errs0"
check "rsmadm stats, text: 3 malformed data frames on the node line" eval \
    "adm 1 stats | head -1 | grep -q '^node 1: .*, 3 malformed data frames, refused: '"
check "rsmadm status counts the 3 in refused" \
    test "$(status_of 1 refused)" = $((refused0 + 3))
check "node 1 logged each: bad magic" log_has 1 \
    "data connection from .* refused: .* frame: bad magic"
check "... the PUT before HELLO" log_has 1 \
    "data connection from .* refused: PUT before HELLO"
check "... and the frame cut short" log_has 1 \
    "data connection from .* refused: connection closed inside a .* frame"

# ---- -j, -p ----
check "-j stats is one compact line" eval \
    "[ \"\$(adm 1 -j stats | wc -l)\" = 1 ] && adm 1 -j stats | grep -q '^{\"node_id\":1,'"
check "-j -p stats: the same keys, indented over many lines" python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), sys.argv[2]
assert b.count("\n") > 10 and b.startswith("{\n"), b[:40]
assert json.loads(b).keys() == a.keys()
' "$(adm 1 -j stats)" "$(adm 1 --json --pretty stats)"
check "-p without -j changes nothing" \
    test "$(adm 1 -p stats | head -1)" = "$(adm 1 stats | head -1)"
check "-j -p status is indented too" \
    test "$(adm 1 -j -p status | wc -l)" -gt 5

# ---- disconnect, revocation, unpublish ----
probe_quit imp
check "the monitor saw the disconnect" wait_until 3000 mon_has \
    'e["event"] == "disconnect" and e["segid"] == 0x500010 and e["node"] == 2'
check "the segment counts both disconnects" \
    test "$(ops 'seg(0x500010)["disconnects"]')" = 2
check "the import is gone from the stats" test "$(ops 'len(s["imports"])')" = 0
probe_start exp 1 export $XSEG 65536 2:0666
check "a process on node 1 exports a segment" test "$P_LAST" = ready
probe_start imp2 2 import 1 $XSEG rw
check_rc "node 2 imports it" 0 "$P_LAST"
probe_say imp2 "put 0 100 1" >/dev/null
check_rc "its exporter unpublishes it" 0 "$(probe_say exp unpublish)"
check "the monitor saw the revocation" wait_until 3000 mon_has \
    'e["event"] == "revoke" and e["segid"] == 0x500020 and e["node"] == 2 and e["code"] == "RSMERR_CONN_ABORTED"'
check "... and the unpublish" wait_until 3000 mon_has \
    'e["event"] == "unpublish" and e["segid"] == 0x500020'
check "the node counts one revocation" test "$(jstats 's["node"]["revocations"]')" = 1
check "the unpublished segment keeps its counters: 1 put, 1 revocation" \
    test "$(jstats '[(x["ops"]["put"], x["revocations"]) for x in s["segments"] if x["segid"] is None]')" = "[(1, 1)]"
probe_quit imp2
probe_quit exp
check "removing the daemon segment" adm 1 segment remove $SEG
check "the monitor saw its unpublish" wait_until 3000 mon_has \
    'e["event"] == "unpublish" and e["segid"] == 0x500010'

# ---- a monitor that does not read ----
# Stopped, it reads nothing: rsmd queues a few hundred events for it,
# then drops the rest, and keeps serving everyone else.  It is asked for
# -p too, which leaves monitor's lines one compact object each.
(mon 1 -j -p monitor >"$NET_DIR/slow.json" 2>"$NET_DIR/slow.err") &
SLOW_PID=$!
slow_ready() {
	adm 1 stats 0x7ffff1 >/dev/null 2>&1
	grep -q '"segid":8388593' "$NET_DIR/slow.json"
}
check "a second JSON monitor is subscribed" wait_until 5000 slow_ready
kill -STOP "$SLOW_PID"
is_stopped() { [ "$(awk '{ print $3 }' "/proc/$SLOW_PID/stat")" = T ]; }
check "... and stopped" wait_until 3000 is_stopped
before=$(grep -c '"segid":8388594' "$MON")
for k in $(seq 1 600); do adm 1 stats 0x7ffff2 >/dev/null 2>&1; done
check "rsmd still answers while a monitor does not read" \
    eval "adm 1 status >/dev/null"
all_600() { [ "$(grep -c '"segid":8388594' "$MON")" = $((before + 600)) ]; }
check "the reading monitor got all 600 events of the burst" \
    wait_until 10000 all_600
kill -CONT "$SLOW_PID"
slow_dropped() {
	adm 1 stats 0x7ffff3 >/dev/null 2>&1
	grep -q '"event":"dropped","count":[1-9]' "$NET_DIR/slow.json"
}
check "the stopped monitor, resumed, says it lost events" \
    wait_until 5000 slow_dropped
got=$(grep -c '"segid":8388594' "$NET_DIR/slow.json")
lost=$(sed -n 's/.*"event":"dropped","count":\([0-9]*\).*/\1/p' \
    "$NET_DIR/slow.json" | head -1)
check "what it got and what it lost are the 600 ($got + $lost)" \
    test "$((got + lost))" = 600
kill "$SLOW_PID"
wait "$SLOW_PID"
check "... and it still exits 0 on SIGTERM" test $? = 0
check "its -p output is one JSON object a line all the same" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) > 1 and all(json.loads(l)["event"] for l in lines)
' "$NET_DIR/slow.json"

# ---- node down, rsmd gone, SIGTERM ----
(mon 2 monitor >"$NET_DIR/mon2.txt" 2>"$NET_DIR/mon2.err") &
MON2_PID=$!
check "node 2's monitor is subscribed" wait_until 5000 eval \
    "adm 2 stats 0x7ffff3 >/dev/null 2>&1; grep -q 0x007ffff3 $NET_DIR/mon2.txt"
kill -9 "$(node_pid 2)"
wait "$(node_pid 2)" 2>/dev/null
rm -f "$(node_dir 2)/pid"
wait "$MON2_PID"
check "a monitor whose rsmd dies exits 2" test $? = 2
check "... saying so" grep -q "went away" "$NET_DIR/mon2.err"
check "node 1's monitor saw node 2 go down" wait_until 5000 mon_has \
    'e["event"] == "node-down" and e["node"] == 2'
node_start 2 || nok "node 2 starts again"
check "... and come up again" wait_until 5000 mon_has \
    'e["event"] == "node-up" and e["node"] == 2'
kill -TERM "$MON_PID"
wait "$MON_PID"
check "a monitor stopped by SIGTERM exits 0" test $? = 0
kill -INT "$MONT_PID"
wait "$MONT_PID"
check "a monitor stopped by SIGINT exits 0" test $? = 0
for f in mon.err mont.err slow.err; do
	[ -s "$NET_DIR/$f" ] && sed "s/^/# $f: /" "$NET_DIR/$f"
done
check "every JSON line parses, each with a time and an event" python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if evs and all("time" in e and "event" in e for e in evs) else 1)' "$MON"
check "text lines start with an ISO 8601 time" eval "test -s $MONT && \
    ! grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z  ' $MONT | \
    grep -q ."
check "the text monitor saw the publish and node down" eval \
    "grep -q 'publish  *node 1  *segid 0x00500010' $MONT && \
    grep -q 'node-down  *node 2 ' $MONT"
node_stop 1
node_stop 2

net_summary
