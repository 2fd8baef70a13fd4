#!/usr/bin/env bash
# test_ucx.sh - two nodes, controller ucx0 with UCX_TLS=tcp: a process on
# node 2 imports segments a process on node 1 exports, and moves data
# with UCX one-sided puts and gets served by node 1's rsmd.
#
# ucx0 in the controller listing and the topology; put/get/putv/getv and
# explicit barriers with checksums from 1 byte to 16 MiB; a get past the
# end; signals both ways; a remote map (loads, stores, barriers); a read-only import that cannot write; the
# access list decided on node 1; the handshake (ucx_hello, a raw UCP
# client with a live capability of its own): the token is not in a
# capture of node 1's link during a good connect while its public id is,
# and is there once version 1's raw-token HELLO is sent (so the check can
# fail); that HELLO, a proof made for another nonce, an unknown id, a
# second HELLO and a short one are refused, each with its log line, while
# the right proof gets READY; a busy exporter (it spins without any
# rsm call for 1 s while the importer completes 1,000 gets); unpublish
# and destroy reaching the importer as RSMERR_CONN_ABORTED; exporter
# kill -9 and rsmd kill -9 on node 1 (times printed); and a daemon whose
# UCX is missing (RSM_UCX_DISABLE) answering ucx0 RSMERR_CTLR_NOT_PRESENT
# with a log line, its tcp0 still working.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_NOT_TO_NODE=8
E_PERM=27
E_ABORTED=40
E_NOT_PRESENT=4
EXPORTER_DEATH_LIMIT_MS=2000
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 2000 ))
MIB=1048576
SEG=0x700001

export UCX_TLS=tcp RSM_PROBE_CTLR=ucx0
net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
cap_pid=
trap 'rc=$?; [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null; net_teardown; exit $rc' EXIT
for i in 1 2; do
	node_conf "$i" "data_listen = 0.0.0.0:0
ucx = 1"
	node_start "$i" || nok "node $i starts"
done
check "nodes see each other up" wait_until 5000 all_up 1
wait_until 5000 all_up 2
check "node 1 logs its UCP listener and what UCX selected" \
    wait_until 2000 log_has 1 'controller ucx0: UCP listener on port [0-9]+ \(.*tcp/'
check "rsmadm controllers lists ucx0" eval "adm 1 controllers | grep -q ucx0"

# ---- connect, data ----
probe_start exp 1 export $SEG $((16 * MIB)) 2:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
check "the topology lists ucx0" eval \
    "probe_say exp topo | grep -q 'ucx0'"
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 connects through ucx0" 0 "$P_LAST"
probe_checksums $((16 * MIB)) 1 7 4096 4097 65536 $((MIB - 1)) $MIB \
    $((3 * MIB + 5)) $((16 * MIB))
check "put/get/putv/getv/barrier checksums from 1 B to 16 MiB" test "$bad" = 0
a=$(probe_say imp "get $((16 * MIB - 4)) 8")
check "a get past the end is refused" test "$(rc_of "$a")" != 0

# ---- the handshake: the token stays off the wire, forgeries refused ----
HELLO=$NET_BIN/ucx_hello
# capture_start FILE: node 1's link recorded into FILE, once tcpdump is
# listening, each packet written as it comes (--immediate-mode -U: the
# file is what the checks poll); capture_stop: tcpdump gone.  ip netns
# exec becomes tcpdump, so $! is tcpdump itself; TERM, because a
# background job of a script ignores INT.
capture_start() {
	ip netns exec "$(node_ns 1)" tcpdump -i eth0 --immediate-mode -U \
	    -s 0 -w "$1" tcp 2>"$1.err" &
	cap_pid=$!
	wait_until 5000 grep -q "listening on" "$1.err"
}
capture_stop() {
	kill -TERM "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
}
# in_capture FILE HEX [N]: the capture's TCP streams, put back together,
# hold those bytes (N times).
in_capture() { python3 "$(dirname "$0")/pcap_has.py" "$1" "$2" "${3:-1}"; }
# cap_id HEX: a token's public id (rsm_data_cap_id()), in hex.
cap_id() {
	python3 -c '
import hashlib, sys
print(hashlib.blake2b(b"rsm-data-capid-v1", digest_size=16,
                      key=bytes.fromhex(sys.argv[1])).hexdigest())' "$1"
}
hello() {
	on_node 2 env RSM_DAEMON_SOCKET="$(node_sock 2)" "$HELLO" 1 $SEG "$@" \
	    2>>"$NET_DIR/ucx_hello.err"
}
refused_for() { log_has 1 "ucx0: endpoint from $(node_addr 2):[0-9]+ refused: $1"; }
if command -v tcpdump >/dev/null; then
	capture_start "$NET_DIR/good.pcap" || nok "tcpdump listens on node 1"
	out=$(hello right)
	tok=$(sed -n 's/^token=//p' <<<"$out")
	echo "# a good connect and a raw client's: $(tail -n 1 <<<"$out")"
	check "the raw client's right proof gets READY" \
	    test "$(tail -n 1 <<<"$out")" = "right=ready"
	# The id is in both HELLOs and both PROOFs: all four recorded
	# means all the importers sent up to their last PROOF is there.
	check "the capture of those connects holds the public id 4 times" \
	    wait_until 3000 in_capture "$NET_DIR/good.pcap" "$(cap_id "$tok")" 4
	capture_stop
	check "but not the token" eval '! in_capture "$NET_DIR/good.pcap" "$tok"'
	capture_start "$NET_DIR/old.pcap" || nok "tcpdump listens on node 1"
	out=$(hello old replay unknown twice short right)
	tok=$(sed -n 's/^token=//p' <<<"$out")
	check "version 1's HELLO puts the token on the wire (the check can fail)" \
	    wait_until 3000 in_capture "$NET_DIR/old.pcap" "$tok"
	capture_stop
