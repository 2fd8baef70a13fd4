#!/usr/bin/env bash
# test_roce2.sh - the verbs data path (controller verbs0) between two real
# RoCE nodes: two guests (run-two-guests.sh) joined by a virtio link, each
# with its own rxe device on its eth0 and its own rsmd, node 1 in guest a,
# node 2 in guest b, peers of each other over that link.
#
# A process on node 2 imports a segment exported on node 1 through verbs0:
# put/get/putv/getv with checksums for 1 B to 4 MiB (the eth0 and rxe
# counters show the bytes crossed the link), a signal each way, a read-only
# import that cannot put; then failures reaching the importer as
# RSMERR_CONN_ABORTED within dead_after_ms and some slack (times printed):
# node 1's rsmd killed (-9), and once it is back, guest b's eth0 going down.
# Between the two, both nodes again on rsmd.conf(5)'s example as a user
# copies it (tests/net/lib.sh's manual_conf: the EXAMPLES section of the
# page, its addresses substituted, no key added, so no data_listen and no
# verbs_listen): each serves its rxe0 by default, and put/get/putv/getv
# through verbs0 keep their checksums and signals go both ways (the tcp0
# half of that is tests/net/test_manual.sh); the failures run on it too.
#
# Guest b runs the test and prints the results.  Guest a sets up node 1,
# then runs what guest b asks for (the exporter's probe, its rsmd) and
# prints only its own trouble.  They talk through the common 9p share of
# run-two-guests.sh, not over the link: the test takes the link down.
#
# Outside the guests this script re-runs itself through run-two-guests.sh.
set -u
# The test's own configuration: with one emulated CPU a guest moving RDMA
# traffic in software (rxe) can go over a second without sending a
# heartbeat (seen: "nothing received for 1451 ms" in the middle of the
# transfers); twice the default, as in test_netem.sh.  The example's
# configuration keeps its own dead_after_ms.
DEAD_AFTER_MS=${DEAD_AFTER_MS:-2000}
export DEAD_AFTER_MS
if [ -z "${RSM_IN_GUEST:-}" ]; then
	exec "$(dirname "$0")/run-two-guests.sh" \
	    --timeout "${RSM_VM_TIMEOUT:-360}" "$0" "$@"
fi
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/../net/remote_lib.sh"

E_PERM=27
E_ABORTED=40
MIB=1048576
# In the segid range of rsmd.conf(5)'s example too.
SEG=0x400201
SEGSIZE=$((8 * MIB))
SUBNET=10.9.1
ADDR1=$SUBNET.1
ADDR2=$SUBNET.2
# Generous under emulation, and t0 is taken before guest a gets the word.
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 5000 ))
export RSM_PROBE_CTLR=verbs0

ROLE=${RSM_GUEST_ROLE:-}
S=${RSM_VM_SHARE:-}
case $ROLE in
a) ME=1 ;;
b) ME=2 ;;
*) echo "SKIP: run through run-two-guests.sh (no RSM_GUEST_ROLE)"; exit 77 ;;
esac
[ -n "$S" ] && [ -d "$S" ] && [ -w "$S" ] ||
    { echo "no common share at '$S'" >&2; exit 1; }
# Every wait is bounded by this, whatever the other guest does.
END_MS=$(( $(now_ms) + (${RSM_VM_LIMIT:-300} - 20) * 1000 ))

