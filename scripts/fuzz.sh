#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for a bounded time:
# $FUZZ_SECONDS (default 20) seconds each.  Prints one line per target and
# "N passed, N failed"; exits non-zero when a target crashed or did not
# build.  Without clang or libFuzzer it says so and exits 77.
# fuzz_config starts from the files of tests/config.
#
#   scripts/fuzz.sh [BUILD_DIR]      (default: build-fuzz beside the sources)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}
pass=0 fail=0

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-D_GNU_SOURCE -std=gnu11 -I$top/include -I$top/proto -I$top/util"

if ! command -v "$cc" >/dev/null ||
    ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' |
    "$cc" -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
	echo "SKIP: $cc with libFuzzer is not available"
	exit 77
fi
mkdir -p "$out"

# target NAME SOURCES...
target() {
	local name=$1 corpus
	shift
	corpus=$out/$name.corpus
	if ! $cc $flags "$@" -o "$out/$name" 2>"$out/$name.build.log"; then
		echo "FAIL: $name does not build"; cat "$out/$name.build.log"
		fail=$((fail + 1)); return
	fi
	mkdir -p "$corpus"
	if "$out/$name" -max_total_time="$secs" -max_len=8192 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$out/$name-" "$corpus" \
	    >"$out/$name.log" 2>&1; then
		echo "PASS: $name ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
		    "$out/$name.log" | grep -o '[0-9]*$') runs in ${secs} s)"
		pass=$((pass + 1))
	else
		echo "FAIL: $name"; tail -40 "$out/$name.log"
		fail=$((fail + 1))
	fi
}

target fuzz_peer "$top/tests/fuzz/fuzz_peer.c" "$top/proto/rsm_peer.c"
# rsm_proto.c checks ADMIN_REMOTE replies against rsm_admin.c's list.
target fuzz_msg "$top/tests/fuzz/fuzz_msg.c" "$top/proto/rsm_proto.c" \
    "$top/proto/rsm_admin.c" "$top/proto/rsm_peer.c"
# rsm_data.c proves HELLO tokens with libsodium.  Seeded with one PUTM
# frame (a 16-byte span, every other byte in its mask), so the masked
# copy is reached within the run.
mkdir -p "$out/fuzz_data.corpus"
printf '\x44\x52\x03\x09\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00'\
'\x00\x00\x00\x00\x00\x00\x00\x00\x12\x00\x00\x00\x01\x00\x00\x00'\
'\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00'\
'\x55\x55\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10' \
    >"$out/fuzz_data.corpus/seed-putm"
target fuzz_data "$top/tests/fuzz/fuzz_data.c" "$top/proto/rsm_data.c" "$top/proto/rsm_proto.c" \
    "$top/proto/rsm_admin.c" "$top/proto/rsm_peer.c" \
    $(pkg-config --cflags --libs libsodium)
# The sealed records of tcp0: hostile bytes, and round trips with a flip;
# AES-256-GCM from libcrypto where it is there, as configure picks it.
gcm_flags=
pkg-config --exists libcrypto &&
    gcm_flags="-DHAVE_LIBCRYPTO $(pkg-config --cflags --libs libcrypto)"
target fuzz_seal "$top/tests/fuzz/fuzz_seal.c" "$top/proto/rsm_data_seal.c" \
    "$top/proto/rsm_seal_gcm.c" $(pkg-config --cflags --libs libsodium) \
    $gcm_flags
target fuzz_remote "$top/tests/fuzz/fuzz_remote.c" "$top/proto/rsm_remote.c" "$top/proto/rsm_peer.c" \
    "$top/proto/rsm_admin.c" "$top/proto/rsm_proto.c"
# The configuration parser, seeded with the files of tests/config (their
# @DIR@ made a real directory, so that paths parse).
mkdir -p "$out/fuzz_config.corpus"
for f in "$top"/tests/config/good/*.conf "$top"/tests/config/bad/*.conf; do
	[ -f "$f" ] || continue
	sed 's|@DIR@|/tmp|g' "$f" >"$out/fuzz_config.corpus/seed-$(basename \
	    "$(dirname "$f")")-$(basename "$f")"
done
target fuzz_config "$top/tests/fuzz/fuzz_config.c" "$top/rsmd/config.c" \
    "$top/util/rsm_size.c" \
    -I"$top/rsmd" $(pkg-config --cflags --libs inih 2>/dev/null || echo -linih)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
