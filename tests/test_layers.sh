#!/usr/bin/env bash
# The layers of the tree, checked on the sources themselves (doc/tree.md):
#
#   include/   public headers: anyone
#   proto/     wire formats, the controller table: include/
#   util/      shared helpers: include/
#   rdma/      rdma-core's dlopen table and devices: include/
#   transport/ the ops table (transport.h) and one folder per transport:
#              include/ proto/ util/ rdma/, transport.h, its own folder
#   librsm/    the library: include/ proto/ util/ and transport.h only
#   rsmd/      the daemon: include/ proto/ util/ rdma/
#   rsmadm/    the tool, which speaks only the protocol: include/ proto/ util/
#   bench/, examples/: include/ util/ (bench: proto/ and rsmadm.h too)
#
# Every #include "..." of those folders must resolve inside what its
# folder may use; and no code outside the controller table, the
# transports and the daemon's data services names a transport kind or a
# controller: they read the table (proto/rsm_ctlr.h).
set -u
src=${RSM_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/..
cd "$src" || exit 99
fail=0 checked=0

# allowed FILE: the folders (and single headers) FILE's includes may use.
allowed() {
	case $1 in
	include/*)	echo "include" ;;
	proto/*)	echo "include proto" ;;
	util/*)		echo "include util" ;;
	rdma/*)		echo "include rdma" ;;
	transport/*/*)	echo "include proto util rdma transport/transport.h ${1%/*}" ;;
	transport/*)	echo "include proto util rdma transport" ;;
	librsm/*)	echo "include proto util librsm transport/transport.h" ;;
	job/*)		echo "include job" ;;
	rsmd/*)		echo "include proto util rdma rsmd" ;;
	rsmadm/*)	echo "include proto util rsmadm" ;;
	bench/*)	echo "include util proto rsmadm/rsmadm.h bench" ;;
	examples/*)	echo "include util examples" ;;
	esac
}

# Where "name" resolves: the including file's folder, then every root.
resolve() {	# resolve FILE NAME
	local d
	for d in "${1%/*}" include proto util rdma transport librsm rsmd rsmadm bench; do
		[ -f "$d/$2" ] && { echo "$d/$2"; return; }
	done
}

for f in $(find include proto util rdma transport librsm job rsmd rsmadm bench examples \
    -name '*.[ch]' | sort); do
	ok=$(allowed "$f")
	while IFS= read -r name; do
		checked=$((checked + 1))
		[ "$name" = config.h ] && continue
		hit=$(resolve "$f" "$name")
		if [ -z "$hit" ]; then
			echo "FAIL: $f includes \"$name\", which is no file of the tree"
			fail=$((fail + 1)); continue
		fi
		good=0
		for a in $ok; do
			case $hit in
			"$a"|"$a"/*) good=1 ;;
			esac
		done
		# Only the exact header when a single file is allowed.
		for a in $ok; do
			case $a in *.h) [ "$hit" = "$a" ] && good=1 ;; esac
		done
		case $hit in "${f%/*}"/*) [ "${hit%/*}" = "${f%/*}" ] && good=1 ;; esac
		if [ $good -eq 0 ]; then
			echo "FAIL: $f includes $hit: ${f%%/*}/ may use only: $ok"
			fail=$((fail + 1))
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# Transport kinds and controller names outside their owners.
branches=$(grep -nE 'RSM_XPORT_[A-Z]+|"(loopback|shm|tcp|verbs)[0-9]*"' \
    librsm/*.c librsm/*.h rsmd/*.c rsmd/*.h rsmadm/*.c rsmadm/*.h 2>/dev/null |
    grep -vE '^rsmd/(serve_[a-z_]+|services)\.[ch]:')
if [ -n "$branches" ]; then
	echo "FAIL: transport kinds named outside the table, transports and services:"
	echo "$branches"
	fail=$((fail + 1))
fi

echo "$checked includes checked"
if [ $fail -ne 0 ]; then
	echo "$fail layer violations"
	exit 1
fi
exit 0
