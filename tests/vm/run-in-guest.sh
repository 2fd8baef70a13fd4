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
set -u

usage() { echo "usage: $0 [--timeout S] SCRIPT [ARGS...]" >&2; exit 2; }

limit=600
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; limit=$2; shift 2 ;;
	--timeout=*) limit=${1#*=}; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
case $limit in ''|*[!0-9]*) usage ;; esac
script=$(readlink -f -- "$1") || { echo "$1: not found" >&2; exit 2; }
shift
[ -f "$script" ] || { echo "$script: not found" >&2; exit 2; }
# Under /tmp, /run, /var/tmp or /dev/shm is fine: the guest binds the
# tree back over its own tmpfs (see "keep" below).  Elsewhere in /dev is not.
case $script in
/dev/shm/*) ;;
/dev/*)
	echo "$script: not a place for a test script" >&2
	exit 2 ;;
esac

if [ "${RSM_SKIP_VM:-0}" = 1 ]; then
	echo "SKIP: RSM_SKIP_VM=1 (guest tests run in another pass)"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the guest tests need root (9p shares this machine's /)"
	exit 77
fi

die() { echo "run-in-guest: $*" >&2; exit 1; }
need="run scripts/install-deps.sh"
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || die "no $QEMU ($need: qemu-system-x86)"
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "no $BUSYBOX ($need: busybox-static)"
command -v timeout >/dev/null || die "no timeout (coreutils)"

# ---- kernel ----
kver=${RSM_VM_KERNEL:-}
if [ -z "$kver" ]; then
	for d in $(ls -d /lib/modules/*/ 2>/dev/null | sort -V -r); do
		v=$(basename "$d")
		if [ -f "/boot/vmlinuz-$v" ] && [ -f \
		    "$d/kernel/drivers/infiniband/sw/rxe/rdma_rxe.ko" ]; then
			kver=$v
			break
		fi
	done
fi
[ -n "$kver" ] || die "no kernel with rdma_rxe in /lib/modules and /boot ($need: linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel"
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "$moddir has no modules.dep (run depmod $kver)"

# ---- initramfs, cached per kernel version ----
# Loaded in this order by insmod (each after its dependencies).
INITRD_MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
cache=${RSM_VM_CACHE:-$PWD/vm-cache}
mkdir -p "$cache" || die "cannot create $cache"
cache=$(cd "$cache" && pwd)
initrd=$cache/initramfs-$kver.cpio
here=$(cd "$(dirname "$0")" && pwd)

build_initrd() {
	local tmp m f
	tmp=$(mktemp -d "$cache/initrd.XXXXXX") || return 1
	mkdir -p "$tmp/root/bin" "$tmp/root/mods" "$tmp/root/proc" \
	    "$tmp/root/sys" "$tmp/root/dev" "$tmp/root/newroot"
	cp "$BUSYBOX" "$tmp/root/bin/busybox" || return 1
	ln -s busybox "$tmp/root/bin/sh"
	for m in $INITRD_MODS; do
		f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null) ||
		    f=$(find "$moddir/kernel" -name "$m.ko*" | head -1)
		[ -n "$f" ] && [ -f "$f" ] || { echo "no module $m" >&2; return 1; }
		case $f in
		*.ko) cp "$f" "$tmp/root/mods/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$tmp/root/mods/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$tmp/root/mods/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" >"$tmp/root/mods/$m.ko" ;;
		*) echo "unknown module file $f" >&2; return 1 ;;
		esac || return 1
	done
	echo "$INITRD_MODS" >"$tmp/root/mods/order"
	install -m 755 "$here/guest-init.sh" "$tmp/root/init" || return 1
	(cd "$tmp/root" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) \
	    >"$tmp/initrd.cpio" || return 1
	mv -f "$tmp/initrd.cpio" "$initrd"
	rm -rf "$tmp"
}

# Rebuilt when guest-init.sh changes; a lock serialises parallel tests.
exec 8>"$cache/.lock"
timeout 120 flock 8 || die "initramfs lock held for 120 s"
if [ ! -s "$initrd" ] || [ "$here/guest-init.sh" -nt "$initrd" ]; then
	build_initrd || { rm -rf "$cache"/initrd.??????; die "initramfs build failed"; }
fi
exec 8>&-

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

# The script gets what is left after boot and power-off.
script_limit=$(( limit > 60 ? limit - 30 : limit / 2 ))
{
	export -p | grep -v -E '^declare -x (TMPDIR|OLDPWD|PWD|SHLVL|_)(=|$)'
	echo "export RSM_IN_GUEST=1"
	printf 'RSM_VM_CWD=%q\n' "$PWD"
	printf 'RSM_VM_LIMIT=%q\n' "$script_limit"
	printf 'RSM_VM_CMD=(%q' "$script"
	for a in "$@"; do printf ' %q' "$a"; done
	printf ')\n'
} >"$job/env.sh"
install -m 755 "$here/guest-run.sh" "$job/guest-run.sh"
# The guest mounts tmpfs over /tmp, /run, /dev/shm and /var/tmp.  A tree
# under one of them (a checkout or build in /tmp, as CI may use) would
# vanish: list the top folders to bind back in, read-only, over the tmpfs.
for p in "$(cd "$here/../.." && pwd)" "$PWD" "$(cd "$(dirname "$script")" && pwd)" \
    ${RSMD_BIN:+"$(dirname "$RSMD_BIN")"} ${RSMADM_BIN:+"$(dirname "$RSMADM_BIN")"}; do
	for d in /tmp /run /var/tmp /dev/shm; do
		case $p in
		"$d"/?*) rest=${p#"$d"/}; echo "$d/${rest%%/*}" ;;
		esac
	done
done | sort -u >"$job/keep"
chmod 777 "$job"

# QEMU's own 9p server: the root shared read-only, the job dir writable.
# Console output goes to a file, shown when the guest fails.
t0=$(date +%s)
timeout -k 5 "$limit" "$QEMU" \
    -accel tcg,thread=multi -cpu max -m "${RSM_VM_MEM:-2G}" -smp 2 \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$job/console.log" -monitor none -nic none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 mitigations=off quiet loglevel=4" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs local,path="$job",mount_tag=rsmjob,security_model=none,multidevs=remap \
    </dev/null >"$job/qemu.out" 2>&1 &
qpid=$!
wait "$qpid"
qrc=$?
qpid=
dt=$(( $(date +%s) - t0 ))

[ -f "$job/stdout" ] && cat "$job/stdout"
[ -f "$job/stderr" ] && cat "$job/stderr" >&2
if [ -f "$job/rc" ]; then
	rc=$(cat "$job/rc")
	echo "# guest: ${dt}s for boot, $(basename "$script") (exit $rc) and power-off" >&2
	case $rc in ''|*[!0-9]*) rc=1 ;; esac
	exit "$rc"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "run-in-guest: the guest did not finish within ${limit}s: killed" >&2
	rc=124
else
	echo "run-in-guest: the guest stopped without a result (qemu exit $qrc)" >&2
	rc=1
fi
echo "---- qemu" >&2
tail -20 "$job/qemu.out" >&2
echo "---- guest console" >&2
tail -40 "$job/console.log" >&2
exit "$rc"
