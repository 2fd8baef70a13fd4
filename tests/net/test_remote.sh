#!/usr/bin/env bash
# test_remote.sh - two nodes: a process on node 2 imports segments that a
# process on node 1 exports, through tcp0 and the peer link.
#
# put/get/putv/getv and explicit barriers with checksums from 1 byte to
# 64 MiB; the access list and the uid decided on node 1; signals both
# ways; unpublish, republish, destroy; importer death on node 2 seen on
# node 1; exporter kill -9, rsmd kill -9 and link down on node 1 reaching
# the importer as RSMERR_CONN_ABORTED (times measured and printed); a
# restarted rsmd serving new imports; counters and the survivor's
# descriptors back to where they started.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

# Error numbers (rsmapi.h).
E_NOT_TO_NODE=8
E_NOT_PUBLISHED=7
E_PERM=27
E_UNREACH=39
E_ABORTED=40
E_TIMEOUT=42
# Bounds, generous: the targets are 100 ms and dead_after_ms + 200 ms.
EXPORTER_DEATH_LIMIT_MS=2000
NODE_DEATH_LIMIT_MS=$(( DEAD_AFTER_MS + 2000 ))
MIB=1048576
SEG=0x500001

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
# The data servers bind a wildcard: node 2 must substitute node 1's address.
for i in 1 2; do
	node_conf "$i" "data_listen = 0.0.0.0:0"
	node_start "$i" || nok "node $i starts"
done
check "nodes see each other up" wait_until 5000 all_up 1
wait_until 5000 all_up 2
# Busy polling (busy_poll_us, default 50 us after each event) must not
# turn into spinning: idle but for heartbeats, over 2 s, node 1's rsmd
# uses under 5 % of a CPU.
t0=$(node_cpu_ticks 1)
sleep 2
t1=$(node_cpu_ticks 1)
hz=$(getconf CLK_TCK)
check "an idle rsmd with a peer uses < 5% CPU ($((t1 - t0)) ticks in 2 s)" \
    test $((t1 - t0)) -lt $((hz / 10))
# A foreground daemon stamps every line: UTC, ISO 8601, milliseconds.
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z rsmd: '
check "node 1's first log line starts with a time stamp" \
    grep -Eq "^$STAMP" <(head -1 "$(node_log 1)")
check "no line of node 1's log lacks its time stamp" \
    test "$(grep -c '^rsmd: ' "$(node_log 1)")" = 0
# refused I PATTERN: node I logged a refusal matching PATTERN (grep -E).
refused() { wait_until 2000 log_has "$1" "^$STAMP$2"; }
fds2=$(rsmd_fds 2)

# ---- connect, listing, data ----
probe_start exp 1 export $SEG $((64 * MIB)) 2:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "node 2 connects to node 1's segment" 0 "$a"
check "node 1 lists the importer as pid@2" \
    wait_until 2000 eval "adm 1 segments | grep -q '(${P_PID[imp]}@2)'"
check "node 2 counts the import" test "$(status_of 2 imports)" = 1

probe_checksums $((64 * MIB)) 1 7 4096 4097 65536 $((MIB - 1)) $MIB \
    $((3 * MIB + 5)) $((64 * MIB))
check "put/get/putv/getv/barrier checksums from 1 B to 64 MiB" test "$bad" = 0
# Replies waited for without polling (RSM_BUSY_POLL_US=0), and with a
# value that is not a number (the default, as rsmapi(3RSM) says).
for poll in 0 junk; do
	probe_quit imp
	RSM_BUSY_POLL_US=$poll probe_start imp 2 import 1 $SEG rw
	probe_checksums $MIB 1 4097 $MIB
	check "checksums with RSM_BUSY_POLL_US=$poll" test "$bad" = 0
done
a=$(probe_say imp "get $((64 * MIB - 4)) 8")
check "a get past the end is refused" test "$(rc_of "$a")" != 0

# ---- signals both ways ----
check_rc "importer posts" 0 "$(probe_say imp post)"
check_rc "exporter on node 1 is woken" 0 "$(probe_say exp "wait 3000")"
check_rc "exporter posts" 0 "$(probe_say exp post)"
check_rc "importer on node 2 is woken" 0 "$(probe_say imp "wait 3000")"
check_rc "importer's wait times out with no post" $E_TIMEOUT \
    "$(probe_say imp "wait 200")"
