#!/usr/bin/env bash
# test_segment.sh - daemon segments (rsmadm segment, rsmadm(8)) on two
# nodes: created, written and read by rsmadm on node 1; imported on node
# 1 through loopback and from node 2 through tcp0, their bytes seen both
# ways; the mode, owner and quota decided for the uid that asks; bad
# requests refused with the documented errors while rsmd keeps running;
# removed while imported (importers keep it until they disconnect); and
# after a restart, node 1's segments taken back from segment_dir with
# their contents while node 2's (memfds) are gone.  The EXAMPLES of
# rsmadm(8) about segments run as the page shows them.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_NOT_PUBLISHED=7
E_PERM=27
SEG=0x500010
PAGE=$(getconf PAGESIZE)
SMALL=$(( (5000 + PAGE - 1) / PAGE * PAGE ))	# 5000 bytes, rounded up
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
MAN_PAGE=${RSM_TEST_SRCDIR:-$(dirname "$0")/..}/../man/rsmadm.8

net_require
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
net_setup 2 || { echo "network setup failed"; exit 1; }
SEGDIR=$(node_dir 1)/segs
mkdir -p "$SEGDIR"
# As an operator would: the directory belongs to the user rsmd runs as
# (tests/proc/test_unprivileged.sh and scripts/check.sh set one).
[ -n "${RSM_TEST_RSMD_USER:-}" ] && chown "$RSM_TEST_RSMD_USER:" "$SEGDIR"
node_conf 1 "data_listen = 0.0.0.0:0
segment_dir = $SEGDIR
quota_segments = 4"
node_conf 2 "data_listen = 0.0.0.0:0"
for i in 1 2; do
	node_start "$i" || nok "node $i starts"
done
check "nodes see each other up" wait_until 5000 all_up 1
wait_until 5000 all_up 2
pid1=$(node_pid 1)

# pattern OFF LEN SEED: the bytes remote_probe's put and fill make.
pattern() {
	python3 -c '
import sys
off, n, seed = map(int, sys.argv[1:])
sys.stdout.buffer.write(bytes((seed * 131 + p * 7 + (p >> 8) + (p >> 16)) & 255
    for p in range(off, off + n)))' "$@"
}
# fnv: remote_probe's checksum (FNV-1a, 64 bits) of stdin, as it prints it.
fnv() {
	python3 -c '
import sys
h = 0xcbf29ce484222325
for b in sys.stdin.buffer.read():
    h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
print("%016x" % h)'
}
# seg_field ID COLUMN: a column of "rsmadm segment list" on node 1.
seg_field() {
	adm 1 segment list | awk -v id="$(printf '0x%08x' "$1")" -v c="$2" \
	    '$1 == id { print $c }'
}
# expect_fail WANT_EXIT PATTERN COMMAND...: the command exits WANT_EXIT,
# saying PATTERN on stderr, and prints nothing on stdout.
expect_fail() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>"$NET_DIR/err"); rc=$?
	[ "$rc" = "$want" ] && [ -z "$out" ] && grep -q -- "$pat" "$NET_DIR/err"
}
rsmd1_alive() { [ "$(node_pid 1)" = "$pid1" ] && kill -0 "$pid1" && \
    adm 1 status >/dev/null; }

# ---- create, write, read ----
check "create a 64 KiB segment" adm 1 segment create $SEG 64K --mode 0660
check "it is listed with its size and mode" \
    test "$(seg_field $SEG 4) $(seg_field $SEG 5)" = "65536 0660"
check "its owner is the creator (uid 0)" test "$(seg_field $SEG 3)" = 0
check "the segments list shows it too" eval "adm 1 segments | grep -q '^0x00500010 '"
check "its files are in segment_dir" \
    test -f "$SEGDIR/00500010.data" -a -f "$SEGDIR/00500010.meta"
check "a size is rounded up to a page" adm 1 segment create 0x500011 5000
check "... and listed so" test "$(seg_field 0x500011 4)" = "$SMALL"

printf 'hello, segment' | adm 1 segment write $SEG 100
check "write, then read back" test "$(adm 1 segment read $SEG 100 14)" = \
    "hello, segment"
pattern 4093 9000 3 >"$NET_DIR/p3"
adm 1 segment write $SEG 4093 <"$NET_DIR/p3"
adm 1 segment read $SEG 4093 9000 >"$NET_DIR/r3"
check "9000 bytes (several packets) written and read back" \
    cmp -s "$NET_DIR/p3" "$NET_DIR/r3"
