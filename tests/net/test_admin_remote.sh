#!/usr/bin/env bash
# test_admin_remote.sh - rsmadm -n NODE: three nodes of the default
# configuration; node 1's rsmadm asks node 2's and node 3's rsmd through
# node 1's rsmd and the peer links.  Checked: the answers are the asked
# node's (its node id, its rsmd's pid and instance, its segments and not
# node 1's, its peers), byte for byte what its own rsmadm prints, a list
# longer than one peer frame included; stats, whose request carries the
# segment id, as a user who owns nothing on the asked node sees them
# (its line and peers, no segment, a segment id refused), in text and
# JSON, its argument checked by both rsmds; a node that is not a peer, a node
# whose rsmd is stopped (the forwarded request pending) and one whose
# rsmd is dead each fail with the documented error and exit status
# within a bound; every command that changes something is refused with
# -n, and a forged ADMIN_REMOTE of such a request is refused by rsmd and
# changes nothing.  admin_probe, a peer of its own with the cluster key,
# shows both ends check for themselves: the asked rsmd refuses what no
# rsmd forwards, and the asking rsmd relays nothing of a hostile answer
# and ends a missing one at the call's deadline.  Last, with on-demand
# links: -n makes the link first, and a dead node fails at once.
set -u
. "$(dirname "$0")/lib.sh"

E_DAEMON=3	# rsmadm(8): rsmd refused the request
E_USAGE=1
SEG1=0x600001
SEG2=0x600002
MANY=80		# node 2's segments: several pages of the peer link

net_require
net_setup 3 || { echo "network setup failed"; exit 1; }
# Node 9 is a peer of nodes 1 and 2 that no rsmd plays: admin_probe does.
node_conf 1 "peer = 9 $(node_addr 9):$PEER_PORT"
node_conf 2 "peer = 9 $(node_addr 9):$PEER_PORT"
for i in 1 2 3; do
	node_start "$i" || nok "node $i starts"
done
for i in 1 2 3; do
	check "node $i sees every other node up" wait_until 5000 all_up "$i"
done
pid2=$(node_pid 2)

# expect_fail WANT_EXIT PATTERN COMMAND...: the command exits WANT_EXIT,
# saying PATTERN on stderr, and prints nothing on stdout.
expect_fail() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>"$NET_DIR/err"); rc=$?
	[ "$rc" = "$want" ] && [ -z "$out" ] && grep -q -- "$pat" "$NET_DIR/err"
}
# json_get EXPR: evaluate a Python expression over stdin's JSON (d).
json_get() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# ---- status: node 2's identity ----
out=$(adm 1 -n 2 status)
check "-n 2 status names node 2" grep -qx "node id: *2" <<<"$out"
check "-n 2 status shows node 2's rsmd pid ($pid2)" \
    grep -qx "daemon pid: *$pid2" <<<"$out"
inst1=$(adm 1 -j status | json_get 'd["instance"]')
inst2=$(adm 2 -j status | json_get 'd["instance"]')
got=$(adm 1 -n 2 -j status | json_get '(d["node_id"], d["daemon_pid"], d["instance"])')
check "-n 2 -j status: node 2, its pid and its instance ($got)" \
    test "$got" = "(2, $pid2, $inst2)" -a "$inst1" != "$inst2"
check "--node 2 is -n 2" eval "adm 1 --node 2 status | grep -qx 'node id: *2'"
check "-n 1 asks this node itself" eval "adm 1 -n 1 status | grep -qx 'node id: *1'"

# ---- segments: node 2's, not node 1's ----
check "a segment on node 1" adm 1 segment create $SEG1 4K
check "a segment on node 2" adm 2 segment create $SEG2 4K --mode 0640
out=$(adm 1 -n 2 segments)
check "-n 2 segments lists node 2's segment" grep -q "^0x00600002 .* 0640 " <<<"$out"
check "-n 2 segments does not list node 1's" eval '! grep -q "^0x00600001 " <<<"$out"'
check "-n 2 segments is what node 2's rsmadm prints" \
    test "$out" = "$(adm 2 segments)"
check "-n 2 segment list: node 2's own" \
    eval 'adm 1 -n 2 segment list | grep -q "^0x00600002 "'
check "-n 1 segments lists node 1's" eval 'adm 1 -n 1 segments | grep -q "^0x00600001 "'