check_rc "exporter posts again" 0 "$(probe_say exp post)"
check_rc "importer's poll fd becomes readable" 0 \
    "$(probe_say imp "pollwait 3000")"
check_rc "importer posts again" 0 "$(probe_say imp post)"
check_rc "exporter's poll fd becomes readable" 0 \
    "$(probe_say exp "pollwait 3000")"

# ---- permissions ----
probe_start exp3 1 export 0x500002 65536 3:0666
check "second exporter (access list: node 3 only)" test \
    "$P_LAST" = ready
probe_start x 2 import 1 0x500002 r
check_rc "node not in the access list refused" $E_NOT_TO_NODE \
    "$P_LAST"
check "node 1 logs who, what and why of that refusal" refused 1 \
    "node 2 pid [0-9]+ uid 0: remote connect to segment 0x500002 \(read\) \
refused: RSMERR_SEG_NOT_PUBLISHED_TO_NODE: its access list does not name node 2"
probe_close x
probe_start exp600 1 export 0x500003 65536 2:0600
check "third exporter (node 2 mode 0600)" test \
    "$P_LAST" = ready
P_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
probe_start x 2 import 1 0x500003 r
check_rc "another uid refused" $E_PERM "$P_LAST"
check "node 1 logs the uid refused, the segment and PERM_DENIED" refused 1 \
    "node 2 pid [0-9]+ uid 65534: remote connect to segment 0x500003 \(read\) \
refused: RSMERR_PERM_DENIED: mode 0600 for node 2 \(owner uid 0 gid 0\) does \
not let uid 65534 gid 65534 read"
P_AS=
probe_close x
probe_start x 2 import 1 0x500003 rw
check_rc "the exporter's uid is let in" 0 \
    "$P_LAST"
probe_quit x
probe_start x 2 import 1 0x5000ff r
check_rc "unpublished segment id" $E_NOT_PUBLISHED \
    "$P_LAST"
check "node 1 logs the unpublished segment id refused" refused 1 \
    "node 2 pid [0-9]+ uid 0: remote connect to segment 0x5000ff .*refused: \
RSMERR_SEG_NOT_PUBLISHED: no segment is published with that id"
probe_close x
t0=$(now_ms)
probe_start x 2 import 9 $SEG r; a=$P_LAST
dt=$(( $(now_ms) - t0 ))
check_rc "unknown node unreachable ($dt ms)" $E_UNREACH "$a"
probe_close x

# ---- republish keeps existing imports (spec 6.3) ----
check_rc "republish without node 2" 0 "$(probe_say exp3 "republish 2:0666")"
probe_start x 2 import 1 0x500002 rw; a=$P_LAST
check_rc "after republish node 2 may connect" 0 "$a"
check_rc "republish to node 3 only" 0 "$(probe_say exp3 "republish 3:0666")"
check_rc "the existing import keeps working" 0 "$(probe_say x "get 0 4096")"
probe_start y 2 import 1 0x500002 r
check_rc "a new connect is refused" $E_NOT_TO_NODE \
    "$P_LAST"
probe_close y

# ---- unpublish and destroy ----
check_rc "unpublish" 0 "$(probe_say exp3 unpublish)"
check_rc "importer gets CONN_ABORTED after unpublish" $E_ABORTED \
    "$(probe_say x "get 0 8")"
check_rc "and at its barrier" $E_ABORTED "$(probe_say x "bput 0 8 1")"
check_rc "disconnect after revocation succeeds" 0 "$(probe_say x disconnect)"
probe_quit x
probe_quit exp3
probe_start x 2 import 1 0x500003 rw; a=$P_LAST
check_rc "import for destroy" 0 "$a"
check_rc "destroy" 0 "$(probe_say exp600 destroy)"
check_rc "importer gets CONN_ABORTED after destroy" $E_ABORTED \
    "$(probe_say x "get 0 8")"
probe_quit x
probe_quit exp600

# ---- importer death on node 2 ----
probe_kill9 imp
check "node 1 stops listing the dead importer" \
    wait_until 2000 eval "! adm 1 segments | grep -q '@2)'"
check "node 2 forgets its import" wait_until 2000 \
    eval '[ "$(status_of 2 imports)" = 0 ]'

