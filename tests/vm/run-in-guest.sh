#!/usr/bin/env bash
# run-in-guest.sh [--timeout S] SCRIPT [ARGS...]
#
# Runs SCRIPT as root inside a throw-away QEMU guest (pure emulation, TCG)
# booted from Debian's stock kernel, whose root is this machine's / shared
# read-only over virtio-9p.  The guest kernel has what this one may lack:
# rdma_rxe, netem, veth, bridges.  See tests/vm/README.
#
# The guest mounts proc, sys, devtmpfs and tmpfs (/tmp, /run, /dev/shm,
# /var/tmp), loads the modules the tests use, chroots into the shared root,
# cds to this directory and runs "bash SCRIPT ARGS..." under `timeout`,
# with this environment (RSM_IN_GUEST=1 added; TMPDIR dropped), then powers
# off.  The build tree is read-only in there: write to /tmp.  The script's
# stdout and stderr come back here on the same streams and its exit status
# is ours; 124 when the guest did not finish within S seconds (default 600),
# after which QEMU is killed.  Exit 77 when not root, or at once when
# RSM_SKIP_VM=1 (scripts/check.sh runs the guest tests in one pass only).
#
# The initramfs (busybox-static and the virtio/9p modules) is built once
# per kernel version under $RSM_VM_CACHE (default ./vm-cache, i.e. the build
# directory under make check).  $RSM_VM_KERNEL picks a kernel version from
# /lib/modules, default the newest one with rdma_rxe.ko and a /boot/vmlinuz.
# The pieces are in guest_lib.sh, shared with run-two-guests.sh.
set -u

VM_ME=run-in-guest
. "$(dirname "$0")/guest_lib.sh"
vm_args "$@"
set -- "${VM_ARGS[@]}"
vm_skip
vm_prepare

# ---- the job: a writable share with the script's environment ----
job=$(mktemp -d "${TMPDIR:-/tmp}/rsm-vm.XXXXXX") || die "mktemp failed"
qpid=
cleanup() {
	# qpid is timeout(1): it passes TERM on to QEMU and KILLs it 5 s later.
	if [ -n "$qpid" ]; then
		kill -TERM "$qpid" 2>/dev/null
		{ wait "$qpid"; } 2>/dev/null
	fi
	rm -rf "$job"
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

vm_job_fill "$job" "$limit" "$script" "$@"
t0=$(date +%s)
vm_qemu "$job" "$limit"
qpid=$VM_QPID
wait "$qpid"
qrc=$?
qpid=
vm_job_result "$job" "$qrc" "$(( $(date +%s) - t0 ))" "$limit" \
    "$(basename "$script")"