# A list of many pages is one snapshot, as node 2's own.
made=0
for k in $(seq 1 "$MANY"); do
	adm 2 segment create $(printf '0x61%04x' "$k") 4K && made=$((made + 1))
done
check "$made of $MANY more segments on node 2" test "$made" -eq "$MANY"
local_json=$(adm 2 -j segments)
remote_json=$(adm 1 -n 2 -j segments)
check "-n 2 -j segments: $(json_get 'd["count"]' <<<"$remote_json") segments, \
as node 2's own -j segments" test "$remote_json" = "$local_json"
check "and they are $((MANY + 1))" \
    test "$(json_get 'd["count"]' <<<"$remote_json")" -eq $((MANY + 1))
check "node 2 kept no snapshot after the last page (nothing logged as expired)" \
    eval '! log_has 2 "is not kept"'

# ---- controllers, nodes ----
check "-n 3 controllers is what node 3's rsmadm prints" \
    test "$(adm 1 -n 3 controllers)" = "$(adm 3 controllers)"
json=$(adm 1 -n 3 -j nodes)
check "-n 3 -j nodes parses and lists node 3's peers 1 and 2, up" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["node_id"] == 3 and d["count"] == 2, d
assert sorted(e["node"] for e in d["nodes"]) == [1, 2], d
assert all(e["state"] == "up" for e in d["nodes"]), d
' "$json"
out=$(adm 1 -n 3 nodes)
check "-n 3 nodes, text: node 3's peers" eval \
    '[ "$(awk "NR > 1 { print \$1 }" <<<"$out" | tr "\n" " ")" = "1 2 " ]'

# ---- stats: node 2's counters, as seen by a user who owns nothing there ----
# Whoever runs rsmadm on node 1, node 2 answers as nobody of its own
# (rsmadm(8)): node 2's line and its peers, byte for byte in form what
# uid 65534's rsmadm on node 2 prints while 65534 owns nothing there,
# and none of node 2's segments, not even one 65534 comes to own.
# A peer's counters grow with every frame, the forwarding's own too, so
# the answer is compared with what uid 65534 saw just before and after.
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
SEG4=0x600004
nobody2() { $NOBODY "$RSMADM_BIN" -s "$(node_sock 2)" "$@"; }
# same_stats BEFORE REMOTE AFTER: three "-j stats" of node 2; REMOTE is
# node 2's as BEFORE and AFTER, every key and type, the node's counters
# equal, no segments or imports, the same peers, each counter between.
same_stats() {
	python3 - "$@" <<'EOF_PY'
import json, sys
b, r, a = (json.loads(x) for x in sys.argv[1:4])
def shape(o):
    if isinstance(o, dict):
        return {k: shape(v) for k, v in o.items()}
    if isinstance(o, list):
        return [shape(x) for x in o]
    return type(o).__name__
assert r["node_id"] == b["node_id"] == a["node_id"] == 2, r["node_id"]
assert r["node"] == b["node"] == a["node"], (b["node"], r["node"])
assert r["segments"] == r["imports"] == b["segments"] == b["imports"] == [], r
assert shape(r) == shape(b) == shape(a), (shape(r), shape(b))
peers = lambda s: {p["node"]: p for p in s["peers"]}
pb, pr, pa = peers(b), peers(r), peers(a)
assert sorted(pr) == sorted(pb) == sorted(pa) == [1, 3, 9], sorted(pr)
for n in (1, 3):
    assert pb[n]["state"] == pr[n]["state"] == pa[n]["state"] == "up", n
    for k in ("frames_tx", "frames_rx", "bytes_tx", "bytes_rx"):
        assert pb[n][k] <= pr[n][k] <= pa[n][k], \
            (n, k, pb[n][k], pr[n][k], pa[n][k])
    assert pr[n]["frames_rx"] > 0, n
EOF_PY
}
if ! command -v setpriv >/dev/null; then
	nok "setpriv is needed to compare with an unprivileged user's stats"
else
	before=$(nobody2 -j stats)
	remote=$(adm 1 -n 2 -j stats)
	after=$(nobody2 -j stats)
	check "-n 2 -j stats: node 2's line and peers, no segment, as uid 65534's own" \
	    same_stats "$before" "$remote" "$after"
	check "-n 2 -j stats is one line, as -j always is" \
	    test "$(wc -l <<<"$remote")" -eq 1
	check "-n 2 -j -p stats is the same object, indented" python3 -c '
