#!/usr/bin/env bash
# test_deb.sh - the Debian packages, built and used as an operator would.
#
# Builds the packages from a copy of the sources (dpkg-buildpackage -us -uc
# -b), checks that lintian reports no error, unpacks librsm2, librsm-dev,
# rsmd and rsm-tools into a scratch root, and runs the two-node demo
# (examples/run-demo.sh) with the daemon, rsmadm and library from that
# root; the demo program itself is built against the packaged headers
# and library (its error names come from util/rsm_err.c, as in the tree).
# Also checked: what each package holds (the units, the sysusers entry,
# the default config, the pkg-config files).
#
# Skipped (77) without dpkg-buildpackage and debhelper.  Set
# RSM_SKIP_DEB=1 to skip it (make distcheck does: its tree is the
# tarball).  $RSM_TEST_SRCDIR comes from make check.
set -u
[ "${RSM_SKIP_DEB:-0}" = 1 ] && { echo "RSM_SKIP_DEB=1: skipped"; exit 77; }
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
    { echo "no dpkg-buildpackage/debhelper: skipped"; exit 77; }
src=$(cd "${RSM_TEST_SRCDIR:?}/.." && pwd)
[ -d "$src/debian" ] || { echo "no debian/ in $src: skipped"; exit 77; }
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The sources as the repository has them: no build tree, no configure.
mkdir "$tmp/rsm"
if [ -d "$src/.git" ] || [ -f "$src/.git" ]; then
	(cd "$src" && git ls-files -z | tar --null -cf - -T -) | tar -xf - -C "$tmp/rsm"
else
	cp -a "$src/." "$tmp/rsm/"
fi
if (cd "$tmp/rsm" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
    dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	bad "dpkg-buildpackage"; tail -40 "$tmp/build.log"; exit 1
fi
for p in librsm2 librsm-job1 librsm-dev rsmd rsm-tools; do
	ls "$tmp/${p}_"*.deb >/dev/null 2>&1 && ok "built $p" || bad "no $p package"
done
if command -v lintian >/dev/null; then
	errs=$(lintian "$tmp"/*.changes 2>&1 | grep '^E:')
	[ -z "$errs" ] && ok "lintian: no errors" || { bad "lintian:"; echo "$errs"; }
fi

holds() {	# holds PACKAGE PATH: the package ships PATH
	dpkg-deb -c "$tmp/${1}_"*.deb | awk '{ print $6 }' | grep -qx "./$2"
}
for f in usr/sbin/rsmd lib/systemd/system/rsmd.service \
    lib/systemd/system/rsmd@.service usr/lib/sysusers.d/rsmd.conf \
    etc/rsm/rsmd.conf usr/share/man/man8/rsmd.8.gz \
    lib/udev/rules.d/60-rsmd.rules; do
	holds rsmd "$f" && ok "rsmd holds /$f" || bad "rsmd lacks /$f"
done
# The rule gives the userfaultfd device to the group rsmd runs as.
dpkg-deb --fsys-tarfile "$tmp/rsmd_"*.deb | tar -xO ./lib/udev/rules.d/60-rsmd.rules 2>/dev/null |
    grep -qx 'KERNEL=="userfaultfd", GROUP="rsm", MODE="0660"' &&
    ok "the udev rule gives /dev/userfaultfd to group rsm" ||
    bad "no udev rule for /dev/userfaultfd"
holds rsm-tools usr/sbin/rsmadm && ok "rsm-tools holds rsmadm" || bad "rsm-tools lacks rsmadm"
holds librsm-dev usr/include/rsmapi.h && ok "librsm-dev holds rsmapi.h" || bad "librsm-dev lacks rsmapi.h"

root=$tmp/root
for p in librsm2 librsm-dev rsmd rsm-tools; do
	dpkg-deb -x "$tmp/${p}_"*.deb "$root"
done
libdir=$(dirname "$(find "$root/usr/lib" -name 'librsm.so.2' | head -1)")
# librsm.pc names libsodium in Requires.private (librsm-dev depends on
# libsodium-dev): the system's own .pc files stay on the path.
PKG_CONFIG_SYSROOT_DIR=$root \
    PKG_CONFIG_LIBDIR=$libdir/pkgconfig:$(pkg-config --variable pc_path pkg-config) \
    pkg-config --exists librsm && ok "pkg-config finds librsm in the root" ||
    bad "no librsm.pc in the root"
mkdir -p "$tmp/demo/examples"
if cc -std=c11 -D_GNU_SOURCE -O2 -I"$root/usr/include" -I"$src/util" -o "$tmp/demo/examples/rsm_demo" \
    "$src/examples/rsm_demo.c" "$src/util/rsm_err.c" -L"$libdir" -lrsm \
    >"$tmp/cc.log" 2>&1; then
	ok "the demo builds against the packaged librsm-dev"
else
	bad "the demo does not build:"; cat "$tmp/cc.log"
fi
if LD_LIBRARY_PATH=$libdir RSMD=$root/usr/sbin/rsmd RSMADM=$root/usr/sbin/rsmadm \
    RSM_DEMO=$tmp/demo/examples/rsm_demo "$src/examples/run-demo.sh" "$tmp/demo" \
    >"$tmp/demo.log" 2>&1; then
	ok "the two-node demo runs on the packaged rsmd, rsmadm and librsm"
else
	bad "the two-node demo:"; tail -30 "$tmp/demo.log"
fi
# The demo's programs really were the packaged ones.
if LD_LIBRARY_PATH=$libdir ldd "$tmp/demo/examples/rsm_demo" 2>/dev/null |
    grep -q "$libdir/librsm.so.2"; then
	ok "rsm_demo loads the packaged librsm.so.2"
else
	bad "rsm_demo does not load the packaged librsm"
fi
exit $fail
