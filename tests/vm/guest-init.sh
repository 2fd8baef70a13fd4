#!/bin/sh
# guest-init.sh - /init of the guest's initramfs (busybox sh, PID 1).
#
# Loads the virtio and 9p modules, mounts the host's / (read-only, tag
# "hostroot") on /newroot with proc, sys, devtmpfs and tmpfs under it,
# mounts the job share (tag "rsmjob") on /newroot/run/rsm-vm, runs its
# guest-run.sh chrooted there, and powers off whatever happens.
# Written for run-in-guest.sh; see tests/vm/README.
export PATH=/bin
/bin/busybox --install -s /bin

say() { echo "init: $*" >/dev/console 2>/dev/null || echo "init: $*"; }
off() { sync; poweroff -f; sleep 5; reboot -f; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do
	insmod "/mods/$m.ko" || { say "insmod $m failed"; off; }
done
R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
    hostroot $R || { say "cannot mount the host root"; off; }
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
# The job share first: its "keep" file names host folders under the
# tmpfs paths (a checkout in /tmp) that must stay visible in the guest.
mkdir -p /job /keep
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 rsmjob /job ||
    { say "cannot mount the job share"; off; }
for d in /tmp /run /dev/shm /var/tmp; do
	mkdir -p /keep$d
	mount -o bind $R$d /keep$d || say "cannot keep the host's $d"
	mount -t tmpfs -o mode=1777 tmpfs $R$d || say "tmpfs on $d failed"
done
while read -r p; do
	[ -n "$p" ] && [ -d "/keep$p" ] || continue
	mkdir -p "$R$p" && mount -o bind "/keep$p" "$R$p" ||
	    say "cannot bind $p back"
done </job/keep
mkdir -p $R/run/rsm-vm
mount -o bind /job $R/run/rsm-vm || { say "cannot bind the job share"; off; }
chroot $R /bin/bash /run/rsm-vm/guest-run.sh
say "guest-run exited $?"
sync
umount $R/run/rsm-vm 2>/dev/null
umount /job 2>/dev/null
off
