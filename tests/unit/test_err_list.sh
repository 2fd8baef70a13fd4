#!/bin/sh
# The error list of util/rsm_err.h against include/rsmapi.h: the same
# names with the same numbers, none missing on either side.  (rsm_err.c
# checks each listed number at compile time; this finds a code added to
# rsmapi.h and not to the list.)
top=${RSM_TEST_SRCDIR:-$(dirname "$0")/..}/..
api=$top/include/rsmapi.h
list=$top/util/rsm_err.h
[ -r "$api" ] && [ -r "$list" ] || { echo "cannot read $api or $list"; exit 99; }
tmp=${TMPDIR:-/tmp}/test_err_list.$$
trap 'rm -f "$tmp".a "$tmp".l' EXIT
sed -n 's/^#define[ 	]\{1,\}\(RSM_SUCCESS\|RSMERR_[A-Z0-9_]*\)[ 	]\{1,\}\([0-9]\{1,\}\).*/\1 \2/p' \
    "$api" | sort >"$tmp".a
sed -n 's/.*X(\(RSM_SUCCESS\|RSMERR_[A-Z0-9_]*\), \([0-9]\{1,\}\),.*/\1 \2/p' \
    "$list" | sort >"$tmp".l
n=$(wc -l <"$tmp".a)
[ "$n" -gt 0 ] || { echo "no codes found in $api"; exit 99; }
if ! diff "$tmp".a "$tmp".l; then
	echo "util/rsm_err.h and include/rsmapi.h disagree (< rsmapi.h, > list)"
	exit 1
fi
echo "ok: $n codes listed with their rsmapi.h numbers"
