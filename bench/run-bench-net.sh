#!/usr/bin/env bash
# run-bench-net.sh - the cluster benchmark: tcp0 between two nodes beside
# a plain TCP socket and UCX, in one run and on the same link.
#
# usage: run-bench-net.sh [BUILDDIR]
#
# Makes two network namespaces joined by one veth pair (10.77.X.1 and
# 10.77.X.2, nothing added to the machine's own namespace), starts an
# rsmd in each (peers of each other, one cluster key), and measures with
# the importer on node 2 and the segment exported on node 1:
#   plain TCP      8 B round trip, 64 MiB streams in 1 MiB send()s
#   UCX            ucx_perftest over UCX_TLS=tcp: ucp_put_lat, ucp_get
#                  (8 B) and ucp_put_bw (1 MiB); put_lat is half a round
#                  trip, so UCX's put round trip is twice it
#   rsm tcp0       8 B put completed by the close barrier (explicit
#                  mode: open, put, close), 8 B get, 1 MiB put (16 per
#                  barrier) and get bandwidth
#   sealed tcp0    the same four with data_encrypt = yes on node 1 (a
#                  reload before and after, in every round), and each
#                  round's ratio of sealed to clear 1 MiB put and get
#   remote map     bench/rsm_rmap_perf: a first touch, a 64 MiB read, a
#                  first store and close barriers through a map of a
#                  64 MiB segment, beside get and putv of the same bytes
#   rsm ucx0       the same figures through ucx0 (the same segment, the
#                  same UCX_TLS=tcp as ucx_perftest, in rsmd too), when
#                  both nodes have it
#   failures       exporter kill -9, rsmd kill -9 and link down on node
#                  1, to the first failing barrier of the importer
#   one-sided      then bench/run-bench-mpi.sh: rsm beside MPI RMA (osc
#                  pt2pt, osc ucx) and OpenSHMEM, all under mpirun
# Every figure is the median over ROUNDS rounds (default 5) that
# interleave the three paths, so a noisy machine weighs on all alike;
# each rsm and socket figure of a round is itself the median of REPS
# repetitions.  Targets are printed with PASS or MISS; the script fails
# only when the benchmark cannot run (no root, no namespaces, a daemon
# that does not start).  $ROUNDS, $REPS, $FAIL_ROUNDS, $UCX_PERFTEST,
# $RSMD, $RSMADM and $RSM_NET_PERF override the defaults.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench_lib.sh"
bench_build_dir "$@"
shift "$bench_shift"
RSMD=${RSMD:-$build/rsmd/rsmd}
RSMADM=${RSMADM:-$build/rsmadm/rsmadm}
NETPERF=${RSM_NET_PERF:-$build/bench/rsm_net_perf}
RMAPPERF=${RSM_RMAP_PERF:-$build/bench/rsm_rmap_perf}
RMAP_SEG=0x5f0001
UCX=${UCX_PERFTEST:-$(command -v ucx_perftest 2>/dev/null)}
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-3}
FAIL_ROUNDS=${FAIL_ROUNDS:-3}
DEAD_AFTER_MS=1000

die() {
	echo "run-bench-net: $*" >&2
	for f in "${tmp:-/nonexistent}"/n?.log; do
		[ -s "$f" ] && sed "s|^|    $(basename "$f" .log): |" "$f" | tail -20 >&2
	done
	exit 2
}
for p in "$RSMD" "$RSMADM" "$NETPERF" "$RMAPPERF"; do
	[ -x "$p" ] || die "$p is missing: build first (make)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"

tag=rsmb$$
nsA=$tag-a
nsB=$tag-b
sub=10.77.$(( $$ % 250 + 1 ))
addrA=$sub.1
addrB=$sub.2
SEG=0x510001
SOCK_PORT=7801
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsm-bench-net.XXXXXX") || exit 2
chmod 755 "$tmp"
results=$tmp/results
: >"$results"
declare -A rsmd_pid
bg_pids=()