else
	nok "tcpdump, for the wire checks (scripts/install-deps.sh installs it)"
	out=$(hello old replay unknown twice short right)
fi
res=$(tail -n 1 <<<"$out")
echo "# raw client: $res"
check "version 1's raw-token HELLO is refused" eval '[[ $res == *old=refused* ]]'
check "with a log line naming the version" wait_until 2000 refused_for \
    'HELLO of wire version 1 \(the raw token\); this daemon speaks version 2'
check "a proof made for another nonce is refused" \
    eval '[[ $res == *replay=refused* ]]'
check "and logged: proof does not verify" wait_until 2000 refused_for \
    'proof does not verify'
check "an unknown id is refused" eval '[[ $res == *unknown=refused* ]]'
check "and logged" wait_until 2000 refused_for 'HELLO names no live capability'
check "a second HELLO is refused" eval '[[ $res == *twice=refused* ]]'
check "and logged" wait_until 2000 refused_for 'a second HELLO'
check "a HELLO of the wrong size is refused" eval '[[ $res == *short=refused* ]]'
check "and logged" wait_until 2000 refused_for 'HELLO of 24 header and 0 data bytes'
check "after them the right proof still gets READY" \
    eval '[[ $res == *right=ready ]]'

# ---- signals ----
check_rc "importer posts" 0 "$(probe_say imp post)"
check_rc "exporter is woken" 0 "$(probe_say exp "wait 3000")"
check_rc "exporter posts" 0 "$(probe_say exp post)"
check_rc "importer is woken" 0 "$(probe_say imp "wait 3000")"
a=$(probe_say imp "put 0 4096 9")
check_rc "importer puts then posts" 0 "$(probe_say imp post)"
check_rc "exporter woken by it" 0 "$(probe_say exp "wait 3000")"
b=$(probe_say exp "sum 0 4096")
check "the put before the signal is in the exporter's memory" \
    test "$(sum_of "$a")" = "$(sum_of "$b")"

# ---- remote map over ucx0: loads and stores through the mapping ----
probe_start rm 2 import 1 $SEG rw
check_rc "an import for a remote map" 0 "$P_LAST"
check_rc "maps 4 MiB of it" 0 "$(probe_say rm "map 0 $((4 * MIB)) rw")"
check "loads see what the exporter holds" test \
    "$(sum_of "$(probe_say rm "mload 0 $((4 * MIB))")")" = \
    "$(sum_of "$(probe_say exp "sum 0 $((4 * MIB))")")"
probe_say rm "mstore 123457 70000 44" >/dev/null
check_rc "close_barrier" 0 "$(probe_say rm bclose)"
check "the exporter holds the stores" test \
    "$(sum_of "$(probe_say exp "sum 123457 70000")")" = \
    "$(sum_of "$(probe_say rm "mload 123457 70000")")"
probe_say exp "fill $MIB 4096 45" >/dev/null
check_rc "open_barrier" 0 "$(probe_say rm bopen)"
check "then loads see what the exporter wrote since" test \
    "$(sum_of "$(probe_say rm "mload $MIB 4096")")" = \
    "$(sum_of "$(probe_say exp "sum $MIB 4096")")"
