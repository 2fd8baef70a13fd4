#!/usr/bin/env bash
# run-two-guests.sh [--timeout S] SCRIPT [ARGS...]
#
# Two guests as run-in-guest.sh boots one (same kernel, initramfs, shared
# root, environment and job shares; guest_lib.sh), at the same time, each
# running "bash SCRIPT ARGS..." with RSM_GUEST_ROLE=a or b, joined by a
# network cable: one virtio NIC each (eth0 in the guest, virtio_net loaded
# through RSM_VM_MODULES; MACs 52:54:00:72:53:0a and :0b) on a QEMU socket
# netdev, guest a listening on a free TCP port of 127.0.0.1 and guest b
# connecting to it.  One CPU and $RSM_VM_MEM (default 1G) each.
#
# The link carries nothing but the guests' frames, and a test may take it
# down: the guests coordinate through a third 9p share, writable and common
# to both, mounted at $RSM_VM_SHARE (/run/rsm-share) before SCRIPT starts.
# It is not cached in the guests, so what one writes the other sees at once.
#
# Output: guest a's stdout and stderr, then guest b's, each after a "#"
# header line.  Exit status: guest b's (b drives the test) unless it is 0
# or 77 and guest a's is neither; 124 for a guest that did not finish
# within S seconds (default 600), after which its QEMU is killed.  When
# guest b has stopped, a file "stop" appears in the common share, and
# guest a gets 60 s more at most.  Exit 77 when not root, or at once when
# RSM_SKIP_VM=1, as run-in-guest.sh.  See tests/vm/README.
set -u

VM_ME=run-two-guests
. "$(dirname "$0")/guest_lib.sh"
vm_args "$@"
set -- "${VM_ARGS[@]}"
vm_skip
vm_prepare
command -v ss >/dev/null || die "no ss (iproute2)"

job=$(mktemp -d "${TMPDIR:-/tmp}/rsm-vm2.XXXXXX") || die "mktemp failed"
declare -A qpid=()
cleanup() {
	local g
	# Each qpid is timeout(1): it passes TERM on to QEMU, KILLs it 5 s later.
	for g in "${!qpid[@]}"; do kill -TERM "${qpid[$g]}" 2>/dev/null; done
	for g in "${!qpid[@]}"; do { wait "${qpid[$g]}"; } 2>/dev/null; done
	rm -rf "$job"
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$job/a" "$job/b" "$job/share" && chmod 777 "$job/share" ||
    die "cannot fill $job"
export RSM_VM_MODULES="${RSM_VM_MODULES:-} virtio_net"
RSM_VM_MEM=${RSM_VM_MEM:-1G}
VM_SMP=1
for g in a b; do
	VM_JOB_ENV="export RSM_GUEST_ROLE=$g RSM_VM_SHARE=/run/rsm-share"
	vm_job_fill "$job/$g" "$limit" "$script" "$@"
done
share=(-virtfs "local,path=$job/share,mount_tag=rsmshare,security_model=none,multidevs=remap")
nic() { echo "virtio-net-pci,netdev=n0,mac=52:54:00:72:53:0$1"; }

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# A TCP stream, not UDP: QEMU never drops a frame on it (a full socket
# stops the sending NIC instead), so the link loses only what a test makes
# it lose.  Guest b's QEMU connects once, at start-up, and exits if nobody
# listens: start guest a first and wait for its port.  Another QEMU may take
# the port between the check and the bind: then guest a exits at once and
# the next try uses another port.
t0=$(date +%s)
port=
for try in 1 2 3; do
	p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
	listening "$p" && continue
	vm_qemu "$job/a" "$limit" "${share[@]}" \
	    -netdev "socket,id=n0,listen=127.0.0.1:$p" -device "$(nic a)"
	qpid[a]=$VM_QPID
	for _ in $(seq 200); do
		listening "$p" && { port=$p; break; }
		kill -0 "${qpid[a]}" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] && break
	kill -TERM "${qpid[a]}" 2>/dev/null
	{ wait "${qpid[a]}"; } 2>/dev/null
	unset 'qpid[a]'
done
if [ -z "$port" ]; then
	echo "$VM_ME: guest a's QEMU did not listen on a port" >&2
	tail -20 "$job/a/qemu.out" >&2
	exit 1
fi
vm_qemu "$job/b" "$limit" "${share[@]}" \
    -netdev "socket,id=n0,connect=127.0.0.1:$port" -device "$(nic b)"
qpid[b]=$VM_QPID

wait "${qpid[b]}"
qrc_b=$?
unset 'qpid[b]'
dt_b=$(( $(date +%s) - t0 ))
# Guest a may be serving guest b: tell it b is gone, give it a minute.
: >"$job/share/stop"
for _ in $(seq 600); do
	kill -0 "${qpid[a]}" 2>/dev/null || break
	sleep 0.1
done
kill -0 "${qpid[a]}" 2>/dev/null &&
    echo "$VM_ME: guest a still ran 60 s after guest b stopped: killed" >&2
kill -TERM "${qpid[a]}" 2>/dev/null
wait "${qpid[a]}"
qrc_a=$?
unset 'qpid[a]'
dt_a=$(( $(date +%s) - t0 ))

name=$(basename "$script")
echo "# ---- guest a"
vm_job_result "$job/a" "$qrc_a" "$dt_a" "$limit" "$name (guest a)"
rc_a=$?
echo "# ---- guest b"
vm_job_result "$job/b" "$qrc_b" "$dt_b" "$limit" "$name (guest b)"
rc=$?
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; } && [ "$rc_a" -ne 0 ] &&
    [ "$rc_a" -ne 77 ]; then
	rc=$rc_a
fi
exit "$rc"
