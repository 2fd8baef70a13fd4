#!/usr/bin/env bash
# test_rmap.sh - remote map over tcp0: CPU loads and stores on a segment
# of another node (rsm_memseg_import_map(3RSM)), default configurations.
#
# Node 1 exports; processes on nodes 2 and 3 map it.  Loads see what the
# exporter wrote; stores reach it at close_barrier (and at unmap); two
# importers writing disjoint halves of one page merge; open_barrier makes
# another importer see them; a read-only map refuses stores (SIGSEGV in a
# child); a fork child does not inherit the mapping; RSM_MAP_FIXED;
# stores found by twins (RSM_MAP_TRACK=twin) and by synchronous
# write-protect faults (RSM_MAP_TRACK=wp-sync); rsmadm status names the
# node's tracking; write(2) and
# read(2) on pages not fetched yet; an unprivileged importer (a full
# userfaultfd through the device rsmd lends; with RSM_MAP_UFFD=
# user-mode-only a syscall on an absent page fails EFAULT, as
# documented); disconnect while mapped; a thread blocked in a fault
# when the link to the exporter is cut: it resumes (zero page) within the
# node-death bound, and the next close_barrier says RSMERR_CONN_ABORTED;
# the exporter killed with kill -9: the same.  A 256 MiB segment goes
# through a 16 MiB cache with checksums.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_ABORTED=40
E_STILL_MAPPED=10
E_ALREADY_MAPPED=9
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 2000 ))
MIB=1048576
SEG=0x500001
PG=4096

# $P_ENV: the environment of the next probe (RSM_DEBUG=1 makes librsm
# say which fault and write tracking a remote map uses).
probe_exec() { local n=$1; shift; exec ip netns exec "$(node_ns "$n")" env ${P_ENV:-} "$@"; }
P_ENV=RSM_DEBUG=1

net_require
net_setup 3 || { echo "network setup failed"; exit 1; }
for i in 1 2 3; do
	node_conf "$i"
	node_start "$i" || nok "node $i starts"
done
for i in 1 2 3; do
	check "node $i sees the others up" wait_until 8000 all_up "$i"
done

probe_start exp 1 export $SEG $((64 * MIB)) 2:0666 3:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
e=$(probe_say exp "fill 0 $((64 * MIB)) 5")

# ---- loads ----
probe_start a 2 import 1 $SEG rw
check_rc "node 2 connects" 0 "$P_LAST"
a=$(probe_say a "map 0 $((64 * MIB)) rw")
check_rc "node 2 maps the whole 64 MiB segment read-write" 0 "$a"
check "librsm says how (RSM_DEBUG): $(tail -1 "$NET_DIR/a.err")" \
    grep -q "remote map of segment $SEG of node 1, $((64 * MIB)) bytes at offset 0: userfaultfd" "$NET_DIR/a.err"
# Linux 6.7 and later track stores with asynchronous write-protection.
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kv" -ge 6007 ]; then
	check "on Linux $(uname -r) stores are tracked with wp-async" \
	    grep -q ": userfaultfd, wp-async$" "$NET_DIR/a.err"
fi
check_rc "mapping it twice is refused" $E_ALREADY_MAPPED \
    "$(probe_say a "map 0 $PG rw")"
for r in "0 1" "1 8" "4095 2" "65536 4096" "$((3 * MIB + 5)) 100000" \
    "$((64 * MIB - 4096)) 4096"; do
	set -- $r
	got=$(probe_say a "mload $1 $2")
	want=$(probe_say exp "sum $1 $2")
	check "loads at $1 (+$2) see the exporter's bytes" \
	    test "$(sum_of "$got")" = "$(sum_of "$want")" -a "$(rc_of "$got")" = 0
done
got=$(probe_say a "mload 0 $((64 * MIB))")
want=$(probe_say exp "sum 0 $((64 * MIB))")
check "a sequential read of all 64 MiB checksums" \
    test "$(sum_of "$got")" = "$(sum_of "$want")"

# ---- stores and barriers ----
probe_say a "mstore 8192 100 9" >/dev/null
check "a store is not at the exporter before a barrier" \
    test "$(sum_of "$(probe_say exp "sum 8192 100")")" != \
    "$(sum_of "$(probe_say a "mload 8192 100")")"