# ---- one node per guest: lib.sh's helpers without namespaces ----
node_addr() { if [ "$1" = 1 ]; then echo "$ADDR1"; else echo "$ADDR2"; fi; }
on_node() { shift; "$@"; }
net_teardown() {
	local name pid
	for name in "${!P_PID[@]}"; do
		kill -9 "${P_PID[$name]}" 2>/dev/null
		{ wait "${P_PID[$name]}"; } 2>/dev/null
	done
	pid=$(cat "$(node_dir "$ME")/pid" 2>/dev/null) &&
	    { kill -9 "$pid" 2>/dev/null; { wait "$pid"; } 2>/dev/null; }
	timeout 20 rdma link delete rxe0 2>/dev/null
	[ -n "$NET_DIR" ] && rm -rf "$NET_DIR"
}
node_conf() {
	local i=$1 j=$((3 - $1))
	{
		echo "node_id = $i"
		echo "socket = $(node_sock "$i")"
		echo "log_level = debug"
		echo "listen = $(node_addr "$i"):$PEER_PORT"
		echo "data_listen = $(node_addr "$i"):0"
		# No verbs_listen: rsmd serves every RDMA device with an address.
		echo "cluster_key_file = $(node_dir "$i")/key"
		echo "heartbeat_ms = $HEARTBEAT_MS"
		echo "dead_after_ms = $DEAD_AFTER_MS"
		echo "peer = $j $(node_addr "$j"):$PEER_PORT"
	} >"$(node_dir "$i")/rsmd.conf"
}
# rsmd_run I: node I's rsmd on the config in its directory.
rsmd_run() {
	local i=$1
	"$RSMD_BIN" -f -c "$(node_dir "$i")/rsmd.conf" >>"$(node_log "$i")" 2>&1 &
	echo $! >"$(node_dir "$i")/pid"
	wait_until 5000 adm "$i" status >/dev/null
}
node_start() { node_conf "$1"; rsmd_run "$1"; }
# node_start_manual I: node I's rsmd on rsmd.conf(5)'s example.
node_start_manual() {
	manual_conf "$1" "$SUBNET" >"$(node_dir "$1")/rsmd.conf" && rsmd_run "$1"
}
# One namespace for all nodes: the probe runs here, given more time to
# start under emulation.
probe_exec() { shift; exec "$@"; }
P_START_WAIT=60
rxe_active() { timeout 10 rdma link show rxe0/1 2>/dev/null | grep -q 'state ACTIVE'; }
# Counters read with builtins (a fork costs tens of ms under emulation).
counter() { local v; read -r v <"$1" 2>/dev/null && echo "$v"; }
NETSTAT=/sys/class/net/eth0/statistics
HWC=/sys/class/infiniband/rxe0/ports/1/hw_counters

# ---- the common share: numbered commands from b, answers from a ----
# A file is written first, then an empty "NAME.ok" beside it: the reader
# looks for the .ok, so it never sees half a file (the share is not
# cached: each open and stat goes to the host).  No sleep(1): a read
# with a timeout on a private FIFO waits without a fork.
mkfifo "/tmp/roce2-nap.$$" && exec {NAP}<>"/tmp/roce2-nap.$$" &&
    rm -f "/tmp/roce2-nap.$$" || exit 1
nap() { read -r -t "$1" -u "$NAP" _; }
put_file() { printf '%s\n' "$2" >"$S/$1" && : >"$S/$1.ok"; }
# wait_file NAME MS: 0 once NAME.ok exists, 1 after MS or past END_MS.
wait_file() {
	local limit=$(( $(now_ms) + $2 ))
	[ "$limit" -gt "$END_MS" ] && limit=$END_MS
	until [ -e "$S/$1.ok" ]; do
		[ "$(now_ms)" -ge "$limit" ] && return 1
		nap 0.02
	done
	return 0
}
read_file() { local v; IFS= read -r -d '' v <"$S/$1"; printf '%s' "${v%$'\n'}"; }

# on_a COMMAND: run the shell text COMMAND in guest a, its stdout (last
# newline dropped) in A_OUT; 1 when no answer came within 120 s.  Not in a
# command substitution: A_SEQ must advance in this shell.
A_SEQ=1
A_OUT=
on_a() {
	local n=$A_SEQ
	A_SEQ=$((A_SEQ + 1))
	A_OUT=
	put_file "cmd.$n" "$1" || return 1
	wait_file "ans.$n" 120000 || { echo "# guest a did not answer: $1"; return 1; }
	A_OUT=$(read_file "ans.$n")
}
# exp_say COMMAND: the exporter probe's answer line, in A_OUT.
exp_say() { on_a "probe_say exp $(printf %q "$1")"; }