# ---- exporter kill -9 ----
probe_start imp 2 import 1 $SEG rw; a=$P_LAST
check_rc "reconnect" 0 "$a"
probe_send imp "until 10000 started"
check "the importer streams gets" test "$(probe_read imp)" = started
t0=$(now_ms)
probe_kill9 exp
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# exporter kill -9 on node 1 reached the importer on node 2 after $dt ms"
check_rc "importer sees the exporter's death" $E_ABORTED "$a"
check "within $EXPORTER_DEATH_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$EXPORTER_DEATH_LIMIT_MS"
check_rc "its barrier reports it too" $E_ABORTED "$(probe_say imp "bput 0 8 1")"
check "node 2 heard REVOKED (revoked import stays until disconnect)" \
    test "$(status_of 2 imports)" = 1
probe_quit imp
check "node 1 has no segment or import left" wait_until 2000 eval \
    '[ "$(status_of 1 segments)" = 0 ] && [ "$(status_of 1 imports)" = 0 ]'

# ---- rsmd kill -9 on node 1 ----
probe_start exp 1 export $SEG $((4 * MIB))
check "exporter again" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "import again" 0 "$P_LAST"
probe_send imp "until 10000 started"
check "the importer streams gets" test "$(probe_read imp)" = started
t0=$(now_ms)
node_kill9 1
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# rsmd kill -9 on node 1 reached the importer on node 2 after $dt ms"
check_rc "importer sees rsmd 1 die" $E_ABORTED "$a"
check "within $NODE_DEATH_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$NODE_DEATH_LIMIT_MS"
check "node 2 sees node 1 down" wait_until 3000 eval \
    '[ "$(node_state 2 1)" != up ]'
probe_start x 2 import 1 $SEG r
check_rc "a connect to a down node is unreachable" $E_UNREACH \
    "$P_LAST"
probe_close x
probe_kill9 exp
node_start 1 || nok "node 1 restarts"
check "node 1 rejoins" wait_until 8000 all_up 2
check_rc "the old import still reports the loss" $E_ABORTED \
    "$(probe_say imp "get 0 8")"
probe_quit imp
probe_start exp 1 export $SEG $((4 * MIB))
check "exporter on the restarted node" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "new import works" 0 "$P_LAST"
a=$(probe_say imp "put 100 5000 77")
b=$(probe_say exp "sum 100 5000")
check "and moves data" test "$(sum_of "$a")" = "$(sum_of "$b")"

# ---- link down on node 1 ----
probe_send imp "until 10000 started"
check "the importer streams gets" test "$(probe_read imp)" = started
t0=$(now_ms)
ip -n "$(node_ns 1)" link set eth0 down
a=$(probe_read imp)
dt=$(( $(at_of "$a") - t0 ))
echo "# link down on node 1 reached the importer on node 2 after $dt ms" \
    "(dead_after_ms $DEAD_AFTER_MS)"
check_rc "importer sees node 1 vanish" $E_ABORTED "$a"
check "within $NODE_DEATH_LIMIT_MS ms ($dt ms)" \
    test "$dt" -ge 0 -a "$dt" -lt "$NODE_DEATH_LIMIT_MS"
check "node 1 drops node 2's capability" wait_until 3000 eval \
    '[ "$(status_of 1 imports)" = 0 ]'
ip -n "$(node_ns 1)" link set eth0 up
check "link back up" wait_until 8000 all_up 2
probe_quit imp
probe_start imp 2 import 1 $SEG rw
check_rc "import after the link returns" 0 \
    "$P_LAST"
check_rc "get works" 0 "$(probe_say imp "get 0 65536")"
probe_quit imp
probe_quit exp

# ---- nothing left behind on the survivor ----
# rsmadm's own connection is the one client left.
check "node 2: no imports, no clients but rsmadm" wait_until 2000 eval \
    '[ "$(status_of 2 imports)" = 0 ] && [ "$(status_of 2 clients)" = 1 ]'
check "node 1: no segments, no imports" wait_until 2000 eval \
    '[ "$(status_of 1 segments)" = 0 ] && [ "$(status_of 1 imports)" = 0 ]'
check "rsmd 2 descriptors back to $fds2 ($(rsmd_fds 2))" \
    wait_until 2000 eval '[ "$(rsmd_fds 2)" -le "$fds2" ]'

for i in 1 2; do
	node_stop "$i"
done
net_summary