before=$(probe_say exp "sum 8192 100")
check_rc "close_barrier" 0 "$(probe_say a bclose)"
after=$(probe_say exp "sum 8192 100")
check "after close_barrier the exporter holds the stores" \
    test "$(sum_of "$after")" = "$(sum_of "$(probe_say a "mload 8192 100")")"
check "and they changed its bytes" test "$(sum_of "$before")" != "$(sum_of "$after")"
check "bytes next to the stores are untouched" \
    test "$(sum_of "$(probe_say exp "sum 8292 3900")")" = \
    "$(sum_of "$(probe_say a "mload 8292 3900")")"
probe_say a "mstore $((5 * MIB)) 70000 11" >/dev/null
check_rc "order_barrier writes back too" 0 "$(probe_say a border)"
check "the exporter holds those after order_barrier" \
    test "$(sum_of "$(probe_say exp "sum $((5 * MIB)) 70000")")" = \
    "$(sum_of "$(probe_say a "mload $((5 * MIB)) 70000")")"

# ---- two importers, disjoint halves of one page, and open_barrier ----
probe_start b 3 import 1 $SEG rw
check_rc "node 3 connects" 0 "$P_LAST"
check_rc "node 3 maps the first MiB" 0 "$(probe_say b "map 0 $MIB rw")"
probe_say a "mload 16384 4096" >/dev/null
probe_say b "mload 16384 4096" >/dev/null
probe_say a "mstore 16384 2048 21" >/dev/null
probe_say b "mstore 18432 2048 22" >/dev/null
check_rc "node 2 closes its barrier" 0 "$(probe_say a bclose)"
check_rc "node 3 closes its barrier" 0 "$(probe_say b bclose)"
ha=$(probe_say a "mload 16384 2048"); hb=$(probe_say b "mload 18432 2048")
check "the exporter's page holds both halves (merged)" eval \
    '[ "$(sum_of "$(probe_say exp "sum 16384 2048")")" = "$(sum_of "$ha")" ] &&
     [ "$(sum_of "$(probe_say exp "sum 18432 2048")")" = "$(sum_of "$hb")" ]'
check "before open_barrier node 2 still sees its stale second half" \
    test "$(sum_of "$(probe_say a "mload 18432 2048")")" != "$(sum_of "$hb")"
check_rc "node 2 opens a barrier" 0 "$(probe_say a bopen)"
check "after open_barrier node 2 sees node 3's half" \
    test "$(sum_of "$(probe_say a "mload 18432 2048")")" = "$(sum_of "$hb")"
probe_say exp "fill $((2 * MIB)) 4096 31" >/dev/null
check_rc "node 2 opens again" 0 "$(probe_say a bopen)"
check "and sees what the exporter wrote meanwhile" \
    test "$(sum_of "$(probe_say a "mload $((2 * MIB)) 4096")")" = \
    "$(sum_of "$(probe_say exp "sum $((2 * MIB)) 4096")")"

# ---- unmap writes back; disconnect while mapped ----
check_rc "disconnect while mapped is refused" $E_STILL_MAPPED \
    "$(probe_say b disconnect)"
probe_say b "mstore 40000 500 41" >/dev/null
s=$(probe_say b "mload 40000 500")
check_rc "node 3 unmaps" 0 "$(probe_say b unmap)"
check "its stores reached the exporter at unmap" \
    test "$(sum_of "$(probe_say exp "sum 40000 500")")" = "$(sum_of "$s")"
check_rc "then disconnects" 0 "$(probe_say b disconnect)"
probe_quit b

# ---- read-only map, fork, RSM_MAP_FIXED ----
probe_start r 3 import 1 $SEG r
check_rc "node 3 connects read-only" 0 "$P_LAST"
check_rc "and maps read-only" 0 "$(probe_say r "map $MIB $MIB r")"
check "loads through it work" test "$(sum_of "$(probe_say r "mload $MIB 4096")")" = \
    "$(sum_of "$(probe_say exp "sum $MIB 4096")")"
check "a store through it faults (SIGSEGV in a child)" \
    test "$(probe_say r "storefault $((MIB + 100))")" = "rc=0 sig=11"
check "a fork child has no remote mapping (SIGSEGV)" \
    test "$(probe_say r "forkload $((MIB + 100))")" = "rc=0 sig=11"