cleanup() {
	bench_reap
	ip netns del "$nsA" 2>/dev/null
	ip netns del "$nsB" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_until MS COMMAND...: poll every 20 ms, 0 once it succeeds.
wait_until() {
	local limit=$(( $(now_ms) + $1 ))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(now_ms)" -ge "$limit" ] && return 1
		sleep 0.02
	done
}
ns_of() { [ "$1" = 1 ] && echo "$nsA" || echo "$nsB"; }
addr_of() { [ "$1" = 1 ] && echo "$addrA" || echo "$addrB"; }
adm() { local i=$1; shift; "$RSMADM" -s "$(sock_of "$i")" "$@"; }
peer_up() { [ "$(adm "$1" nodes 2>/dev/null | awk -v n="$2" '$1 == n { print $3 }')" = up ]; }

# ---- the link and the daemons ----
ip netns add "$nsA" 2>/dev/null || die "ip netns is not available"
ip netns add "$nsB" || die "cannot create namespace $nsB"
ip link add eth0 netns "$nsA" type veth peer name eth0 netns "$nsB" ||
    die "cannot create the veth pair"
for i in 1 2; do
	ip -n "$(ns_of $i)" addr add "$(addr_of $i)/24" dev eth0
	ip -n "$(ns_of $i)" link set eth0 up
	ip -n "$(ns_of $i)" link set lo up
done
head -c 64 /dev/urandom >"$tmp/key"
chmod 600 "$tmp/key"

# UCX as ucx_perftest uses it: TCP on the veth.  rsmd and the ucx0
# client take TCP without naming the device: rsmd's context also serves
# its node's own importers (on lo); the route takes node 2 over the veth.
ucx_env=(env UCX_TLS=tcp UCX_NET_DEVICES=eth0 UCX_WARN_UNUSED_ENV_VARS=n)
rsm_ucx_env=(env UCX_TLS=tcp UCX_WARN_UNUSED_ENV_VARS=n)
# A fixed data port, which cipher() reads the CHALLENGE of.
data_port_of() { echo $(( 7810 + $1 )); }
start_rsmd() {
	local i=$1 j=$(( 3 - $1 ))
	cat >"$tmp/n$i.conf" <<-CONF
	node_id = $i
	socket = $(sock_of "$i")
	log_level = warn
	listen = $(addr_of "$i"):7700
	peer = $j $(addr_of "$j"):7700
	cluster_key_file = $tmp/key
	dead_after_ms = $DEAD_AFTER_MS
	data_listen = $(addr_of "$i"):$(data_port_of "$i")
	data_encrypt = no
	ucx = 1
	CONF
	ip netns exec "$(ns_of "$i")" "${rsm_ucx_env[@]}" "$RSMD" -f -c "$tmp/n$i.conf" \
	    >>"$tmp/n$i.log" 2>&1 &
	rsmd_pid[$i]=$!
	if ! wait_until 5000 adm "$i" status >/dev/null; then
		sed 's/^/    rsmd: /' "$tmp/n$i.log" >&2
		die "rsmd on node $i did not start"
	fi
}
start_rsmd 1
start_rsmd 2
wait_until 10000 both_up || die "the nodes did not see each other"

# cipher: what node 1's data port seals new connections with, as its
# CHALLENGE says (rsm_data.h: the byte after the 32-byte header and the
# 32-byte nonce): 0 none, 1 AES-256-GCM, 2 ChaCha20-Poly1305.
cipher() {
	ip netns exec "$nsB" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
d = b""
while len(d) < 72:
    b = s.recv(72 - len(d))
    if not b:
        sys.exit(1)
    d += b
print(d[64])' "$addrA" "$(data_port_of 1)"
}
cipher_is() { [ "$(cipher)" = "$1" ]; }
# encrypt yes|no: node 1's data_encrypt, by a reload, once it is in force.
encrypt() {
	sed -i "s/^data_encrypt = .*/data_encrypt = $1/" "$tmp/n1.conf"
	kill -HUP "${rsmd_pid[1]}"
	if [ "$1" = yes ]; then
		wait_until 5000 eval '! cipher_is 0'
	else
		wait_until 5000 cipher_is 0
	fi || die "data_encrypt = $1 did not take effect on node 1"
}

# bg NAME NODE COMMAND...: run in node's namespace, output in $tmp/NAME.out
bg() {
	local name=$1 node=$2
	shift 2
	rm -f "$tmp/$name.out"
	RSM_DAEMON_SOCKET=$(sock_of "$node") ip netns exec "$(ns_of "$node")" \
	    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	bg_pids+=($!)
	last_pid=$!
}
has_line() { grep -qx "$2" "$tmp/$1.out"; }
stop_pid() { kill -9 "$1" 2>/dev/null; { wait "$1"; } 2>/dev/null; }

# A new segment id for every exporter: a killed one's id may still be
# in use until its daemon has heard of the death.
seg_n=0
start_exporter() {	# -> $exp_pid, $seg
	seg=$(printf '0x%x' $(( SEG + seg_n++ )))
	bg exp 1 "$NETPERF" export "$seg" $((16 * 1048576)) 900
	exp_pid=$last_pid
	wait_until 10000 has_line exp ready ||
	    { cat "$tmp/exp.out" "$tmp/exp.err" >&2; die "exporter did not start"; }
}

bg sock 1 "$NETPERF" sock-server "$addrA" $SOCK_PORT 1800
wait_until 5000 eval "ip netns exec $nsA ss -Hltn 'sport = :$SOCK_PORT' | grep -q ." ||
    die "plain socket server did not start"
start_exporter
# Remote map's own 64 MiB segment.
bg rmapexp 1 "$RMAPPERF" export $RMAP_SEG $((64 * 1048576)) 1800
wait_until 10000 has_line rmapexp ready ||
    { cat "$tmp/rmapexp.err" >&2; die "the remote map's exporter did not start"; }

# ---- UCX: server on node 1, client on node 2 ----
ucx_port=13400
# ucx TEST SIZE ITERS FIELD: one field of the client's "Final:" line.
ucx() {
	local port=$((ucx_port++)) spid out
	# Not under timeout: $! must be the server itself, which stop_pid
	# ends once the (bounded) client is done.
	ip netns exec "$nsA" "${ucx_env[@]}" "$UCX" -p "$port" \
	    >"$tmp/ucx-srv.out" 2>&1 &
	spid=$!
	bg_pids+=($spid)
	if wait_until 5000 eval "ip netns exec $nsA ss -Hltn 'sport = :$port' | grep -q ."; then
		out=$(ip netns exec "$nsB" "${ucx_env[@]}" timeout 120 "$UCX" \
		    "$addrA" -p "$port" -t "$1" -s "$2" -n "$3" 2>&1)
		echo "$out" | awk -v f="$4" '$1 == "Final:" { print $f }'
	fi
	stop_pid "$spid"
}

echo "run-bench-net: $(nproc) cores, $(uname -sr), veth $addrA (node 1) <-> $addrB (node 2)"
echo "run-bench-net: $ROUNDS rounds of plain TCP, UCX and rsm tcp0; medians"
for r in $(seq 1 "$ROUNDS"); do
	if ! RSM_DAEMON_SOCKET=$(sock_of 2) ip netns exec "$nsB" timeout 300 \
	    "$NETPERF" client -r "$REPS" "$addrA" $SOCK_PORT 1 "$seg" \
	    >"$tmp/client.out" 2>"$tmp/client.err"; then
		cat "$tmp/client.err" >&2
		sed 's/^/    rsmd 1: /' "$tmp/n1.log" >&2
		sed 's/^/    rsmd 2: /' "$tmp/n2.log" >&2
		die "the client on node 2 could not run"
	fi
	cat "$tmp/client.out" >>"$results"
	cp "$tmp/client.out" "$tmp/clear.out"
	# Sealed, right after the same figures in the clear: a pair.
	encrypt yes
	enc_cipher=$(cipher)
	if RSM_DAEMON_SOCKET=$(sock_of 2) ip netns exec "$nsB" timeout 300 \
	    "$NETPERF" client -r "$REPS" -o rsm_ "$addrA" $SOCK_PORT 1 "$seg" \
	    >"$tmp/client.out" 2>"$tmp/client.err"; then
		sed -n 's/^rsm_/enc_/p' "$tmp/client.out" >>"$results"
		# This round's ratios, sealed to clear.
		for k in put_bw_Bps get_bw_Bps; do
			v=$(awk -v k="$k" '$1 == "rsm_" k { c = $2 }
			    $1 == "enc_" k { e = $2 }
			    END { if (c > 0 && e > 0) printf "%.4f", e / c }' \
			    "$tmp/clear.out" <(sed 's/^rsm_/enc_/' "$tmp/client.out"))
			[ -n "$v" ] && record "enc_ratio_$k" "$v"
		done
	else
		sed 's/^/    sealed client: /' "$tmp/client.err" | head -5 >&2
	fi
	encrypt no
	# ucx0 when node 2 has it; its socket figures are not counted twice.
	if RSM_BENCH_CTLR=ucx0 RSM_DAEMON_SOCKET=$(sock_of 2) ip netns exec \
	    "$nsB" "${rsm_ucx_env[@]}" timeout 300 "$NETPERF" client -r "$REPS" \
	    "$addrA" $SOCK_PORT 1 "$seg" >"$tmp/client.out" \
	    2>"$tmp/client.err"; then
		sed -n 's/^rsm_/ucx0_/p' "$tmp/client.out" >>"$results"
	else
		sed 's/^/    ucx0 client: /' "$tmp/client.err" | head -5 >&2
	fi
	# Remote map beside get and putv on the same import and link.
	if RSM_DEBUG=1 RSM_DAEMON_SOCKET=$(sock_of 2) ip netns exec "$nsB" \
	    timeout 300 "$RMAPPERF" client -r "$REPS" 1 $RMAP_SEG \
	    >"$tmp/rmap.out" 2>"$tmp/rmap.err"; then
		cat "$tmp/rmap.out" >>"$results"
		rmap_mode=$(sed -n 's/^librsm: remote map .*: //p' "$tmp/rmap.err" | head -1)
	else
		sed 's/^/    rmap client: /' "$tmp/rmap.err" | head -5 >&2
	fi
	if [ -n "$UCX" ]; then
		# Latency: field 3, the median iteration (half a round trip
		# for put_lat): both UCX processes spin, and on a small
		# machine their average is ruled by preemption, not by UCX;
		# the median is the kinder figure for UCX, the stricter
		# comparison for rsm.  Bandwidth: field 7, MiB/s over the run.
		v=$(ucx ucp_put_lat 8 20000 3); [ -n "$v" ] && record ucx_put_lat_us "$v"
		v=$(ucx ucp_get 8 2000 3); [ -n "$v" ] && record ucx_get_us "$v"
		v=$(ucx ucp_put_bw 1048576 1000 7); [ -n "$v" ] && record ucx_put_bw_MiBps "$v"
	fi
	printf '.'
done
echo

# ---- failure detection ----
# detect_run WHAT: start a detecting importer, break things with WHAT
# ("$@" after it), record the ms until its barrier failed.
detect_once() {
	local key=$1 t0 a at rc
	shift
	bg det 2 "$NETPERF" detect 1 "$seg" 10000
	local dpid=$last_pid
	if ! wait_until 10000 has_line det armed; then
		cat "$tmp/det.out" "$tmp/det.err" >&2
		stop_pid "$dpid"
		record "$key" error
		return
	fi
	sleep 0.2
	t0=$(date +%s%6N)
	"$@"
	# detect gives up by itself after 10 s.
	wait_until 15000 eval "grep -q '^rc=' $tmp/det.out"
	stop_pid "$dpid"
	a=$(grep '^rc=' "$tmp/det.out")
	rc=$(sed -n 's/^rc=\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$a")
	at=$(sed -n 's/.*at_us=\([0-9]*\).*/\1/p' <<<"$a")
	if [ -z "$rc" ] || [ "$rc" = 0 ] || [ -z "$at" ]; then
		record "$key" none
	else
		record "$key" "$(awk -v a="$at" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')"
	fi
}
kill_exporter() { stop_pid "$exp_pid"; }
kill_rsmd1() { stop_pid "${rsmd_pid[1]}"; }
link_down() { ip -n "$nsA" link set eth0 down; }

stop_pid "$exp_pid"
for r in $(seq 1 "$FAIL_ROUNDS"); do
	start_exporter
	detect_once fail_exporter_ms kill_exporter
done
for r in $(seq 1 "$FAIL_ROUNDS"); do
	start_exporter
	detect_once fail_link_ms link_down
	ip -n "$nsA" link set eth0 up
	stop_pid "$exp_pid"
	wait_until 10000 both_up || die "the link did not come back"
done
for r in $(seq 1 "$FAIL_ROUNDS"); do
	start_exporter
	detect_once fail_rsmd_ms kill_rsmd1
	stop_pid "$exp_pid"
	start_rsmd 1
	wait_until 10000 both_up || die "node 1 did not rejoin"
done

# ---- the table ----
case ${enc_cipher:-} in
1) enc_name="AES-256-GCM" ;;
2) enc_name="ChaCha20-Poly1305" ;;
*) enc_name="cipher ${enc_cipher:-unknown}" ;;
esac
awk -v have_ucx="${UCX:+1}" -v dead="$DEAD_AFTER_MS" -v rmap_mode="${rmap_mode:-}" \
    -v enc_name="$enc_name" "$bench_awk_lib"'