# transfers LEN...: put/get/putv/getv of LEN bytes at offset 4093 between
# the importer imp here and the exporter exp in guest a, each checked
# against the exporter's checksum of the range: mismatches in $bad, the
# bytes sent out and brought in (without the checks) in $out and $in.
transfers() {
	local len a b seed=1 off=4093
	bad=0
	out=0
	in=0
	for len in "$@"; do
		seed=$((seed + 1))
		a=$(probe_say imp "put $off $len $seed")
		exp_say "sum $off $len"; b=$A_OUT
		same_sum "put $len" "$a" "$b"
		seed=$((seed + 1))
		exp_say "fill $off $len $seed"
		exp_say "sum $off $len"; b=$A_OUT
		a=$(probe_say imp "get $off $len")
		same_sum "get $len" "$a" "$b"
		seed=$((seed + 1))
		a=$(probe_say imp "putv $off $len $seed 7")
		exp_say "sum $off $len"; b=$A_OUT
		same_sum "putv $len" "$a" "$b"
		seed=$((seed + 1))
		exp_say "fill $off $len $seed"
		exp_say "sum $off $len"; b=$A_OUT
		a=$(probe_say imp "getv $off $len 5")
		same_sum "getv $len" "$a" "$b"
		out=$((out + 2 * len))
		in=$((in + 2 * len))
	done
}

# Guest a: serve commands until b is done or gone.  eval, in this shell:
# probe_start keeps its FIFOs' descriptors here for the next command.
serve() {
	local n=1 cmd
	while [ "$(now_ms)" -lt "$END_MS" ]; do
		if [ -e "$S/cmd.$n.ok" ]; then
			IFS= read -r -d '' cmd <"$S/cmd.$n"
			eval "$cmd" >"$S/ans.$n" </dev/null
			: >"$S/ans.$n.ok"
			n=$((n + 1))
			continue
		fi
		[ -e "$S/b.done.ok" ] || [ -e "$S/stop" ] && return 0
		nap 0.02
	done
	echo "guest a: no word from guest b within the time limit" >&2
	return 1
}

# ---- both guests: the link, rxe0 and this guest's rsmd ----
NET_N=2
NET_DIR=$(mktemp -d /tmp/rsm2.XXXXXX)
chmod 755 "$NET_DIR"
trap 'rc=$?; net_teardown; exit $rc' EXIT
trap 'exit 1' INT TERM
mkdir -p "$(node_dir "$ME")"

# setup: "ok" or what went wrong in SETUP.  Not in a subshell: rsmd must
# be this shell's child (node_kill9 waits for it).
setup() {
	SETUP="eth0 does not come up"
	timeout 10 ip addr add "$(node_addr "$ME")/24" dev eth0 &&
	    timeout 10 ip link set eth0 up || return 1
	SETUP="rdma link add rxe0 on eth0 failed"
	timeout 30 rdma link add rxe0 type rxe netdev eth0 || return 1
	SETUP="rxe0 is not ACTIVE"
	wait_until 20000 rxe_active || return 1
	if [ "$ROLE" = a ]; then
		head -c 64 /dev/urandom >"$S/cluster.key" && : >"$S/cluster.key.ok"
	else
		SETUP="no cluster key from guest a"
		wait_file cluster.key 150000 || return 1
	fi
	SETUP="rsmd of node $ME does not start"
	install -m 600 "$S/cluster.key" "$(node_dir "$ME")/key" &&
	    node_start "$ME" || return 1
	SETUP=ok
}
net_dump_logs() { echo "---- node $ME log"; tail -40 "$(node_log "$ME")"; }

if [ "$ROLE" = a ]; then
	setup
	put_file a.ready "$SETUP"
	[ "$SETUP" = ok ] || { echo "guest a: $SETUP" >&2; exit 1; }
	serve
	rc=$?
	if [ -e "$S/b.failed" ]; then
		net_dump_logs
		for f in "$NET_DIR"/*.err; do
			[ -s "$f" ] && { echo "---- ${f##*/}"; tail -5 "$f"; }
		done
	fi
	exit "$rc"