import json, sys
a, b = sys.argv[1], sys.argv[2]
assert b.count("\n") > 10 and json.loads(a).keys() == json.loads(b).keys()
' "$remote" "$(adm 1 -n 2 -j -p stats)"
	check "node 2's root sees its $((MANY + 1)) segments all the same" \
	    test "$(adm 2 -j stats | json_get 'len(d["segments"])')" -eq $((MANY + 1))
	# Text: the same lines; the peers' counting columns may have grown.
	text_form() { awk '$1 ~ /^[0-9]+$/ { print $1, $2; next } { print }'; }
	before=$(nobody2 stats)
	remote=$(adm 1 -n 2 stats)
	check "-n 2 stats, text: node 2's line first" \
	    eval 'head -1 <<<"$remote" | grep -q "^node 2: .* malformed data frames, refused: "'
	check "-n 2 stats, text: what uid 65534's rsmadm on node 2 prints" \
	    test "$(text_form <<<"$remote")" = "$(text_form <<<"$before")"
	check "... with no segment row" eval '! grep -q "^segment " <<<"$remote"'

	check "a segment of uid 65534 on node 2" \
	    adm 2 segment create $SEG4 4K --owner 65534:65534
	check "uid 65534's rsmadm on node 2 shows it" eval \
	    "nobody2 stats $SEG4 | awk '\$1 == \"segment\" { print \$6 }' | grep -qx 65534"
	check "-n 2 stats lists no segment still (the asker is not uid 65534)" \
	    test "$(adm 1 -n 2 -j stats | json_get 'len(d["segments"])')" -eq 0
	errs2() { adm 2 -j stats | json_get "d['node']['errors'].get('$1', 0)"; }
	denied=$(errs2 RSMERR_PERM_DENIED)
	unknown=$(errs2 RSMERR_SEG_NOT_PUBLISHED)
	check "-n 2 stats SEGID of uid 65534's segment: refused, exit $E_DAEMON" \
	    expect_fail $E_DAEMON "STATS of node 2 refused: RSMERR_PERM_DENIED" \
	    adm 1 -n 2 stats $SEG4
	check "-n 2 -j stats SEGID of root's: refused, nothing printed" \
	    expect_fail $E_DAEMON "STATS of node 2 refused: RSMERR_PERM_DENIED" \
	    adm 1 -n 2 -j stats $SEG2
	check "... as uid 65534 on node 2 is refused root's" \
	    expect_fail $E_DAEMON "rsmd refused STATS: RSMERR_PERM_DENIED" \
	    nobody2 stats $SEG2
	check "-n 2 stats of an unknown segment: RSMERR_SEG_NOT_PUBLISHED" \
	    expect_fail $E_DAEMON "STATS of node 2 refused: RSMERR_SEG_NOT_PUBLISHED" \
	    adm 1 -n 2 stats 0x6fffff
	check "-n 2 -j stats of an unknown segment, the same" \
	    expect_fail $E_DAEMON "STATS of node 2 refused: RSMERR_SEG_NOT_PUBLISHED" \
	    adm 1 -n 2 -j stats 0x6fffff
	check "node 2 counted the three denied (two asked from node 1) as refusals" \
	    test "$(errs2 RSMERR_PERM_DENIED)" -eq $((denied + 3))
	check "... and the unknown one twice" \
	    test "$(errs2 RSMERR_SEG_NOT_PUBLISHED)" -eq $((unknown + 2))
	check "node 2 removes uid 65534's segment" adm 2 segment remove $SEG4
fi
check "-n 1 -j stats: node 1's own line, none of its segments" \
    test "$(adm 1 -n 1 -j stats | json_get '(d["node_id"], d["node"] is not None, len(d["segments"]))')" = "(1, True, 0)"
check "-n 2 stats zz: a usage error, nothing asked" expect_fail $E_USAGE \
    "is not a segment id" adm 1 -n 2 stats zz
check "-n 99 stats: not a peer" expect_fail $E_DAEMON \
    "node 99 is not a peer of this node" adm 1 -n 99 stats

# ---- errors ----
t0=$(now_ms)
check "-n 99: not a peer, exit $E_DAEMON" expect_fail $E_DAEMON \
    "node 99 is not a peer of this node" adm 1 -n 99 status
