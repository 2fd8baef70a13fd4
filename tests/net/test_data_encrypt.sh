#!/usr/bin/env bash
# test_data_encrypt.sh - tcp0 data connections sealed (data_encrypt = yes,
# rsmd.conf(5)): correct, unreadable on the wire, and refused when changed.
#
# Node 1 exports with data_encrypt = yes; its data port is on loopback and
# a relay in its namespace (data_proxy.py) listens at its address with
# the same port, so node 2 (which reaches a loopback data port at node 1's
# peer address) goes through the relay, which records both directions.
# Checked: the CHALLENGE names AES-256-GCM where the CPU has AES-NI and
# PCLMUL, else ChaCha20-Poly1305; put, get, putv, getv, 6 MiB transfers
# across records, fetch_add, a cas lock, put_signal and a remote map from
# node 2 (its masked write-back too) are correct; the 32-byte pattern
# that was put appears in neither direction of the capture; one flipped
# bit in a record fails the importer's put with RSMERR_CONN_ABORTED,
# node 1 logs the refusal, and the segment keeps its bytes; a replayed
# record does the same.  Then data_encrypt = no and SIGHUP: a connection
# made before stays sealed and works, a new one is in the clear, and the
# same pattern check now finds the pattern, both ways (so the check can
# fail).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/remote_lib.sh"

E_ABORTED=40
MIB=1048576
SEG=0x520001
SIZE=$((8 * MIB))
DPORT=7810
AT=$((7 * MIB))		# atomics and the lock, away from the puts

net_require
net_setup 2 || { echo "network setup failed"; exit 1; }
relay=$NET_DIR/relay
mkdir -p "$relay"
node_conf 1 "data_listen = 127.0.0.1:$DPORT
data_encrypt = yes"
node_conf 2
on_node 1 python3 "$(dirname "$0")/data_proxy.py" "$(node_addr 1)" \
    "$DPORT" 127.0.0.1 "$DPORT" "$relay" >"$relay/log" 2>&1 &
relay_pid=$!
trap 'rc=$?; kill $relay_pid 2>/dev/null; net_teardown; exit $rc' EXIT
wait_until 5000 test -e "$relay/listening" || nok "the relay listens"
node_start 1
node_start 2
check "the nodes see each other" wait_until 8000 all_up 2

# pattern SEED OFF: the 32 bytes remote_probe puts at OFF with SEED, hex.
pattern() {
	python3 -c '
import sys
s, o = int(sys.argv[1]), int(sys.argv[2])
print(bytes((s * 131 + p * 7 + (p >> 8) + (p >> 16)) & 255
            for p in range(o, o + 32)).hex())' "$1" "$2"
}
# in_capture FILE HEX [FROM]: the capture holds those bytes (past its
# first FROM bytes).  The pattern is an arithmetic run between multiples
# of 256, so other puts can hold it too: a check that it is absent looks
# only at what one connection sent.
in_capture() {
	python3 -c '
import sys
data = open(sys.argv[1], "rb").read()[int(sys.argv[3]):]
sys.exit(0 if bytes.fromhex(sys.argv[2]) in data else 1)' "$1" "$2" "${3:-0}"
}
refusals() { grep -c 'a record failed authentication' "$(node_log 1)"; }
val_of() { sed -n 's/.*val=\([0-9]*\).*/\1/p' <<<"$1"; }
# same OP NAME OFF LEN: the importer NAME's OP (get/getv/mload) of the
# range sums as the exporter's memory does.
same() {
	local a b
	a=$(probe_say "$2" "$1 $3 $4")
	b=$(probe_say exp "sum $3 $4")
	[ "$(rc_of "$a")" = 0 ] && [ -n "$(sum_of "$a")" ] &&
	    [ "$(sum_of "$a")" = "$(sum_of "$b")" ]
}

probe_start exp 1 export $SEG $SIZE 2:0666
check "exporter on node 1 ready" test "$P_LAST" = ready
probe_start imp 2 import 1 $SEG rw
check_rc "node 2 connects through tcp0" 0 "$P_LAST"

# ---- correct through the seal ----
check_rc "put of 64 KiB" 0 "$(probe_say imp "put 0 65536 5")"
check "the exporter has it" same get imp 0 65536
if grep -q -w aes /proc/cpuinfo && grep -q -w pclmulqdq /proc/cpuinfo; then
	want=1 name=AES-256-GCM
else
	want=2 name=ChaCha20-Poly1305
fi
cipher=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read()[64])' \
    "$relay/capture.down")
check "the CHALLENGE names $name (cipher $cipher, want $want)" \
    test "$cipher" = "$want"
check_rc "putv of 5 entries" 0 "$(probe_say imp "putv 65536 100000 7 5")"
check "getv of them" same "getv" imp 65536 "100000 5"
check_rc "put of 6 MiB (96 records and more)" 0 \
    "$(probe_say imp "put 131072 $((6 * MIB)) 9")"
check "get of 6 MiB" same get imp 131072 $((6 * MIB))
check "an odd range across records" same get imp 70001 200003