fi

# ---- guest b: the test ----
finish() {
	[ "$NET_FAIL" -gt 0 ] && { : >"$S/b.failed"; net_dump_logs; }
	put_file b.done "$NET_FAIL"
}
trap 'rc=$?; finish; net_teardown; exit $rc' EXIT

t_start=$(now_ms)
setup
check "node 2: eth0 $ADDR2, rxe0 ACTIVE on it, rsmd started ($SETUP)" \
    test "$SETUP" = ok
wait_file a.ready 150000
a=$(read_file a.ready 2>/dev/null)
check "node 1 in guest a is set up (${a:-no word})" test "$a" = ok
[ "$SETUP" = ok ] && [ "$a" = ok ] || { echo "# $NET_PASS passed, $NET_FAIL failed"; exit 1; }
check "guest a answers ping over eth0" timeout 30 busybox ping -c 2 -W 10 \
    -q "$ADDR1" >/dev/null
check "node 2 sees node 1 up" wait_until 20000 is_state 2 1 up
on_a 'wait_until 20000 is_state 1 2 up && echo up'
check "node 1 sees node 2 up" test "$A_OUT" = up
on_a 'grep -c "rdma_cm listener $(node_addr 1) port .*(verbs0, rxe0)" "$(node_log 1)"'
check "node 1 serves rxe0 on its address (no verbs_listen)" test "${A_OUT:-0}" -gt 0
check "the controller listing shows verbs0" \
    eval "adm 2 controllers | grep -qw verbs0"