check "quickly ($(( $(now_ms) - t0 )) ms)" test $(( $(now_ms) - t0 )) -lt 2000
check "-n 2 ping 3 is refused, exit $E_USAGE" expect_fail $E_USAGE \
    "cannot be asked of another node" adm 1 -n 2 ping 3
check "-n 2 segment create is refused, exit $E_USAGE" expect_fail $E_USAGE \
    "cannot be asked of another node" adm 1 -n 2 segment create 0x600003 4K
check "-n 2 segment remove is refused" expect_fail $E_USAGE \
    "cannot be asked of another node" adm 1 -n 2 segment remove $SEG2
check "-n 2 segment write is refused" expect_fail $E_USAGE \
    "cannot be asked of another node" adm 1 -n 2 segment write $SEG2 0 </dev/null
check "-n x is a usage error" expect_fail $E_USAGE "is not a node id" \
    adm 1 -n x status

# A forged ADMIN_REMOTE of a request that changes something: refused by
# node 1's rsmd with RSMERR_PERM_DENIED (27), and node 2's segment stays.
forge() {	# forge NODE TYPE [ARG_HEX]: the reply's status, or "closed"
	python3 - "$(node_sock 1)" "$@" <<'EOF'
import socket, struct, sys
path, node, typ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
arg = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else b""
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
def call(t, i, payload):
    s.send(struct.pack("<HBBHHIIQ", 0x5253, 4, 0, t, 0, 24 + len(payload),
                       0, i) + payload)
    r = s.recv(4096)
    if not r:
        return "closed"
    mg, ver, fl, rt, res, ln, st, rid = struct.unpack("<HBBHHIIQ", r[:24])
    assert rt == t and rid == i and fl & 1, (rt, rid, fl)
    return st
call(1, 1, struct.pack("<II", 4, 0))                  # HELLO
print(call(29, 2, struct.pack("<II", node, typ) + arg))  # ADMIN_REMOTE
EOF
}
st=$(forge 2 23)
check "a forged ADMIN_REMOTE of DSEG_REMOVE is refused (status $st)" \
    test "$st" = 27
st=$(forge 2 21)
check "a forged ADMIN_REMOTE of PING is refused (status $st)" test "$st" = 27
st=$(forge 2 999)
check "a forged ADMIN_REMOTE of an unknown type is refused (status $st)" \
    test "$st" = 27
# The argument of STATS is checked by node 1's rsmd before anything is
# asked: missing, short, or of unknown flags, the packet is refused and
# its sender disconnected; a good one is answered (status 0).
st=$(forge 2 27 0000000000000000)
check "a forged ADMIN_REMOTE of STATS with its argument is answered ($st)" \
    test "$st" = 0
for arg in "" 00000000 8000000000000000 00000000ffff6f00 000000000000000000; do
	st=$(forge 2 27 $arg)
	check "a forged ADMIN_REMOTE of STATS with argument '$arg': disconnected ($st)" \
	    test "$st" = closed
done
st=$(forge 2 13 0000000000000000)
check "a forged ADMIN_REMOTE of STATUS with an argument: disconnected ($st)" \
    test "$st" = closed
check "node 1's rsmd logged them as malformed" log_has 1 \
    "\(type 29, ADMIN_REMOTE\): payload size wrong for type; disconnected"
check "... and the unknown flags" log_has 1 \
    "\(type 29, ADMIN_REMOTE\): field out of range; disconnected"
check "node 2's segment is still there" eval 'adm 2 segments | grep -q "^0x00600002 "'
check "node 1's rsmd logged the refusal" log_has 1 \
    "DSEG_REMOVE of node 2 refused: RSMERR_PERM_DENIED"

# The asked node's own checks, whatever the asker: admin_probe links to
# node 2 as its peer 9 with the cluster key and asks what no rsmd would
# forward.  STATUS is answered; a write (DSEG_REMOVE) and PING are
# refused RSMERR_PERM_DENIED (27), a type node 2 does not know
# RSMERR_UNSUPPORTED_OPERATION (127), a body one byte short
# RSMERR_BAD_ARGS_ERRORS (117), a page of a snapshot never taken
# RSMERR_TIMEOUT (42).
probe=$(on_node 1 "$NET_BIN/admin_probe" "$(node_addr 2)" "$PEER_PORT" \
    "$(node_dir 1)/key" 9 2 13 23 21 999 short 14/5/77 14)