check_rc "unmap" 0 "$(probe_say rm unmap)"
probe_quit rm

# ---- a busy exporter ----
probe_send exp "spin 1000"
a=$(probe_say imp "gets 1000")
b=$(probe_read exp)
echo "# 1000 gets while the exporter spins: $a (exporter: $b)"
check_rc "1,000 gets while the exporter spins without rsm calls" 0 "$a"
check "they finished within the spin" test "$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<<"$a")" -lt 1000

# ---- permissions ----
probe_start ro 2 import 1 $SEG r
check_rc "a read-only import" 0 "$P_LAST"
check_rc "it reads" 0 "$(probe_say ro "get 0 8")"
check_rc "it cannot write" $E_PERM "$(probe_say ro "put 0 8 1")"
probe_quit ro
probe_start exp3 1 export 0x700002 65536 3:0666
probe_start x 2 import 1 0x700002 r
check_rc "node not in the access list refused" $E_NOT_TO_NODE "$P_LAST"
probe_close x

# ---- unpublish and destroy ----
probe_start x 2 import 1 $SEG rw
check_rc "second import" 0 "$P_LAST"
probe_start exp4 1 export 0x700003 65536 2:0666
probe_start y 2 import 1 0x700003 rw
check_rc "import for unpublish" 0 "$P_LAST"
check_rc "it works" 0 "$(probe_say y "get 0 8")"
check_rc "unpublish" 0 "$(probe_say exp4 unpublish)"
check_rc "importer gets CONN_ABORTED after unpublish" $E_ABORTED \
    "$(probe_say y "get 0 8")"
check_rc "and at its barrier" $E_ABORTED "$(probe_say y "bput 0 8 1")"
check_rc "disconnect after revocation succeeds" 0 "$(probe_say y disconnect)"
probe_quit y
check_rc "the other segment's import still works" 0 "$(probe_say x "get 0 8")"
probe_quit x
probe_start y 2 import 1 0x700002 r
probe_close y
check_rc "republish to node 2" 0 "$(probe_say exp3 "republish 2:0666")"
probe_start y 2 import 1 0x700002 rw
check_rc "import for destroy" 0 "$P_LAST"
check_rc "destroy" 0 "$(probe_say exp3 destroy)"
check_rc "importer gets CONN_ABORTED after destroy" $E_ABORTED \
    "$(probe_say y "get 0 8")"
probe_quit y
probe_quit exp3
probe_quit exp4

# ---- exporter kill -9 ----
probe_send imp "until 10000 started"
check "the importer streams gets" test "$(probe_read imp)" = started
t0=$(now_ms)
probe_kill9 exp
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# exporter kill -9 on node 1 reached the importer after $dt ms"
check_rc "importer sees the exporter's death" $E_ABORTED "$a"
check "within $EXPORTER_DEATH_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$EXPORTER_DEATH_LIMIT_MS"
probe_quit imp

# ---- rsmd kill -9 on node 1 ----
probe_start exp 1 export $SEG $MIB 2:0666
probe_start imp 2 import 1 $SEG rw
check_rc "import again" 0 "$P_LAST"
probe_send imp "until 15000 started"
check "the importer streams gets" test "$(probe_read imp)" = started
t0=$(now_ms)
node_kill9 1
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# rsmd kill -9 on node 1 reached the importer after $dt ms"
check_rc "importer sees rsmd 1 die" $E_ABORTED "$a"
check "within $NODE_DEATH_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$NODE_DEATH_LIMIT_MS"
probe_quit imp
probe_kill9 exp

# ---- without UCX ----
RSM_UCX_DISABLE=1 node_start 1 || nok "node 1 restarts without UCX"
check "node 1 rejoins" wait_until 8000 all_up 2
check "its log says why ucx0 is missing" wait_until 2000 log_has 1 \
    'controller ucx0 is not available on this node: disabled by RSM_UCX_DISABLE'
probe_start exp 1 export $SEG $MIB 2:0666
check_rc "ucx0 is not present there" $E_NOT_PRESENT "rc=$(sed -n 's/.*rc=\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$P_LAST")"
probe_close exp
RSM_PROBE_CTLR=tcp0 probe_start exp 1 export $SEG $MIB 2:0666
check "tcp0 still exports there" test "$P_LAST" = ready
RSM_PROBE_CTLR=tcp0 probe_start imp 2 import 1 $SEG rw
check_rc "and is imported" 0 "$P_LAST"
probe_quit imp
probe_quit exp

net_summary