# ---- data between the two rxe devices ----
on_a "probe_start exp 1 export $SEG $SEGSIZE 2:0666; echo \"\$P_LAST\""
check "exporter on node 1 ready (verbs0)" test "$A_OUT" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 imports through verbs0" 0 "$P_LAST"
on_a "counter $NETSTAT/rx_bytes; counter $NETSTAT/tx_bytes"
a_rx0=${A_OUT%%$'\n'*} a_tx0=${A_OUT##*$'\n'}
b_tx0=$(counter $NETSTAT/tx_bytes) b_rx0=$(counter $NETSTAT/rx_bytes)
b_sent0=$(counter $HWC/sent_pkts) b_rcvd0=$(counter $HWC/rcvd_pkts)
t0=$(now_ms)
transfers 1 4097 65537 $((MIB + 5)) $((4 * MIB))
dt=$(( $(now_ms) - t0 ))
check "put/get/putv/getv checksums, 1 B to 4 MiB, node 2 <-> node 1" test "$bad" = 0
b_tx=$(( $(counter $NETSTAT/tx_bytes) - b_tx0 ))
b_rx=$(( $(counter $NETSTAT/rx_bytes) - b_rx0 ))
b_sent=$(( $(counter $HWC/sent_pkts) - b_sent0 ))
b_rcvd=$(( $(counter $HWC/rcvd_pkts) - b_rcvd0 ))
on_a "counter $NETSTAT/rx_bytes; counter $NETSTAT/tx_bytes"
a_rx=$(( ${A_OUT%%$'\n'*} - a_rx0 )) a_tx=$(( ${A_OUT##*$'\n'} - a_tx0 ))
echo "# moved $out bytes out and $in in (with checks) in $dt ms;" \
    "guest b eth0 tx +$b_tx rx +$b_rx, rxe0 sent +$b_sent rcvd +$b_rcvd" \
    "packets; guest a eth0 rx +$a_rx tx +$a_tx"
check "guest b's eth0 sent at least the bytes put (+$b_tx >= $out)" \
    test "$b_tx" -ge "$out"
check "guest a's eth0 received them (+$a_rx >= $out)" test "$a_rx" -ge "$out"
check "guest a's eth0 sent at least the bytes got (+$a_tx >= $in)" \
    test "$a_tx" -ge "$in"
check "guest b's eth0 received them (+$b_rx >= $in)" test "$b_rx" -ge "$in"
# Over 1 KiB of RoCE MTU: at least a packet per KiB each way.
check "rxe0 of node 2 carried it (sent +$b_sent, rcvd +$b_rcvd packets)" \
    test "$b_sent" -ge $((out / 1024)) -a "$b_rcvd" -ge $((in / 1024))
on_a 'grep -c "verbs queue pair accepted" "$(node_log 1)";
    grep -c "data connection from" "$(node_log 1)"'
check "by RDMA: a verbs queue pair on node 1, no tcp0 data connection" \
    test "${A_OUT%%$'\n'*}" -gt 0 -a "${A_OUT##*$'\n'}" = 0

# ---- signals: importer -> exporter over the queue pair, and back ----
check_rc "importer on node 2 posts" 0 "$(probe_say imp post)"
exp_say "wait 5000"
check_rc "exporter on node 1 is woken" 0 "$A_OUT"
exp_say post
check_rc "exporter on node 1 posts" 0 "$A_OUT"
check_rc "importer on node 2 is woken" 0 "$(probe_say imp "wait 5000")"

# ---- permission: a read-only import cannot write ----
probe_start ro 2 import 1 $SEG r
check_rc "read-only import connects" 0 "$P_LAST"
check_rc "read-only import reads" 0 "$(probe_say ro "get 0 4096")"
exp_say "sum 0 4096"; b=$A_OUT
a=$(probe_say ro "put 0 4096 99")
check_rc "read-only import cannot put" $E_PERM "$a"
exp_say "sum 0 4096"
check "the segment is unchanged" eval '[ -n "$(sum_of "$b")" ] &&
    [ "$(sum_of "$A_OUT")" = "$(sum_of "$b")" ]'
probe_quit ro

# ---- rsmd.conf(5)'s example on both nodes, through verbs0 ----
# The page's own configuration, addresses substituted (manual_conf): no
# data_listen, no verbs_listen; rsmd serves rxe0 because it has an address.
probe_quit imp
on_a "probe_quit exp; node_kill9 1; node_start_manual 1 && echo started"
check "node 1's rsmd starts on rsmd.conf(5)'s example" test "$A_OUT" = started
node_kill9 2
node_start_manual 2 || nok "node 2's rsmd starts on rsmd.conf(5)'s example"
check "the example has neither data_listen nor verbs_listen" eval \
    '! grep -Eq "^(data|verbs)_listen" "$(node_dir 2)/rsmd.conf"'
check "and a segid range, limits and heartbeats of its own" eval \
    'grep -q "^segid_min = " "$(node_dir 2)/rsmd.conf" &&
    grep -q "^heartbeat_ms = " "$(node_dir 2)/rsmd.conf"'
check "example: node 2 sees node 1 up" wait_until 20000 is_state 2 1 up
on_a 'wait_until 20000 is_state 1 2 up && echo up'
check "example: node 1 sees node 2 up" test "$A_OUT" = up
on_a 'grep -c "rdma_cm listener $(node_addr 1) port .*(verbs0, rxe0)" "$(node_log 1)"'
check "example: node 1 serves rxe0 by default (${A_OUT:-0} listener lines)" \
    test "${A_OUT:-0}" -gt 1
check "example: the controller listing shows verbs0" \
    eval "adm 2 controllers | grep -qw verbs0"
on_a "probe_start exp 1 export $SEG $SEGSIZE 2:0666; echo \"\$P_LAST\""
check "example: exporter on node 1 ready (verbs0)" test "$A_OUT" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "example: node 2 imports through verbs0" 0 "$P_LAST"
b_sent0=$(counter $HWC/sent_pkts) b_rcvd0=$(counter $HWC/rcvd_pkts)
transfers 1 4097 $((256 * 1024 + 3))
check "example: put/get/putv/getv checksums through verbs0, 1 B to 256 KiB" \
    test "$bad" = 0
b_sent=$(( $(counter $HWC/sent_pkts) - b_sent0 ))
b_rcvd=$(( $(counter $HWC/rcvd_pkts) - b_rcvd0 ))
echo "# example: $out bytes out, $in in; rxe0 sent +$b_sent rcvd +$b_rcvd packets"
check "example: by RDMA, rxe0 carried it (sent +$b_sent, rcvd +$b_rcvd)" \
    test "$b_sent" -ge $((out / 1024)) -a "$b_rcvd" -ge $((in / 1024))
check_rc "example: importer on node 2 posts" 0 "$(probe_say imp post)"
exp_say "wait 5000"
check_rc "example: exporter on node 1 is woken" 0 "$A_OUT"
exp_say post
check_rc "example: exporter on node 1 posts" 0 "$A_OUT"
check_rc "example: importer on node 2 is woken" 0 "$(probe_say imp "wait 5000")"
# The failures below run on the example's configuration too, with this
# exporter and importer, and are timed by its dead_after_ms.
DEAD_AFTER_MS=$(sed -n 's/^dead_after_ms = //p' "$(node_dir 2)/rsmd.conf")
check "the example sets dead_after_ms ($DEAD_AFTER_MS)" test -n "$DEAD_AFTER_MS"
NODE_DEATH_LIMIT_MS=$(( ${DEAD_AFTER_MS:-1000} + 5000 ))

# ---- rsmd kill -9 on node 1 ----
check_rc "put before node 1's rsmd dies" 0 "$(probe_say imp "put 0 4096 6")"
probe_send imp "until 20000"
nap 0.3
t0=$(now_ms)
on_a "node_kill9 1"
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# rsmd kill -9 on node 1 -> importer on node 2 RSMERR_CONN_ABORTED in $dt ms"
check_rc "importer fails after node 1's rsmd died" $E_ABORTED "$a"
check "within dead_after_ms + slack (under $NODE_DEATH_LIMIT_MS ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$NODE_DEATH_LIMIT_MS"
probe_quit imp
on_a "probe_kill9 exp; node_start_manual 1 && echo started"
check "node 1's rsmd restarts" test "$A_OUT" = started
check "node 2 sees node 1 up again" wait_until 20000 is_state 2 1 up

# ---- the link goes down: this guest's eth0 ----
# Taken down here, in guest b, so t0 is exact: the importer's error must
# come from node 2's heartbeats (dead_after_ms), not RC's retry timeout.
LINK_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 1500 ))
on_a "probe_start exp 1 export $SEG $MIB 2:0666; echo \"\$P_LAST\""
check "a new exporter on node 1" test "$A_OUT" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 imports again" 0 "$P_LAST"
a=$(probe_say imp "put 4093 65537 7")
exp_say "sum 4093 65537"
check "and moves data" eval '[ "$(rc_of "$a")" = 0 ] &&
    [ "$(sum_of "$a")" = "$(sum_of "$A_OUT")" ]'
probe_send imp "until 20000"
nap 0.3
t0=$(now_ms)
timeout 10 ip link set dev eth0 down
check "guest b's eth0 is down" eval \
    '! ip link show dev eth0 | grep -q "state UP"'
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# eth0 down in guest b -> importer on node 2 RSMERR_CONN_ABORTED in $dt ms (dead_after_ms $DEAD_AFTER_MS)"
check_rc "importer fails once the link is down" $E_ABORTED "$a"
check "within dead_after_ms + 1500 ms (under $LINK_DEATH_LIMIT_MS ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$LINK_DEATH_LIMIT_MS"
check "node 2 sees node 1 down" wait_until 10000 is_state 2 1 down
on_a 'wait_until 10000 is_state 1 2 down && echo down'
check "node 1 sees node 2 down" test "$A_OUT" = down
probe_quit imp

echo "# two guests, $(( ($(now_ms) - t_start) / 1000 )) s after guest b's setup began"
echo "# $NET_PASS passed, $NET_FAIL failed"
[ "$NET_FAIL" -eq 0 ]
