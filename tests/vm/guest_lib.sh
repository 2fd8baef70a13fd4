# guest_lib.sh - what run-in-guest.sh and run-two-guests.sh share: the
# skip rules, the kernel, the cached initramfs, a job share and QEMU.
# Sourced (bash); $VM_ME prefixes the error messages.  See tests/vm/README.
#
#   vm_args [--timeout S] SCRIPT [ARGS...]
#                        the command line of both: $limit (default 600),
#                        $script (absolute), ARGS in the array VM_ARGS;
#                        usage errors exit 2
#   vm_skip              exit 77 with RSM_SKIP_VM=1 or when not root
#   vm_prepare           QEMU, busybox and timeout present, the kernel
#                        ($kver, $kernel, $moddir) and the initramfs
#                        ($initrd, built once per kernel under $cache)
#   vm_job_fill DIR LIMIT SCRIPT [ARGS...]
#                        DIR (made by the caller) becomes a job share:
#                        env.sh with this environment, SCRIPT and ARGS,
#                        guest-run.sh, the keep list; extra lines for
#                        env.sh in $VM_JOB_ENV
#   vm_qemu DIR LIMIT [QEMU ARGS...]
#                        boots one guest on job DIR in the background,
#                        bounded by LIMIT seconds, with $VM_SMP CPUs
#                        (default 2) and $RSM_VM_MEM (default 2G); its pid
#                        (timeout(1)) in $VM_QPID
#   vm_job_result DIR QRC SECONDS LIMIT NAME
#                        the guest's stdout and stderr on ours; returns
#                        its exit status, 124 when it ran out of time, 1
#                        when it stopped without a result (QEMU output and
#                        console shown)
VM_ME=${VM_ME:-run-in-guest}
VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

