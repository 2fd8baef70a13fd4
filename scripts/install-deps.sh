#!/usr/bin/env bash
# Installs the Debian 12 packages rsm needs to build, test and run its demo.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libcmocka-dev libjson-c-dev libinih-dev libsodium-dev libssl-dev libsystemd-dev \
	libibverbs-dev librdmacm-dev libucx-dev \
	clang libclang-rt-14-dev \
	iproute2 procps python3 groff-base man-db >/dev/null
# tcpdump: tests/net/test_ucx.sh records a link to show no token crosses it.
$SUDO apt-get install -y -qq --no-install-recommends tcpdump >/dev/null
# systemd-analyze, for the units' checks (tests/systemd); the Debian
# packaging tools, for tests/pkg.
$SUDO apt-get install -y -qq --no-install-recommends systemd \
	debhelper dpkg-dev fakeroot lintian >/dev/null
# ucx_perftest, the UCX figures of bench/run-bench-net.sh (optional there);
# libucx-dev above gives the headers of controller ucx0 (./configure
# --without-ucx builds without them; libucp itself is loaded at run time).
$SUDO apt-get install -y -qq --no-install-recommends ucx-utils >/dev/null
# rsm jobs (librsm_job, examples/job, tests/net/test_job*.sh): Open MPI's
# mpirun and PMIx headers (libpmix.so.2 itself is loaded at run time),
# and the peers of make bench-net: MPI RMA and Open MPI's OpenSHMEM over UCX.
$SUDO apt-get install -y -qq --no-install-recommends \
	openmpi-bin libopenmpi-dev libpmix-dev libucx-dev >/dev/null
# Slurm, for tests/net/test_job_srun.sh (srun --mpi=pmix, whose plugin
# mpi_pmix_v4.so is in slurm-wlm-basic-plugins); the test runs a munged,
# slurmctld and slurmd of its own.  None of these services may start on
# installing: a policy-rc.d refuses while they install, unless the
# machine has one of its own.
rcd=/usr/sbin/policy-rc.d
own_rcd=
if [ ! -e "$rcd" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$rcd" >/dev/null
	$SUDO chmod 755 "$rcd"
	own_rcd=1
fi
rc=0
$SUDO apt-get install -y -qq --no-install-recommends \
	slurmd slurmctld slurm-client slurm-wlm-basic-plugins munge >/dev/null || rc=$?
[ -z "$own_rcd" ] || $SUDO rm -f "$rcd"
[ "$rc" -eq 0 ] || exit "$rc"
# The guest tests (tests/vm): QEMU, Debian's kernel and its modules (rxe,
# netem; only files here, booted by QEMU), busybox for the initramfs, and
# the RDMA tools used inside the guest.
$SUDO apt-get install -y -qq --no-install-recommends \
	qemu-system-x86 linux-image-amd64 busybox-static kmod \
	rdma-core ibverbs-utils perftest >/dev/null