check_rc "unmap" 0 "$(probe_say r unmap)"
f=$(probe_say r "mapfixed $((3 * MIB)) $MIB r")
check "RSM_MAP_FIXED maps at the address asked for ($f)" test "$f" = "rc=0 same=1"
check "and loads there see the segment" \
    test "$(sum_of "$(probe_say r "mload $((3 * MIB)) $MIB")")" = \
    "$(sum_of "$(probe_say exp "sum $((3 * MIB)) $MIB")")"
probe_quit r

# ---- syscalls on pages not fetched yet (a full userfaultfd: root) ----
probe_start s 3 import 1 $SEG rw
check_rc "node 3 connects again" 0 "$P_LAST"
check_rc "maps" 0 "$(probe_say s "map 0 $((64 * MIB)) rw")"
check "write(2) from unfetched pages carries the exporter's bytes" \
    test "$(sum_of "$(probe_say s "sysw $((7 * MIB)) 300000")")" = \
    "$(sum_of "$(probe_say exp "sum $((7 * MIB)) 300000")")"
w=$(probe_say s "sysr $((9 * MIB)) 200000 51")
check_rc "read(2) into unfetched pages" 0 "$w"
check_rc "close_barrier" 0 "$(probe_say s bclose)"
check "the exporter holds what read(2) stored" \
    test "$(sum_of "$(probe_say exp "sum $((9 * MIB)) 200000")")" = "$(sum_of "$w")"
probe_quit s

# ---- stores found by comparing twins (kernels before 6.7) ----
P_ENV="RSM_DEBUG=1 RSM_MAP_TRACK=twin"
probe_start t 3 import 1 $SEG rw
check_rc "node 3 connects (RSM_MAP_TRACK=twin)" 0 "$P_LAST"
check_rc "maps" 0 "$(probe_say t "map 0 $((4 * MIB)) rw")"
check "librsm says it compares twins" grep -q ": userfaultfd, twins$" "$NET_DIR/t.err"
probe_say t "mload 0 $((4 * MIB))" >/dev/null
probe_say t "mstore 300000 5000 81" >/dev/null
probe_say t "mstore $((3 * MIB)) 3 82" >/dev/null
check_rc "close_barrier" 0 "$(probe_say t bclose)"
check "the exporter holds both stores" eval \
    '[ "$(sum_of "$(probe_say exp "sum 300000 5000")")" = "$(sum_of "$(probe_say t "mload 300000 5000")")" ] &&
     [ "$(sum_of "$(probe_say exp "sum $((3 * MIB)) 3")")" = "$(sum_of "$(probe_say t "mload $((3 * MIB)) 3")")" ]'
check "and nothing else changed" test \
    "$(sum_of "$(probe_say exp "sum 0 $((4 * MIB))")")" = \
    "$(sum_of "$(probe_say t "mload 0 $((4 * MIB))")")"
probe_quit t

# ---- stores found by synchronous write-protect faults (5.19 to 6.6) ----
P_ENV="RSM_DEBUG=1 RSM_MAP_TRACK=wp-sync"
probe_start w 3 import 1 $SEG rw
check_rc "node 3 connects (RSM_MAP_TRACK=wp-sync)" 0 "$P_LAST"
check_rc "maps" 0 "$(probe_say w "map 0 $((4 * MIB)) rw")"
check "librsm says it takes write-protect faults" \
    grep -q ": userfaultfd, wp-sync$" "$NET_DIR/w.err"
probe_say w "mload 0 $((2 * MIB))" >/dev/null
# Stores to fetched pages (each faults once), and one to a page not
# fetched yet (mapped writable at its first fault).
probe_say w "mstore 400000 9000 91" >/dev/null
probe_say w "mstore $((3 * MIB + 5)) 7 92" >/dev/null
check_rc "close_barrier" 0 "$(probe_say w bclose)"
check "the exporter holds both stores" eval \
    '[ "$(sum_of "$(probe_say exp "sum 400000 9000")")" = "$(sum_of "$(probe_say w "mload 400000 9000")")" ] &&
     [ "$(sum_of "$(probe_say exp "sum $((3 * MIB + 5)) 7")")" = "$(sum_of "$(probe_say w "mload $((3 * MIB + 5)) 7")")" ]'