function ms(x) { return x == "" ? "n/a" : x ~ /^[0-9.]+$/ ? sprintf("%.1f ms", x) : x }
function us(x) { return x == "" ? "n/a" : sprintf("%.1f us", x) }
function gbs(x) { return x == "" ? "n/a" : sprintf("%.2f GB/s", x / 1e9) }
# A ratio printed without a target.
function beside(desc, ratio) {
	if (ratio == "")
		printf "%-30s %12s  %-34s %7s  %s\n", "", "", desc, "n/a", "-"
	else
		printf "%-30s %12s  %-34s %6.2fx  %s\n", "", "", desc, ratio, "-"
}
function target(name, fig, desc, ratio, ok,    v) {
	if (ratio == "") {
		printf "%-30s %12s  %-34s %7s  %s\n", name, fig, desc, "n/a", "-"
		return
	}
	v = ok ? "PASS" : "MISS"
	if (!ok)
		misses++
	printf "%-30s %12s  %-34s %6.2fx  %s\n", name, fig, desc, ratio, v
}
{
	if ($2 == "error" || $2 == "none") {
		err[$1] = $2 " " $3
		if ($1 ~ /^fail_/) {
			cnt[$1]++
			val[$1, cnt[$1]] = $2
		}
		next
	}
	cnt[$1]++
	val[$1, cnt[$1]] = $2 + 0
}
END {
	rtt = median("sock_rtt8_ns") / 1000
	sto = median("sock_stream_to_Bps")
	sfr = median("sock_stream_from_Bps")
	ulat = median("ucx_put_lat_us")
	uget = median("ucx_get_us")
	ubw = median("ucx_put_bw_MiBps")
	if (ubw != "")
		ubw *= 1048576
	urtt = ulat == "" ? "" : 2 * ulat
	printf "\n%-44s %12s\n", "baseline (same link, same run)", "median"
	printf "%-44s %12s\n", "plain TCP 8 B round trip", us(rtt)
	printf "%-44s %12s\n", "plain TCP stream node 2 -> 1 (1 MiB sends)", gbs(sto)
	printf "%-44s %12s\n", "plain TCP stream node 1 -> 2", gbs(sfr)
	if (have_ucx) {
		printf "%-44s %12s\n", "UCX ucp_put_lat 8 B (median, half round trip)", us(ulat)
		printf "%-44s %12s\n", "UCX put round trip (2 x ucp_put_lat)", us(urtt)
		printf "%-44s %12s\n", "UCX ucp_get 8 B (median)", us(uget)
		printf "%-44s %12s\n", "UCX ucp_put_bw 1 MiB", gbs(ubw)
	} else
		printf "UCX: ucx_perftest not installed (ucx-utils, scripts/install-deps.sh)\n"

	put8 = median("rsm_put8_close_ns"); if (put8 != "") put8 /= 1000
	get8 = median("rsm_get8_ns"); if (get8 != "") get8 /= 1000
	pbw = median("rsm_put_bw_Bps")
	gbw = median("rsm_get_bw_Bps")
	printf "\n%-30s %12s  %-34s %7s  %s\n", "rsm tcp0 (node 2 -> node 1)", "median", "target", "ratio", "result"
	printf "%-30s %12s  %-34s %7s  %s\n", "put 8 B + close barrier", us(put8), "", "", ""
	target("", "", "<= 1.3x plain TCP round trip", put8 == "" ? "" : put8 / rtt, put8 <= 1.3 * rtt)
	target("", "", "<= 1.0x UCX put round trip", put8 == "" || urtt == "" ? "" : put8 / urtt, put8 <= urtt)
	printf "%-30s %12s\n", "get 8 B", us(get8)
	target("", "", "<= 1.3x plain TCP round trip", get8 == "" ? "" : get8 / rtt, get8 <= 1.3 * rtt)
	printf "%-30s %12s\n", "put 1 MiB bandwidth", gbs(pbw)
	target("", "", ">= 1.5x UCX ucp_put_bw", pbw == "" || ubw == "" ? "" : pbw / ubw, pbw >= 1.5 * ubw)
	target("", "", ">= 0.70x plain TCP stream 2 -> 1", pbw == "" ? "" : pbw / sto, pbw >= 0.7 * sto)
	printf "%-30s %12s\n", "get 1 MiB bandwidth", gbs(gbw)
	target("", "", ">= 1.5x UCX ucp_put_bw", gbw == "" || ubw == "" ? "" : gbw / ubw, gbw >= 1.5 * ubw)
	target("", "", ">= 0.70x plain TCP stream 1 -> 2", gbw == "" ? "" : gbw / sfr, gbw >= 0.7 * sfr)
	eput8 = median("enc_put8_close_ns"); if (eput8 != "") eput8 /= 1000
	eget8 = median("enc_get8_ns"); if (eget8 != "") eget8 /= 1000
	epbw = median("enc_put_bw_Bps")
	egbw = median("enc_get_bw_Bps")
	eprat = median("enc_ratio_put_bw_Bps")
	egrat = median("enc_ratio_get_bw_Bps")
	if (epbw == "")
		printf "\nrsm tcp0 sealed: not measured (its client failed)\n"
	else {
		printf "\n%-30s %12s  %-34s %7s  %s\n", "rsm tcp0, data_encrypt = yes", "median", "target (median of paired rounds)", "ratio", "result"
		printf "(%s)\n", enc_name
		printf "%-30s %12s\n", "put 1 MiB bandwidth", gbs(epbw)
		target("", "", ">= 0.5x tcp0 in the clear", eprat, eprat >= 0.5)
		printf "%-30s %12s\n", "get 1 MiB bandwidth", gbs(egbw)
		target("", "", ">= 0.5x tcp0 in the clear", egrat, egrat >= 0.5)
		printf "%-30s %12s\n", "put 8 B + close barrier", us(eput8)
		beside("beside tcp0 in the clear", put8 == "" ? "" : eput8 / put8)
		printf "%-30s %12s\n", "get 8 B", us(eget8)
		beside("beside tcp0 in the clear", get8 == "" ? "" : eget8 / get8)
	}
	uput8 = median("ucx0_put8_close_ns"); if (uput8 != "") uput8 /= 1000
	uget8 = median("ucx0_get8_ns"); if (uget8 != "") uget8 /= 1000
	upbw = median("ucx0_put_bw_Bps")
	ugbw = median("ucx0_get_bw_Bps")
	if (uput8 == "")
		printf "\nrsm ucx0: not measured (no ucx0 on node 2, or its client failed)\n"
	else {
		printf "\n%-30s %12s  %-34s %7s  %s\n", "rsm ucx0 (node 2 -> node 1)", "median", "target", "ratio", "result"
		printf "%-30s %12s\n", "put 8 B + close barrier", us(uput8)
		target("", "", "<= 1.1x UCX put round trip", urtt == "" ? "" : uput8 / urtt, uput8 <= 1.1 * urtt)
		beside("beside tcp0", put8 == "" ? "" : uput8 / put8)
		printf "%-30s %12s\n", "get 8 B", us(uget8)
		target("", "", "<= 1.3x plain TCP round trip", uget8 / rtt, uget8 <= 1.3 * rtt)
		beside("beside UCX ucp_get", uget == "" ? "" : uget8 / uget)
		beside("beside tcp0", get8 == "" ? "" : uget8 / get8)
		printf "%-30s %12s\n", "put 1 MiB bandwidth", gbs(upbw)
		target("", "", ">= 1.0x UCX ucp_put_bw", ubw == "" ? "" : upbw / ubw, upbw >= ubw)
		beside("beside tcp0", pbw == "" ? "" : upbw / pbw)
		printf "%-30s %12s\n", "get 1 MiB bandwidth", gbs(ugbw)
		target("", "", ">= 1.0x UCX ucp_put_bw", ubw == "" ? "" : ugbw / ubw, ugbw >= ubw)
		beside("beside tcp0", gbw == "" ? "" : ugbw / gbw)
	}
	rf = median("rmap_fault_ns"); if (rf != "") rf /= 1000
	g4 = median("get4k_ns"); if (g4 != "") g4 /= 1000
	g64 = median("get64k_ns"); if (g64 != "") g64 /= 1000
	rseq = median("rmap_seq_Bps")
	gseq = median("get_seq_Bps")
	rseqro = median("rmap_seq_ro_Bps")
	rw1 = median("rmap_write1_ns"); if (rw1 != "") rw1 /= 1000
	rc0 = median("rmap_close0_ns"); if (rc0 != "") rc0 /= 1000
	rc1 = median("rmap_close1_ns"); if (rc1 != "") rc1 /= 1000
	pv1 = median("putv1_ns"); if (pv1 != "") pv1 /= 1000
	if (rf == "")
		printf "\nrsm remote map: not measured (its client failed)\n"
	else {
		printf "\n%-30s %12s  %-34s %7s  %s\n", "rsm remote map, tcp0", "median", "target", "ratio", "result"
		printf "(%s)\n", rmap_mode
		printf "%-30s %12s\n", "first touch (one page)", us(rf)
		target("", "", "<= 2.5x rsm get 4 KiB", g4 == "" ? "" : rf / g4, rf <= 2.5 * g4)
		beside("beside rsm get 64 KiB", g64 == "" ? "" : rf / g64)
		printf "%-30s %12s\n", "sequential read 64 MiB, rw map", gbs(rseq)
		target("", "", ">= 0.8x rsm get 1 MiB, same bytes", gseq == "" ? "" : rseq / gseq, rseq >= 0.8 * gseq)
		printf "%-30s %12s\n", "the same, read-only map", gbs(rseqro)
		target("", "", ">= 0.8x rsm get 1 MiB, same bytes", gseq == "" ? "" : rseqro / gseq, rseqro >= 0.8 * gseq)
		printf "%-30s %12s\n", "first store to a page", us(rw1)
		target("", "", "< 2 us (ratio to 2 us)", rw1 / 2, rw1 < 2)
		printf "%-30s %12s\n", "close, nothing dirty, 64 MiB", us(rc0)
		target("", "", "< 50 us (ratio to 50 us)", rc0 / 50, rc0 < 50)
		printf "%-30s %12s\n", "close, 1% of pages dirty", us(rc1)
		target("", "", "<= 1.3x putv of the same bytes", pv1 == "" ? "" : rc1 / pv1, rc1 <= 1.3 * pv1)
	}
	for (k in err)
		if (k !~ /^fail_/)
			printf "  %s: %s\n", k, err[k]

	printf "\n%-44s %10s  %s\n", "failure on node 1 -> importer barrier fails", "median", "each run (ms)"
	printf "%-44s %10s  %s\n", "exporter kill -9", ms(median("fail_exporter_ms")), all("fail_exporter_ms")
	printf "%-44s %10s  %s\n", "rsmd kill -9", ms(median("fail_rsmd_ms")), all("fail_rsmd_ms")
	printf "%-44s %10s  %s\n", "link down (dead_after_ms " dead ")", ms(median("fail_link_ms")), all("fail_link_ms")
	printf "\n%d target%s missed\n", misses, misses == 1 ? "" : "s"
}' "$results"

# One-sided beside MPI RMA and OpenSHMEM, every path under mpirun
# (bench/run-bench-mpi.sh; skipped without mpirun); its own namespaces.
echo
bash "$here/run-bench-mpi.sh" "$build"
exit 0
