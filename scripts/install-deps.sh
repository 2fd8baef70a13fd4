#!/usr/bin/env bash
# Installs the Debian 12 packages rsm needs to build, test and run its demo.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libcmocka-dev libjson-c-dev libinih-dev libsodium-dev \
	clang libclang-rt-14-dev \
	iproute2 procps python3 groff-base man-db >/dev/null