# After the barrier the pages are protected again: a second store to the
# same page must fault and travel at the next barrier.
probe_say w "mstore 400100 50 93" >/dev/null
check_rc "a second close_barrier" 0 "$(probe_say w bclose)"
check "the store made after the first barrier reached the exporter" test \
    "$(sum_of "$(probe_say exp "sum 400100 50")")" = \
    "$(sum_of "$(probe_say w "mload 400100 50")")"
check "and nothing else changed" test \
    "$(sum_of "$(probe_say exp "sum 0 $((4 * MIB))")")" = \
    "$(sum_of "$(probe_say w "mload 0 $((4 * MIB))")")"
check_rc "unmap" 0 "$(probe_say w unmap)"
check "write-protect faults were taken: $(grep 'remote map closed' "$NET_DIR/w.err" | tail -1)" \
    grep -Eq "closed: [0-9]+ faults \([1-9][0-9]* write-protect\)" "$NET_DIR/w.err"
probe_quit w

# ---- a write-back of many runs: every other byte of 1 MiB ----
# Pages whose changed bytes are many short runs travel as one masked
# entry each (PUTM): the exporter's bytes between the stored ones must
# stay untouched all the same.
probe_start v 3 import 1 $SEG rw
check_rc "node 3 connects" 0 "$P_LAST"
check_rc "maps 2 MiB" 0 "$(probe_say v "map 0 $((2 * MIB)) rw")"
probe_say v "mstride $((MIB / 2)) $MIB 2" >/dev/null
check_rc "close_barrier sends 524288 one-byte runs" 0 "$(probe_say v bclose)"
check "the exporter holds exactly them" test \
    "$(sum_of "$(probe_say exp "sum 0 $((2 * MIB))")")" = \
    "$(sum_of "$(probe_say v "mload 0 $((2 * MIB))")")"

# ---- two importers, interleaved bytes of the same pages ----
# Node 2 adds 1 to the even bytes of two pages, node 3 to the odd ones,
# both from the same fetched bytes: masked write-backs merge byte for
# byte, so the exporter ends with every byte one up.  Node 3 then makes
# the same change locally (its even bytes too): its view is what the
# exporter must hold.
R=$((7 * MIB / 4))
probe_say exp "fill $R 8192 93" >/dev/null
check_rc "node 2 drops what it read before" 0 "$(probe_say a bopen)"
check_rc "node 3 too (read ahead of its stride)" 0 "$(probe_say v bopen)"
probe_say a "mload $R 8192" >/dev/null
probe_say v "mload $R 8192" >/dev/null
probe_say a "mstride $R 8192 2" >/dev/null
probe_say v "mstride $((R + 1)) 8191 2" >/dev/null
check_rc "node 2 closes its barrier (even bytes)" 0 "$(probe_say a bclose)"
check_rc "node 3 closes its barrier (odd bytes)" 0 "$(probe_say v bclose)"
want=$(probe_say v "mstride $R 8192 2")
check "the exporter holds both importers' bytes, merged exactly" \
    test "$(sum_of "$(probe_say exp "sum $R 8192")")" = "$(sum_of "$want")"
check "and the bytes around the pages are untouched" eval \
    '[ "$(sum_of "$(probe_say exp "sum $((R - 4096)) 4096")")" = "$(sum_of "$(probe_say v "mload $((R - 4096)) 4096")")" ] &&
     [ "$(sum_of "$(probe_say exp "sum $((R + 8192)) 4096")")" = "$(sum_of "$(probe_say v "mload $((R + 8192)) 4096")")" ]'
check_rc "unmap" 0 "$(probe_say v unmap)"
# 256 pages of the stride, 2 of the odd bytes, and at unmap the 2 of
# node 3's local change.
masked=$(sed -n 's/.*closed: .* \([0-9]*\) pages written back masked$/\1/p' "$NET_DIR/v.err" | tail -1)
check "every page of short runs went masked (${masked:-?} pages)" \
    test "${masked:-0}" -eq $(( MIB / PG + 4 ))
probe_quit v