check "admin_probe linked to node 2 as node 9 and was answered" test $? -eq 0
want="0 parts=1 total=1 node=2
27
27
127
117
42"
check "node 2 answers STATUS and refuses the rest itself ($(tr '\n' ' ' <<<"$probe"))" \
    test "$(head -6 <<<"$probe")" = "$want"
last=$(tail -1 <<<"$probe")
check "a first page of node 2's $((MANY + 2)) segments: part of them ($last)" \
    eval '[[ "$last" =~ ^0\ parts=([0-9]+)\ total=$((MANY + 2))$ ]] &&
        [ "${BASH_REMATCH[1]}" -lt $((MANY + 2)) ]'
check "node 2 logged the refused write" log_has 2 \
    "node 9: remote admin request DSEG_REMOVE \(type 23\) refused: RSMERR_PERM_DENIED"

# STATS with its argument, as no rsmd would forward it: node 2 checks it
# as a local STATS request's payload.  Missing, of the wrong size, with
# unknown flags or a segid without its flag, in the other byte order,
# given to STATUS or to a later page: RSMERR_BAD_ARGS_ERRORS (117).  A
# good one is answered as nobody there: the node, its 3 peers (1, 3 and
# the probe, 9), the end; a segment id as for rsmadm -n: 7 unknown, 27
# denied.
probe=$(on_node 1 "$NET_BIN/admin_probe" "$(node_addr 2)" "$PEER_PORT" \
    "$(node_dir 1)/key" 9 2 27 27:0000000000000000 27:01000000ffff6f00 \
    27:0100000002006000 27:000000000000 27:8000000000000000 \
    27:00000000ffff6f00 '27:0000000000000000!' 13:0000000000000000 \
    27/1/5:0000000000000000)
check "admin_probe asked node 2 STATS and was answered" test $? -eq 0
want="117
0 parts=5 total=5 kinds=14445
7
27
117
117
117
117
117
117"
check "node 2 answers STATS as nobody there and refuses bad arguments ($(tr '\n' ' ' <<<"$probe"))" \
    test "$probe" = "$want"
# Each refusal is logged, the log letting 10 a second through: the call
# is made again until its line is there.
probe_logged() {	# probe_logged CALL PATTERN
	on_node 1 "$NET_BIN/admin_probe" "$(node_addr 2)" "$PEER_PORT" \
	    "$(node_dir 1)/key" 9 2 "$1" >/dev/null
	log_has 2 "node 9: remote admin request $2"
}
check "node 2 logged STATS without its argument" wait_until 5000 probe_logged \
    27 "STATS refused: RSMERR_BAD_ARGS_ERRORS: its argument is missing or not of its size"
check "node 2 logged STATS with unknown flags" wait_until 5000 probe_logged \
    27:8000000000000000 "STATS refused: RSMERR_BAD_ARGS_ERRORS: field out of range"
check "node 2 logged STATS in the other byte order" wait_until 5000 probe_logged \
    '27:0000000000000000!' "STATS refused: RSMERR_BAD_ARGS_ERRORS: its argument's byte order is not this node's"
check "node 2 logged STATUS with an argument" wait_until 5000 probe_logged \
    13:0000000000000000 "STATUS refused: RSMERR_BAD_ARGS_ERRORS: it takes no argument"
check "node 2 logged an argument on a later page as malformed" \
    wait_until 5000 probe_logged 27/1/5:0000000000000000 \
    "refused: RSMERR_BAD_ARGS_ERRORS: malformed \\(32 bytes\\)"
check "node 2's segments are all still there" \
    test "$(adm 2 -j segments | json_get 'd["count"]')" -eq $((MANY + 1))

# A hostile asked node: admin_probe, linked to node 1 as its peer 9,
# answers node 1's calls for rsmadm -n 9 with what no rsmd sends.  Node
# 1's rsmd relays none of it: rsmadm gets RSMERR_BAD_ARGS_ERRORS and
# prints nothing; an answer that never comes ends at the call's deadline.
on_node 1 "$NET_BIN/admin_probe" "$(node_addr 1)" "$PEER_PORT" \
    "$(node_dir 1)/key" 9 1 serve garbage type addr snap order first slow mute \
    >"$NET_DIR/serve.out" 2>&1 &
