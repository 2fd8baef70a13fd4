# vm_lib.sh - sourced first by the tests/vm scripts.
#
# Outside the guest it re-runs the sourcing script through run-in-guest.sh
# (overall limit $VM_TIMEOUT seconds, set before sourcing; default 600) and
# never returns (with RSM_SKIP_VM=1 that exits 77).  Inside the guest
# (RSM_IN_GUEST=1) it gives:
#
#   vm_rxe_up ADDR...   veth pair vm0/vm1 with each ADDR/24 on vm0, rxe0
#                       on vm0, waits until ACTIVE; vm_rxe_down removes
#                       both (call it from the test's EXIT trap)
#   rxe_gid_index ADDR  GID index of rxe0 for an IPv4 address
#   ok/nok/check/wait_until/now_ms and vm_summary, unless tests/net/lib.sh
#                       (same names and counters) is sourced as well
#
# Two rxe devices in one network namespace do not reach each other, and
# two on a veth pair between two namespaces came up ACTIVE but perftest
# between them did not complete (Debian's 6.1): one device in the initial
# namespace with one address per node (one GID each) serves both ends.
# See tests/vm/README.
if [ -z "${RSM_IN_GUEST:-}" ]; then
	exec "$(dirname "$0")/run-in-guest.sh" --timeout "${VM_TIMEOUT:-600}" \
	    "$0" "$@"
fi

if ! declare -F check >/dev/null; then
	NET_PASS=0
	NET_FAIL=0
	ok()  { NET_PASS=$((NET_PASS + 1)); echo "ok   - $*"; }
	nok() { NET_FAIL=$((NET_FAIL + 1)); echo "FAIL - $*"; }
	check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
	now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
	wait_until() {
		local limit=$(( $(now_ms) + $1 ))
		shift
		while ! "$@" 2>/dev/null; do
			[ "$(now_ms)" -ge "$limit" ] && return 1
			sleep 0.05
		done
	}
fi
vm_summary() {
	echo "$NET_PASS passed, $NET_FAIL failed"
	[ "$NET_FAIL" -eq 0 ]
}

RXE_DEV=rxe0
RXE_NETDEV=vm0

rxe_active() { rdma link show "$RXE_DEV/1" 2>/dev/null | grep -q 'state ACTIVE'; }

vm_rxe_down() {
	timeout 20 rdma link delete "$RXE_DEV" 2>/dev/null
	timeout 10 ip link del "$RXE_NETDEV" 2>/dev/null
	return 0
}

vm_rxe_up() {
	local a
	ip link add "$RXE_NETDEV" type veth peer name vm1 || return 1
	for a in "$@"; do
		ip addr add "$a/24" dev "$RXE_NETDEV" || return 1
	done
	ip link set "$RXE_NETDEV" up && ip link set vm1 up || return 1
	timeout 30 rdma link add "$RXE_DEV" type rxe netdev "$RXE_NETDEV" ||
	    return 1
	wait_until 10000 rxe_active
}

# The GID table has 1024 entries: read them with builtins (a fork costs
# tens of milliseconds under emulation).
rxe_gid_index() {
	local want g v IFS=.
	set -- $1
	printf -v want '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
	    "$1" "$2" "$3" "$4"
	for g in /sys/class/infiniband/"$RXE_DEV"/ports/1/gids/*; do
		read -r v <"$g" 2>/dev/null || continue
		[ "$v" = "$want" ] && { echo "${g##*/}"; return 0; }
	done
	return 1
}