# ---- after an open barrier, what was read before comes back in one fetch ----
fetches_of() { sed -n 's/.*closed: .* faults (.*), \([0-9]*\) fetches.*/\1/p' "$NET_DIR/$1.err" | tail -1; }
P_ENV=RSM_DEBUG=1
probe_start h1 3 import 1 $SEG r
check_rc "node 3 connects" 0 "$P_LAST"
check_rc "maps 1 MiB read-only" 0 "$(probe_say h1 "map 0 $MIB r")"
probe_say h1 "mload 0 $MIB" >/dev/null
check_rc "and unmaps after one pass" 0 "$(probe_say h1 unmap)"
probe_quit h1
probe_start h2 3 import 1 $SEG r
check_rc "maps it again" 0 "$(probe_say h2 "map 0 $MIB r")"
probe_say h2 "mload 0 $MIB" >/dev/null
check_rc "open_barrier drops every page" 0 "$(probe_say h2 bopen)"
probe_say h2 "mload 0 $MIB" >/dev/null
check_rc "unmaps after the second pass" 0 "$(probe_say h2 unmap)"
probe_quit h2
f1=$(fetches_of h1) f2=$(fetches_of h2)
check "the second pass took one fetch (one pass: ${f1:-?} fetches, two: ${f2:-?})" \
    test "${f2:-0}" -eq $(( ${f1:-0} + 1 )) -a "${f1:-0}" -gt 1

# ---- which tracking rsmadm reports for this node's kernel ----
case $(uname -r) in
[0-5].*|6.[0-6].*) want_track=wp-sync ;;
*) want_track=wp-async ;;
esac
check "rsmadm status names this kernel's tracking ($want_track) and the lent device" \
    eval 'adm 3 status | grep -Eq "^remote map: +$want_track, userfaultfd lent$"'
check "and rsmadm -j status says the same" eval \
    'adm 3 -j status | python3 -c "import json,sys; o=json.load(sys.stdin); sys.exit(0 if o[\"rmap_track\"] == \"$want_track\" and o[\"rmap_uffd_lent\"] else 1)"'

# ---- a segment larger than the cache: 256 MiB through 16 MiB ----
BIG=0x500002
probe_start big 1 export $BIG $((256 * MIB)) 3:0666
check "a 256 MiB exporter on node 1 ready" test "$P_LAST" = ready
probe_say big "fill 0 $((256 * MIB)) 6" >/dev/null
P_ENV="RSM_DEBUG=1 RSM_MAP_CACHE=16M"
probe_start c 3 import 1 $BIG rw
check_rc "node 3 connects with a 16 MiB cache" 0 "$P_LAST"
check_rc "and maps all 256 MiB" 0 "$(probe_say c "map 0 $((256 * MIB)) rw")"
probe_say c "mstore $((10 * MIB)) $((100 * MIB)) 61" >/dev/null
got=$(probe_say c "mload 0 $((256 * MIB))")
# The cache bounds the twins as well: 256 MiB of them would be anonymous
# memory far beyond the cache and the program's own.
anon_kib=$(awk '/^RssAnon:/ { print $2 }' "/proc/${P_PID[c]}/status")
check "the importer's anonymous memory stays near the cache: ${anon_kib} KiB" \
    test "${anon_kib:-999999}" -lt $(( 128 * 1024 ))
check_rc "close_barrier after 100 MiB of stores through 16 MiB" 0 "$(probe_say c bclose)"
check "the whole segment checksums alike on both sides" \
    test "$(sum_of "$(probe_say big "sum 0 $((256 * MIB))")")" = "$(sum_of "$got")"
check_rc "unmap" 0 "$(probe_say c unmap)"
check "the cache dropped pages to stay within 16 MiB: $(grep 'remote map closed' "$NET_DIR/c.err" | tail -1)" \
    grep -Eq "closed: .* [1-9][0-9]* pages dropped" "$NET_DIR/c.err"
probe_quit c
probe_quit big
P_ENV=RSM_DEBUG=1

# ---- an unprivileged importer: a full userfaultfd lent by rsmd ----
P_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
probe_start u 3 import 1 $SEG rw
P_AS=
check_rc "uid 65534 on node 3 connects" 0 "$P_LAST"
check_rc "and maps" 0 "$(probe_say u "map 0 $((64 * MIB)) rw")"
check "its faults come through the device rsmd lends: $(grep 'remote map of' "$NET_DIR/u.err" | tail -1)" \
    grep -q ": userfaultfd from rsmd, " "$NET_DIR/u.err"