serve_pid=$!
check "admin_probe is node 1's peer 9" wait_until 5000 is_state 1 9 up
for how in garbage type addr snap order first; do
	check "-n 9 answered with '$how': refused, exit $E_DAEMON, nothing printed" \
	    expect_fail $E_DAEMON "NODES of node 9 refused: RSMERR_BAD_ARGS_ERRORS" \
	    adm 1 -n 9 nodes
done
for why in "malformed" "it answers another request type" \
    "a reply in it breaks its type's rules" "it belongs to another answer" \
    "its byte order is not this node's" "it is not the page asked for"; do
	check "node 1 logged the refusal: $why" log_has 1 \
	    "node 9: answer to remote NODES refused: RSMERR_BAD_ARGS_ERRORS: $why"
done
t0=$(now_ms)
check "-n 9 answered page by page, slowly: RSMERR_TIMEOUT, exit $E_DAEMON" \
    expect_fail $E_DAEMON "NODES of node 9 refused: RSMERR_TIMEOUT" \
    adm 1 -n 9 nodes
dt=$(( $(now_ms) - t0 ))
check "refused at 4 s, before rsmadm's 5 s ($dt ms)" \
    test "$dt" -ge 4000 -a "$dt" -lt 5000
t0=$(now_ms)
check "-n 9 never answered: unreachable, exit $E_DAEMON" \
    expect_fail $E_DAEMON "node 9 cannot be reached" adm 1 -n 9 nodes
dt=$(( $(now_ms) - t0 ))
check "at the call's deadline, 2 x dead_after_ms ($dt ms)" \
    test "$dt" -ge $(( 2 * DEAD_AFTER_MS - 200 )) -a \
    "$dt" -lt $(( 2 * DEAD_AFTER_MS + 1000 ))
wait "$serve_pid"
check "the link to admin_probe stayed up throughout ($(tr '\n' ' ' <"$NET_DIR/serve.out"))" \
    test $? -eq 0
check "node 1's rsmd still answers" eval "adm 1 status | grep -qx 'node id: *1'"

# Node 2's rsmd stopped: the forwarded request is pending until node 1
# declares node 2 dead, then answered unreachable, before rsmadm's own
# 5 s limit.
kill -STOP "$pid2"
t0=$(now_ms)
check "-n 2 with node 2's rsmd stopped: unreachable, exit $E_DAEMON" \
    expect_fail $E_DAEMON "node 2 cannot be reached" adm 1 -n 2 status
dt=$(( $(now_ms) - t0 ))
check "answered within 2 x dead_after_ms + 1 s ($dt ms)" \
    test "$dt" -lt $(( 2 * DEAD_AFTER_MS + 1000 ))
kill -CONT "$pid2"
check "node 2 comes back up for node 1" wait_until 5000 is_state 1 2 up
check "and answers -n 2 again" eval "adm 1 -n 2 status | grep -qx 'node id: *2'"

node_kill9 2
t0=$(now_ms)
check "-n 2 with node 2's rsmd dead: unreachable, exit $E_DAEMON" \
    expect_fail $E_DAEMON "node 2 cannot be reached" adm 1 -n 2 segments
dt=$(( $(now_ms) - t0 ))
check "answered within dead_after_ms + 1 s ($dt ms)" \
    test "$dt" -lt $(( DEAD_AFTER_MS + 1000 ))
check "node 3 still answers -n 3" eval "adm 1 -n 3 status | grep -qx 'node id: *3'"

# ---- on-demand links: -n dials first ----
# Both stopped first, so that neither dials the other as before.
for i in 1 3; do
	node_stop "$i"
done
for i in 1 3; do
	node_conf "$i" "peer_links = on-demand"
	node_start "$i" || nok "node $i starts with on-demand links"
done
check "node 1 has no link to node 3 before it asks" is_state 1 3 idle
out=$(adm 1 -n 3 status)
check "-n 3 makes the link and answers as node 3" grep -qx "node id: *3" <<<"$out"
check "the link to node 3 is up after" is_state 1 3 up
t0=$(now_ms)
check "-n 2, on demand with node 2's rsmd dead: unreachable, exit $E_DAEMON" \
    expect_fail $E_DAEMON "node 2 cannot be reached" adm 1 -n 2 nodes
dt=$(( $(now_ms) - t0 ))
check "answered within dead_after_ms + 1 s ($dt ms)" \
    test "$dt" -lt $(( DEAD_AFTER_MS + 1000 ))

for i in 1 3; do
	node_stop "$i"
done

net_summary
