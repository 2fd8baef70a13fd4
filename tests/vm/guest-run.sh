#!/bin/bash
# guest-run.sh - runs inside the guest, chrooted into the host's root, from
# the job share /run/rsm-vm that run-in-guest.sh filled: loads the modules
# the tests use (from the host's /lib/modules/<guest kernel>), brings lo
# up, mounts run-two-guests.sh's common share if there is one, then runs
# the job's command with its environment under `timeout`, writing
# stdout, stderr and the exit status to the share.
set -u
J=/run/rsm-vm
exec 3>"$J/setup.log"
. "$J/env.sh"
unset TMPDIR

# crc32_generic first: rxe needs the crc32 shash and the kernel cannot
# load it by itself from inside the chroot.  A missing module is only
# logged: the test that needs it fails on its own.
for m in crc32_generic rdma_rxe ib_uverbs rdma_ucm veth bridge sch_netem \
    ${RSM_VM_MODULES:-}; do
	timeout 60 modprobe "$m" >&3 2>&1 || echo "modprobe $m failed" >&3
done
timeout 10 ip link set lo up >&3 2>&1
# What udev would add to a devtmpfs: bash's process substitution needs
# /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for f in stdin:0 stdout:1 stderr:2; do
	[ -e "/dev/${f%:*}" ] || ln -s "/proc/self/fd/${f#*:}" "/dev/${f%:*}"
done
# run-two-guests.sh gives both of its guests one more writable share (tag
# rsmshare) to coordinate through; it names the mount point.  Not cached
# in the guest (no cache= option), so a file the other guest writes is
# seen at once.
if [ -n "${RSM_VM_SHARE:-}" ]; then
	mkdir -p "$RSM_VM_SHARE" && timeout 30 mount -t 9p \
	    -o trans=virtio,version=9p2000.L,msize=262144 rsmshare \
	    "$RSM_VM_SHARE" >&3 2>&1 || echo "cannot mount rsmshare" >&3
fi

rc=1
if cd "$RSM_VM_CWD"; then
	timeout -k 10 "$RSM_VM_LIMIT" bash "${RSM_VM_CMD[@]}" \
	    >"$J/stdout" 2>"$J/stderr" </dev/null
	rc=$?
	[ "$rc" -eq 124 ] &&
	    echo "run-in-guest: the script ran out of its ${RSM_VM_LIMIT}s" >>"$J/stderr"
fi
# Anything the script left behind (rsmd, probes) goes with the guest.
sync
echo "$rc" >"$J/rc.tmp" && mv "$J/rc.tmp" "$J/rc"
sync