check "its loads see the exporter's bytes" \
    test "$(sum_of "$(probe_say u "mload $((12 * MIB)) 100000")")" = \
    "$(sum_of "$(probe_say exp "sum $((12 * MIB)) 100000")")"
probe_say u "mstore $((12 * MIB)) 1000 71" >/dev/null
check_rc "its close_barrier" 0 "$(probe_say u bclose)"
check "its stores reach the exporter" \
    test "$(sum_of "$(probe_say exp "sum $((12 * MIB)) 1000")")" = \
    "$(sum_of "$(probe_say u "mload $((12 * MIB)) 1000")")"
check "write(2) from its unfetched pages works" \
    test "$(sum_of "$(probe_say u "sysw $((30 * MIB)) 300000")")" = \
    "$(sum_of "$(probe_say exp "sum $((30 * MIB)) 300000")")"
probe_quit u
# RSM_MAP_UFFD=user-mode-only: loads and stores, but a system call on an
# unfetched page fails, as rsm_memseg_import_map(3RSM) says.
P_ENV="RSM_DEBUG=1 RSM_MAP_UFFD=user-mode-only"
P_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
probe_start u2 3 import 1 $SEG rw
P_AS=
P_ENV=RSM_DEBUG=1
check_rc "uid 65534 connects again" 0 "$P_LAST"
check_rc "and maps with user-mode-only faults" 0 "$(probe_say u2 "map 0 $((64 * MIB)) rw")"
check "librsm says so" grep -q ": userfaultfd user-mode-only, " "$NET_DIR/u2.err"
check "its loads see the exporter's bytes" \
    test "$(sum_of "$(probe_say u2 "mload $((13 * MIB)) 100000")")" = \
    "$(sum_of "$(probe_say exp "sum $((13 * MIB)) 100000")")"
check "write(2) from an unfetched page fails EFAULT" \
    test "$(probe_say u2 "sysw $((31 * MIB)) 4096")" = "rc=-1 errno=14"
probe_quit u2

# ---- a fault blocked on a cut link ----
check_rc "node 2: a close_barrier before the cut" 0 "$(probe_say a bclose)"
ip -n "$NET_SW" link set p1 down
t0=$(now_ms)
check_rc "a thread touches a page not fetched yet" 0 \
    "$(probe_say a "tload $((50 * MIB))")"
j=$(probe_say a "tjoin $((NODE_DEATH_LIMIT_MS + 3000))")
t=$(( $(now_ms) - t0 ))
check "the thread resumes with a zero page ($j, $t ms)" \
    test "$j" = "rc=0 val=0000000000000000"
check "within $NODE_DEATH_LIMIT_MS ms" test "$t" -lt "$NODE_DEATH_LIMIT_MS"
check_rc "the next close_barrier reports the loss" $E_ABORTED \
    "$(probe_say a bclose)"
check "pages fetched before stay readable" \
    test "$(rc_of "$(probe_say a "mload 0 4096")")" = 0
check_rc "unmap" 0 "$(probe_say a unmap)"
ip -n "$NET_SW" link set p1 up
probe_quit a

# ---- the exporter killed: a first touch gets a zero page, the barrier fails ----
P_ENV=
check "node 2 sees node 1 again after the cut" wait_until 10000 all_up 2
probe_start k 2 import 1 $SEG rw
check_rc "node 2 connects once more" 0 "$P_LAST"
check_rc "and maps" 0 "$(probe_say k "map 0 $((64 * MIB)) rw")"
check "a load before" test "$(rc_of "$(probe_say k "mload 0 4096")")" = 0
probe_kill9 exp
check "the revocation reaches the map: a first touch then gives a zero page" \
    wait_until 3000 eval '[ "$(probe_say k "tload $((40 * MIB))" >/dev/null; probe_say k "tjoin 2000")" = "rc=0 val=0000000000000000" ]'
check_rc "and close_barrier fails aborted" $E_ABORTED "$(probe_say k bclose)"
check "pages fetched before stay readable" \
    test "$(rc_of "$(probe_say k "mload 0 4096")")" = 0
check_rc "unmap" 0 "$(probe_say k unmap)"
check_rc "disconnect" 0 "$(probe_say k disconnect)"
probe_quit k

for i in 1 2 3; do
	node_stop "$i"
done
net_summary