vm_skip() {
	if [ "${RSM_SKIP_VM:-0}" = 1 ]; then
		echo "SKIP: RSM_SKIP_VM=1 (guest tests run in another pass)"
		exit 77
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: the guest tests need root (9p shares this machine's /)"
		exit 77
	fi
}

die() { echo "$VM_ME: $*" >&2; exit 1; }

vm_usage() { echo "usage: $0 [--timeout S] SCRIPT [ARGS...]" >&2; exit 2; }

vm_args() {
	limit=600
	while [ $# -gt 0 ]; do
		case $1 in
		--timeout) [ $# -ge 2 ] || vm_usage; limit=$2; shift 2 ;;
		--timeout=*) limit=${1#*=}; shift ;;
		--) shift; break ;;
		-*) vm_usage ;;
		*) break ;;
		esac
	done
	[ $# -ge 1 ] || vm_usage
	case $limit in ''|*[!0-9]*) vm_usage ;; esac
	script=$(readlink -f -- "$1") || { echo "$1: not found" >&2; exit 2; }
	shift
	[ -f "$script" ] || { echo "$script: not found" >&2; exit 2; }
	# Under /tmp, /run, /var/tmp or /dev/shm is fine: the guest binds
	# the tree back over its own tmpfs (see "keep" below).  Elsewhere in
	# /dev is not.
	case $script in
	/dev/shm/*) ;;
	/dev/*)
		echo "$script: not a place for a test script" >&2
		exit 2 ;;
	esac
	VM_ARGS=("$@")
}

vm_prepare() {
	local need="run scripts/install-deps.sh" d v
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
	cache=${RSM_VM_CACHE:-$PWD/vm-cache}
	mkdir -p "$cache" || die "cannot create $cache"
	cache=$(cd "$cache" && pwd)
	initrd=$cache/initramfs-$kver.cpio
	# Rebuilt when guest-init.sh changes; a lock serialises parallel tests.
	exec 8>"$cache/.lock"
	timeout 120 flock 8 || die "initramfs lock held for 120 s"
	if [ ! -s "$initrd" ] || [ "$VM_HERE/guest-init.sh" -nt "$initrd" ]; then
		vm_build_initrd || { rm -rf "$cache"/initrd.??????; die "initramfs build failed"; }
	fi
	exec 8>&-
}

# Loaded in this order by insmod (each after its dependencies).
INITRD_MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"

vm_build_initrd() {
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
	install -m 755 "$VM_HERE/guest-init.sh" "$tmp/root/init" || return 1
	(cd "$tmp/root" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) \
	    >"$tmp/initrd.cpio" || return 1
	mv -f "$tmp/initrd.cpio" "$initrd"
	rm -rf "$tmp"
}

vm_job_fill() {
	local job=$1 limit=$2 script=$3 script_limit a p d rest
	shift 3
	# The script gets what is left after boot and power-off.
	script_limit=$(( limit > 60 ? limit - 30 : limit / 2 ))
	{
		export -p | grep -v -E '^declare -x (TMPDIR|OLDPWD|PWD|SHLVL|_)(=|$)'
		echo "export RSM_IN_GUEST=1"
		[ -n "${VM_JOB_ENV:-}" ] && echo "$VM_JOB_ENV"
		printf 'RSM_VM_CWD=%q\n' "$PWD"
		printf 'RSM_VM_LIMIT=%q\n' "$script_limit"
		printf 'RSM_VM_CMD=(%q' "$script"
		for a in "$@"; do printf ' %q' "$a"; done
		printf ')\n'
	} >"$job/env.sh"
	install -m 755 "$VM_HERE/guest-run.sh" "$job/guest-run.sh"
	# The guest mounts tmpfs over /tmp, /run, /dev/shm and /var/tmp.  A tree
	# under one of them (a checkout or build in /tmp, as CI may use) would
	# vanish: list the top folders to bind back in, read-only, over the tmpfs.
	for p in "$(cd "$VM_HERE/../.." && pwd)" "$PWD" "$(cd "$(dirname "$script")" && pwd)" \
	    ${RSMD_BIN:+"$(dirname "$RSMD_BIN")"} ${RSMADM_BIN:+"$(dirname "$RSMADM_BIN")"}; do
		for d in /tmp /run /var/tmp /dev/shm; do
			case $p in
			"$d"/?*) rest=${p#"$d"/}; echo "$d/${rest%%/*}" ;;
			esac
		done
	done | sort -u >"$job/keep"
	chmod 777 "$job"
}

# QEMU's own 9p server: the root shared read-only, the job dir writable.
# Console output goes to a file, shown when the guest fails.  Extra
# arguments (a NIC, another share) come after ours.
vm_qemu() {
	local job=$1 limit=$2
	shift 2
	timeout -k 5 "$limit" "$QEMU" \
	    -accel tcg,thread=multi -cpu max -m "${RSM_VM_MEM:-2G}" -smp "${VM_SMP:-2}" \
	    -nodefaults -no-user-config -display none -no-reboot \
	    -serial "file:$job/console.log" -monitor none -nic none \
	    -kernel "$kernel" -initrd "$initrd" \
	    -append "console=ttyS0 panic=-1 mitigations=off quiet loglevel=4" \
	    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	    -virtfs local,path="$job",mount_tag=rsmjob,security_model=none,multidevs=remap \
	    "$@" </dev/null >"$job/qemu.out" 2>&1 &
	VM_QPID=$!
}

vm_job_result() {
	local job=$1 qrc=$2 dt=$3 limit=$4 name=$5 rc
	[ -f "$job/stdout" ] && cat "$job/stdout"
	[ -f "$job/stderr" ] && cat "$job/stderr" >&2
	if [ -f "$job/rc" ]; then
		rc=$(cat "$job/rc")
		echo "# guest: ${dt}s for boot, $name (exit $rc) and power-off" >&2
		case $rc in ''|*[!0-9]*) rc=1 ;; esac
		return "$rc"
	fi
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		echo "$VM_ME: the guest did not finish within ${limit}s: killed" >&2
		rc=124
	else
		echo "$VM_ME: the guest stopped without a result (qemu exit $qrc)" >&2
		rc=1
	fi
	echo "---- qemu" >&2
	tail -20 "$job/qemu.out" >&2
	echo "---- guest console" >&2
	tail -40 "$job/console.log" >&2
	return "$rc"
}