a=$(probe_say exp "word $AT 32")
check_rc "fetch_add32 x 200" 0 "$(probe_say imp "fadd $AT 32 200")"
check "the counter is exact" \
    test "$(val_of "$(probe_say exp "word $AT 32")")" = $(( $(val_of "$a") + 200 ))
check_rc "a cas lock, 50 rounds" 0 "$(probe_say imp "lock $((AT + 64)) 50")"
check "the word it guards is exact" \
    test "$(val_of "$(probe_say exp "word $((AT + 80)) 64")")" = 50
probe_send exp "sigcheck 20 10000"
check_rc "20 put_signals" 0 "$(probe_say imp "psig 20")"
check_rc "the exporter sees each message whole on its signal" 0 \
    "$(probe_read exp)"

# A remote map fills and writes back through its own data connection;
# pages of scattered changes go as masked puts (PUTM), sealed too
# (RSM_DEBUG's count at unmap says they went so).
export RSM_DEBUG=1
probe_start map 2 import 1 $SEG rw
unset RSM_DEBUG
check_rc "a second import of node 2" 0 "$P_LAST"
check_rc "maps 1 MiB" 0 "$(probe_say map "map 0 $MIB rw")"
check "loads see the exporter's bytes" same mload map 4096 200000
check_rc "stores" 0 "$(probe_say map "mstore 8192 100 17")"
check_rc "close_barrier" 0 "$(probe_say map "bclose")"
check "the stores reached the exporter" same mload map 8192 100
check_rc "stores to every other byte of 16 KiB" 0 \
    "$(probe_say map "mstride 65536 16384 2")"
check_rc "close_barrier" 0 "$(probe_say map "bclose")"
check "they reached the exporter, the bytes between untouched" \
    same mload map 61440 24576
check_rc "unmap" 0 "$(probe_say map unmap)"
check "as masked puts: $(grep 'remote map closed' "$NET_DIR/map.err" | tail -1)" \
    grep -Eq "closed: .* [1-9][0-9]* pages written back masked$" "$NET_DIR/map.err"
probe_quit map

# ---- unreadable ----
p5=$(pattern 5 4096)
check "what node 2 sent does not hold the put's pattern" \
    eval '! in_capture "$relay/capture.up" "$p5"'
check "what node 1 sent does not hold it either" \
    eval '! in_capture "$relay/capture.down" "$p5"'

# ---- changed or replayed records ----
b=$(probe_say exp "sum 0 4096")
touch "$relay/flip"
check_rc "a put whose record was changed fails" $E_ABORTED \
    "$(probe_say imp "put 0 4096 11")"
check "the relay flipped a bit" test -e "$relay/flipped"
check "node 1 logs the refusal" wait_until 5000 test "$(refusals)" -ge 1
check "and the segment kept its bytes" \
    test "$(sum_of "$(probe_say exp "sum 0 4096")")" = "$(sum_of "$b")"
check_rc "the import stays failed" $E_ABORTED "$(probe_say imp "get 0 8")"
probe_quit imp

probe_start imp 2 import 1 $SEG rw
check_rc "a new import" 0 "$P_LAST"
check_rc "moves data" 0 "$(probe_say imp "put 0 4096 12")"
touch "$relay/replay"
a=$(probe_say imp "put 0 4096 13")
check "the relay replayed a record" test -e "$relay/replayed"
check_rc "the import fails after the replayed record (put: rc $(rc_of "$a"))" \
    $E_ABORTED "$(probe_say imp "get 0 8")"
check "node 1 logs that refusal too" wait_until 5000 test "$(refusals)" -ge 2
probe_quit imp

# ---- data_encrypt = no from a reload on ----
probe_start old 2 import 1 $SEG rw
check_rc "an import connected before the reload" 0 "$P_LAST"
check_rc "moves data" 0 "$(probe_say old "put 0 4096 14")"
sed -i 's/^data_encrypt = yes$/data_encrypt = no/' "$(node_dir 1)/rsmd.conf"
kill -HUP "$(node_pid 1)"
check "node 1 reloads" wait_until 5000 log_has 1 "configuration reloaded"
probe_start imp 2 import 1 $SEG rw
check_rc "a new import" 0 "$P_LAST"
check_rc "puts in the clear" 0 "$(probe_say imp "put 0 65536 21")"
check "and gets" same get imp 0 65536
p21=$(pattern 21 4096)
check "now what node 2 sent holds the put's pattern" \
    in_capture "$relay/capture.up" "$p21"
check "and what node 1 sent holds it too" \
    in_capture "$relay/capture.down" "$p21"
mark=$(stat -c %s "$relay/capture.up")
check_rc "the old connection still works, sealed" 0 \
    "$(probe_say old "put 65536 65536 22")"
check "its put's pattern is not on the wire" \
    eval '! in_capture "$relay/capture.up" "$(pattern 22 69632)" $mark'
check "and gets" same get old 65536 65536

for p in old imp exp; do probe_quit "$p"; done
net_summary