check "a read of the whole segment is 64 KiB" \
    test "$(adm 1 segment read $SEG 0 65536 | wc -c)" = 65536

# ---- imports: loopback on node 1, tcp0 from node 2 ----
RSM_PROBE_CTLR=loopback probe_start imp1 1 import 1 $SEG rw
check_rc "a process on node 1 imports it through loopback" 0 "$P_LAST"
a=$(probe_say imp1 "get 4093 9000")
check "node 1's importer sees rsmadm's bytes" \
    test "$(sum_of "$a")" = "$(fnv <"$NET_DIR/p3")"
a=$(probe_say imp1 "put 20000 5000 9")
check "rsmadm reads node 1's importer's put" test "$(sum_of "$a")" = \
    "$(adm 1 segment read $SEG 20000 5000 | fnv)"

probe_start imp2 2 import 1 $SEG rw
check_rc "a process on node 2 imports it through tcp0" 0 "$P_LAST"
a=$(probe_say imp2 "get 4093 9000")
check "node 2's importer sees rsmadm's bytes" \
    test "$(sum_of "$a")" = "$(fnv <"$NET_DIR/p3")"
a=$(probe_say imp2 "put 30000 3000 5")
check "rsmadm reads node 2's importer's put" test "$(sum_of "$a")" = \
    "$(adm 1 segment read $SEG 30000 3000 | fnv)"
check "the list counts both importers" \
    wait_until 2000 eval "test \"\$(seg_field $SEG 7)\" = 2"
check_rc "a post to rsmd's segment reaches nobody, and is no error" 0 \
    "$(probe_say imp2 post)"

# ---- rights ----
P_AS=$NOBODY probe_start impn 2 import 1 $SEG r
check_rc "uid 65534 on node 2 may not import a 0660 root segment" \
    $E_PERM "$P_LAST"
probe_close impn
check "uid 65534 may not read it" expect_fail 3 RSMERR_PERM_DENIED \
    $NOBODY "$RSMADM_BIN" -s "$(node_sock 1)" segment read $SEG 0 4
check "uid 65534 may not write it" expect_fail 3 RSMERR_PERM_DENIED \
    sh -c "echo x | $NOBODY $RSMADM_BIN -s $(node_sock 1) segment write $SEG 0"
check "uid 65534 may not create one" expect_fail 3 RSMERR_PERM_DENIED \
    $NOBODY "$RSMADM_BIN" -s "$(node_sock 1)" segment create 0x500020 4K
check "uid 65534 may not remove one" expect_fail 3 RSMERR_PERM_DENIED \
    $NOBODY "$RSMADM_BIN" -s "$(node_sock 1)" segment remove $SEG
adm 1 segment create 0x500012 8K --mode 0600 --owner 65534:65534
printf 'kept' | adm 1 segment write 0x500012 8188
check "a segment owned by uid 65534 is listed so" \
    test "$(seg_field 0x500012 3)" = 65534
check "its owner reads it" test "$($NOBODY "$RSMADM_BIN" -s \
    "$(node_sock 1)" segment read 0x500012 8188 4)" = kept
check "another uid may not" expect_fail 3 RSMERR_PERM_DENIED \
    setpriv --reuid=65533 --regid=65533 --clear-groups "$RSMADM_BIN" \
    -s "$(node_sock 1)" segment read 0x500012 0 4
P_AS=$NOBODY probe_start impo 2 import 1 0x500012 rw
check_rc "its owner imports it from node 2" 0 "$P_LAST"
probe_quit impo

# ---- quotas: charged to the owner named ----
adm 1 segment create 0x500013 4K --owner 4242:4242
adm 1 segment create 0x500014 4K --owner 4242:4242
adm 1 segment create 0x500015 4K --owner 4242:4242
check "uid 4242's fourth segment fits quota_segments = 4" \
    adm 1 segment create 0x500016 4K --owner 4242:4242
check "its fifth does not" expect_fail 3 RSMERR_INSUFFICIENT_RESOURCES \
    adm 1 segment create 0x500017 4K --owner 4242:4242
check "root's third still does" adm 1 segment create 0x500017 4K
for id in 0x500013 0x500014 0x500015 0x500016 0x500017; do
	adm 1 segment remove $id
done

# ---- bad input: the documented errors, and rsmd keeps running ----
check "a size above max_segment_size" expect_fail 3 RSMERR_BAD_LENGTH \
    adm 1 segment create 0x500030 1000000G
