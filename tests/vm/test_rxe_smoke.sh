#!/usr/bin/env bash
# test_rxe_smoke.sh - SoftRoCE inside the guest (see run-in-guest.sh), the
# base of the verbs transport's tests: rxe0 on a veth with two addresses
# (one per node, as two rsmd would use it) comes up ACTIVE in `rdma link`,
# ibv_devinfo describes it, both addresses have a RoCE GID, and
# ib_write_lat (same GID both ends) and ib_read_lat (from the second
# address's GID to the first's) complete with results.
set -u
VM_TIMEOUT=${RSM_VM_TIMEOUT:-300}
. "$(dirname "$0")/vm_lib.sh"

A1=10.9.0.1
A2=10.9.0.2
ITER=200
TMP=$(mktemp -d /tmp/rxe.XXXXXX)
SRV=
teardown() {
	[ -n "$SRV" ] && { kill -9 "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; }
	vm_rxe_down
	rm -rf "$TMP"
}
trap 'rc=$?; teardown; exit $rc' EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 77; fi

listening() { ss -ltn 2>/dev/null | grep -q ":$1 "; }
# The result line of a perftest latency run: "2 ITER t_min t_max ...".
has_result() { grep -Eq "^ *2 +$ITER +[0-9.]+ +[0-9.]+ +[0-9.]+" "$1"; }

# perf_pair NAME TOOL SERVER_GID CLIENT_GID [both]: server and client of
# TOOL on rxe0, the client connecting to $A1; ok when both exit 0 and the
# client (with "both" the server too: write_lat is a ping-pong) reports.
perf_pair() {
	local name=$1 tool=$2 sg=$3 cg=$4 src crc port=$((18515 + RANDOM % 1000))
	timeout 60 "$tool" -d "$RXE_DEV" -x "$sg" -n "$ITER" -p "$port" \
	    >"$TMP/$name.srv" 2>&1 &
	SRV=$!
	check "$name: server listening" wait_until 20000 listening "$port"
	timeout 60 "$tool" -d "$RXE_DEV" -x "$cg" -n "$ITER" -p "$port" "$A1" \
	    >"$TMP/$name.cli" 2>&1
	crc=$?
	wait "$SRV"
	src=$?
	SRV=
	check "$name: client exits 0 ($crc)" test "$crc" -eq 0
	check "$name: server exits 0 ($src)" test "$src" -eq 0
	check "$name: client reports $ITER iterations" has_result "$TMP/$name.cli"
	[ "${5:-}" = both ] &&
	    check "$name: server reports $ITER iterations" has_result "$TMP/$name.srv"
	if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
		tail -5 "$TMP/$name.cli" "$TMP/$name.srv"
	fi
	grep -E "^ *2 +$ITER " "$TMP/$name.cli" | awk -v n="$name" \
	    '{ print "# " n ": t_typical " $5 " us, t_avg " $6 " us" }'
}

t0=$(now_ms)
check "rxe0 on a veth with $A1 and $A2" vm_rxe_up "$A1" "$A2"
rdma link show >"$TMP/link" 2>&1
check "rdma link shows rxe0/1 ACTIVE on vm0" grep -Eq \
    "^link $RXE_DEV/1 state ACTIVE .*netdev $RXE_NETDEV" "$TMP/link"
timeout 30 ibv_devinfo -d "$RXE_DEV" >"$TMP/devinfo" 2>&1
check "ibv_devinfo -d rxe0 succeeds" test $? -eq 0
check "ibv_devinfo: port 1 PORT_ACTIVE" grep -q 'state:.*PORT_ACTIVE' \
    "$TMP/devinfo"
check "ibv_devinfo: link layer Ethernet" grep -q 'link_layer:.*Ethernet' \
    "$TMP/devinfo"
g1=$(rxe_gid_index "$A1")
g2=$(rxe_gid_index "$A2")
check "a GID for $A1 (index ${g1:-none})" test -n "$g1"
check "a GID for $A2 (index ${g2:-none})" test -n "$g2"
[ -n "$g1" ] && [ -n "$g2" ] && {
	perf_pair write_lat ib_write_lat "$g1" "$g1" both
	perf_pair read_lat ib_read_lat "$g1" "$g2"
}
vm_rxe_down
check "rxe0 is removed" eval '! rdma link show 2>/dev/null | grep -q "$RXE_DEV/"'
echo "# rxe bring-up, two perftest pairs and removal: $(( $(now_ms) - t0 )) ms"
vm_summary