check "a size past 2^64" expect_fail 1 "is not a size" \
    adm 1 segment create 0x500030 99999999999999999999
check "a reserved id" expect_fail 3 RSMERR_RESERVED_SEGID \
    adm 1 segment create 5 4K
check "an automatic id" expect_fail 3 RSMERR_RESERVED_SEGID \
    adm 1 segment create 0x80000001 4K
check "an id that is not a number" expect_fail 1 "is not a segment id" \
    adm 1 segment read zz 0 1
check "an id in use" expect_fail 3 RSMERR_SEGID_IN_USE \
    adm 1 segment create $SEG 4K
check "a bad mode" expect_fail 1 "is not a mode" \
    adm 1 segment create 0x500030 4K --mode 0999
check "a bad access list" expect_fail 1 "is not an access list" \
    adm 1 segment create 0x500030 4K --acl 1:0666,x
check "an access list entry past the node ids" expect_fail 1 \
    "is not an access list" adm 1 segment create 0x500030 4K --acl 70000:0600
check "an unknown id" expect_fail 3 RSMERR_SEG_NOT_PUBLISHED \
    adm 1 segment read 0x500099 0 1
check "a read past the end" expect_fail 3 RSMERR_BAD_OFFSET \
    adm 1 segment read $SEG 65530 7
check "a read at the end" expect_fail 3 RSMERR_BAD_OFFSET \
    adm 1 segment read $SEG 65536 1
check "a read whose end wraps" expect_fail 1 "is not a length" \
    adm 1 segment read $SEG 16 18446744073709551610
check "a write past the end writes nothing" expect_fail 1 "nothing written" \
    sh -c "head -c 100 /dev/zero | $RSMADM_BIN -s $(node_sock 1) segment write $SEG 65500"
check "... indeed: the bytes there are still zero" test \
    "$(adm 1 segment read $SEG 65500 36 | od -An -tx1 | tr -d ' \n')" = \
    "$(head -c 36 /dev/zero | od -An -tx1 | tr -d ' \n')"
check "a write at the end" expect_fail 1 "past the end" \
    sh -c "echo x | $RSMADM_BIN -s $(node_sock 1) segment write $SEG 65536"
check "a write to an unknown id" expect_fail 3 "no segment" \
    sh -c "echo x | $RSMADM_BIN -s $(node_sock 1) segment write 0x500099 0"
check "huge pages with segment_dir" expect_fail 3 RSMERR_BAD_MODE \
    adm 1 segment create 0x500030 2M --hugepages
# Huge pages (node 2: memfds): the size a multiple of the huge page size,
# the pages reserved; without reserved ones, no memory.
hp_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
if [ -d /sys/kernel/mm/hugepages ]; then
	check "huge pages for a size that is not a multiple of theirs" \
	    expect_fail 3 RSMERR_BAD_LENGTH \
	    adm 2 segment create 0x500031 4K --hugepages
	if [ "${hp_free:-0}" = 0 ]; then
		check "huge pages with none reserved" expect_fail 3 \
		    RSMERR_INSUFFICIENT_MEM \
		    adm 2 segment create 0x500031 2M --hugepages
	else
		check "huge pages" adm 2 segment create 0x500031 2M --hugepages
		adm 2 segment remove 0x500031
	fi
fi
check "an unknown subcommand" expect_fail 1 "unknown subcommand" \
    adm 1 segment frob
check "rsmd 1 is still running, the same process" rsmd1_alive

# ---- remove while imported ----
check "remove the imported segment" adm 1 segment remove $SEG
check "its files are gone at once" test ! -e "$SEGDIR/00500010.data" -a \
    ! -e "$SEGDIR/00500010.meta"
check "it is listed unpublished, with its two importers" \
    eval "adm 1 segments | awk '\$1 == \"-\" && \$7 == 2' | grep -q ."
check "rsmadm can no longer read it" expect_fail 3 RSMERR_SEG_NOT_PUBLISHED \
    adm 1 segment read $SEG 0 1
a=$(probe_say imp2 "get 30000 3000")
check "node 2's importer still reads it" test "$(rc_of "$a")/$(sum_of "$a")" = \
    "0/$(pattern 30000 3000 5 | fnv)"
a=$(probe_say imp1 "put 0 64 11")
check_rc "node 1's importer still writes it" 0 "$a"
probe_start imp3 2 import 1 $SEG r
check_rc "a new import is refused" $E_NOT_PUBLISHED "$P_LAST"
probe_close imp3
check "the id can be created again meanwhile" adm 1 segment create $SEG 4K
check "... as a new segment" test "$(seg_field $SEG 4)" = 4096
probe_quit imp1
probe_quit imp2
check "the removed one is freed once its importers are gone" \
    wait_until 3000 eval "! adm 1 segments | grep -q '^- '"
adm 1 segment remove $SEG

# ---- the manual's example ----
# The second EXAMPLES block of rsmadm(8): "# " lines are run on node 2,
# which has no segment of its own yet; the other lines are what they
# print (owner pids masked: they vary).
man_block() {
	sed -n '/^\.SH EXAMPLES/,/^\.SH SEE/p' "$MAN_PAGE" |
	    awk '/^\.EX/ { n++; in_ex = 1; next } /^\.EE/ { in_ex = 0 }
		in_ex && n == 2' | sed 's/\\-/-/g'
}
mask() { sed -E 's/^(0x[0-9a-f]{8}) +[0-9]+/\1 PID/' | tr -s ' '; }
rsmadm() { adm 2 "$@"; }
man_block >"$NET_DIR/man"
check "rsmadm(8) has a segment example" grep -q '^# rsmadm segment' "$NET_DIR/man"
: >"$NET_DIR/got"
while IFS= read -r line; do
	case $line in
	"# "*) eval "${line#\# }" >>"$NET_DIR/got" 2>&1 </dev/null ;;
	esac
done <"$NET_DIR/man"
grep -v '^# ' "$NET_DIR/man" | mask >"$NET_DIR/want"
mask <"$NET_DIR/got" >"$NET_DIR/got.m"
if cmp -s "$NET_DIR/want" "$NET_DIR/got.m"; then
	ok "rsmadm(8)'s segment example prints what the page shows"
else
	nok "rsmadm(8)'s segment example prints what the page shows"
	diff "$NET_DIR/want" "$NET_DIR/got.m" | sed 's/^/# /'
fi
unset -f rsmadm

# ---- restart: segment_dir's segments come back, memfds do not ----
check "node 2 creates a memfd segment" adm 2 segment create 0x500040 4K
node_stop 1
node_start 1 || nok "node 1 restarts"
check "node 1 adopted its segment from segment_dir" \
    log_has 1 "segment 0x500012 adopted"
check "with its owner, size and mode" test "$(seg_field 0x500012 3) \
$(seg_field 0x500012 4) $(seg_field 0x500012 5)" = "65534 8192 0600"
check "and its contents" test "$(adm 1 segment read 0x500012 8188 4)" = kept
check "and the small one too" test "$(seg_field 0x500011 4)" = "$SMALL"
check "a removed segment is not back" test -z "$(seg_field $SEG 4)"
check "nodes see each other up again" wait_until 5000 all_up 2
P_AS=$NOBODY probe_start impr 2 import 1 0x500012 rw
check_rc "its owner imports it from node 2 again" 0 "$P_LAST"
a=$(probe_say impr "get 8188 4")
check "and reads its bytes" test "$(sum_of "$a")" = \
    "$(printf kept | fnv)"
probe_quit impr
RSM_PROBE_CTLR=loopback P_AS=$NOBODY probe_start imprl 1 import 1 0x500012 r
check_rc "and on node 1, read-only, through loopback" 0 "$P_LAST"
a=$(probe_say imprl "get 8188 4")
check "the read-only reopen of its file holds its bytes" \
    test "$(sum_of "$a")" = "$(printf kept | fnv)"
probe_quit imprl
node_stop 2
node_start 2 || nok "node 2 restarts"
check "node 2's memfd segment died with its rsmd" \
    test -z "$(adm 2 segment list | awk '$1 == "0x00500040"')"

# A metadata file that is not one is left alone, with a warning.
node_stop 1
printf 'rsm-dseg 1\nsegid 0x500050\nsize 4096\nmode 0999\n' \
    >"$SEGDIR/00500050.meta"
: >"$SEGDIR/00500050.data"
node_start 1 || nok "node 1 restarts again"
check "a bad metadata file is reported" \
    log_has 1 "00500050.meta: not a segment's metadata"
check "... and left alone" test -f "$SEGDIR/00500050.meta"
check "the good ones are still adopted" test "$(seg_field 0x500012 4)" = 8192
node_stop 1
node_stop 2

net_summary
