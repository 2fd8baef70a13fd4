#!/usr/bin/env bash
# run-bench-verbs.sh - the verbs benchmark: rsm over controller verbs0
# beside perftest, in one run and on the same SoftRoCE device.
#
# usage: run-bench-verbs.sh [BUILDDIR]
#
# The build machines have no RDMA: the script re-runs itself inside a
# QEMU guest (tests/vm/run-in-guest.sh, Debian's kernel over this
# machine's / read-only), brings up rxe0 on a veth with one address
# (tests/vm/vm_lib.sh), and there measures, all on rxe0 with GID index
# of that address (-x):
#   perftest   ib_write_lat 8 B (t_typical: half a round trip, so the
#              write round trip is twice it), ib_read_lat 8 B (t_typical:
#              a whole round trip), ib_write_bw 1 MiB (BW average, MiB/s)
#   rsm        two rsmd on that address (nodes 1 and 2, two ports), the
#              segment exported on node 1, the importer on node 2 through
#              verbs0: 8 B put completed by the close barrier (explicit
#              mode: open, put, close), 8 B get, 1 MiB put bandwidth (16
#              puts per barrier) and 1 MiB get bandwidth
#   remote map bench/rsm_rmap_perf through verbs0 (a 64 MiB segment of
#              node 1 mapped on node 2), once per round: a first touch
#              beside a 4 KiB get, a 64 MiB read through read-write and
#              read-only maps beside gets of the same bytes, the first
#              store to a page, and close barriers clean and with 1 % of
#              the pages dirty beside a putv of the same bytes
# Every figure is the median over ROUNDS rounds (default 5) that
# interleave perftest and rsm, each rsm figure measured right after the
# perftest figure it is held against; each rsm figure of a round is
# itself the median of REPS repetitions (default 5) of at least 200 ms.
# A target is judged on the paired ratio, the median over the rounds of
# each round's own ratio, so that a slow stretch of the (shared, noisy)
# host weighs on both sides of a ratio; the ratio of the two medians is
# printed beside it.  The latency
# targets compare like with like: perftest's t_typical is the median of
# its iterations, timed with the cycle counter, so rsm's latency figure
# is the median call of each repetition, timed the same way
# (bench_util.c); the means are shown beside t_avg without a target.
# The guest is emulated (TCG): only the ratios within this run mean
# anything.  Targets are printed with PASS or MISS; the script fails only
# when the benchmark cannot run (no guest, no rxe, a daemon or exporter
# that does not start).
# Every command in the guest runs under `timeout`, but for the daemons
# and the exporter, which cleanup kills (the guest's limit bounds them).
# $ROUNDS, $REPS,
# $RSM_VM_TIMEOUT (seconds for the whole guest, default 900) override.
set -u

here=$(cd "$(dirname "$0")" && pwd)
vmdir=$here/../tests/vm
. "$here/bench_lib.sh"
if [ -z "${RSM_IN_GUEST:-}" ]; then
	bench_build_dir "$@"
	shift "$bench_shift"
	for p in rsmd/rsmd rsmadm/rsmadm bench/rsm_verbs_perf \
	    bench/rsm_rmap_perf; do
		[ -x "$build/$p" ] || { echo "run-bench-verbs: $build/$p is" \
		    "missing: build first (make)" >&2; exit 2; }
	done
	for p in ib_write_lat ib_read_lat ib_write_bw; do
		command -v "$p" >/dev/null || { echo "run-bench-verbs: no $p" \
		    "(perftest, scripts/install-deps.sh)" >&2; exit 2; }
	done
	export RSM_BENCH_BUILD=$build
	"$vmdir/run-in-guest.sh" --timeout "${RSM_VM_TIMEOUT:-900}" "$0"
	rc=$?
	[ "$rc" -eq 77 ] && echo "run-bench-verbs: the guest cannot run here" >&2
	exit "$rc"
fi

# ---- in the guest ----
. "$vmdir/vm_lib.sh"
build=$RSM_BENCH_BUILD
RSMD=$build/rsmd/rsmd
RSMADM=$build/rsmadm/rsmadm
VPERF=$build/bench/rsm_verbs_perf
RMAPPERF=$build/bench/rsm_rmap_perf
RMAP_SEG=0x5a0002
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-5}
ADDR=10.9.0.1
PEER_PORT=7750
SEG=0x5a0001
LAT_ITERS=2000
BW_ITERS=100

# The same placement for both sides: every passive side (perftest's
# server, the daemons, the exporter) on CPU 0, every client (perftest's,
# rsm's) on CPU 1.  Left to the scheduler, a client that spins on its
# completion queue and the kernel's rxe work sometimes share a CPU and
# sometimes not, which moves a latency by 2x between rounds.
if [ "$(nproc)" -ge 2 ]; then
	ON_SRV="taskset -c 0"
	ON_CLI="taskset -c 1"
else
	ON_SRV=
	ON_CLI=
fi

tmp=$(mktemp -d /tmp/rsm-bench-verbs.XXXXXX) || exit 2
chmod 755 "$tmp"
results=$tmp/results
: >"$results"
# Every line carries its round ($r), for the paired ratios.
record() { echo "$1 $2 $r" >>"$results"; }
declare -A rsmd_pid
bg_pids=()
cleanup() {
	bench_reap
	vm_rxe_down
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() {
	echo "run-bench-verbs: $*" >&2
	for f in "$tmp"/n?.log; do
		[ -s "$f" ] && tail -20 "$f" | sed "s|^|    ${f##*/}: |" >&2
	done
	exit 2
}

vm_rxe_up "$ADDR" || die "cannot bring up rxe0 on a veth"
gid=$(rxe_gid_index "$ADDR") || die "no GID for $ADDR on rxe0"

# ---- two rsmd on one address ----
adm() { local i=$1; shift; timeout 10 "$RSMADM" -s "$(sock_of "$i")" "$@"; }
peer_up() { adm "$1" nodes 2>/dev/null | awk -v n="$2" '$1 == n && $3 == "up" { f = 1 } END { exit !f }'; }
head -c 64 /dev/urandom >"$tmp/key"
chmod 600 "$tmp/key"
for i in 1 2; do
	j=$((3 - i))
	cat >"$tmp/n$i.conf" <<-CONF
	node_id = $i
	socket = $(sock_of "$i")
	log_level = warn
	listen = $ADDR:$((PEER_PORT + i))
	peer = $j $ADDR:$((PEER_PORT + j))
	cluster_key_file = $tmp/key
	data_listen = $ADDR:0
	verbs_listen = $ADDR:0
	CONF
	# Not under timeout: $! must be rsmd itself, so that cleanup ends
	# it (a device still in use blocks `rdma link delete`).
	$ON_SRV "$RSMD" -f -c "$tmp/n$i.conf" >>"$tmp/n$i.log" 2>&1 &
	rsmd_pid[$i]=$!
	wait_until 10000 adm "$i" status >/dev/null ||
	    die "rsmd on node $i did not start"
done
wait_until 15000 both_up || die "the nodes did not see each other"

RSM_DAEMON_SOCKET=$(sock_of 1) $ON_SRV "$VPERF" export verbs0 "$SEG" \
    $((16 * 1048576)) 3600 >"$tmp/exp.out" 2>"$tmp/exp.err" &
bg_pids+=($!)
wait_until 15000 grep -qx ready "$tmp/exp.out" ||
    { cat "$tmp/exp.out" "$tmp/exp.err" >&2; die "exporter did not start"; }
RSM_DAEMON_SOCKET=$(sock_of 1) $ON_SRV "$RMAPPERF" -c verbs0 export \
    "$RMAP_SEG" $((64 * 1048576)) 3600 >"$tmp/rmapexp.out" \
    2>"$tmp/rmapexp.err" &
bg_pids+=($!)
wait_until 15000 grep -qx ready "$tmp/rmapexp.out" ||
    { cat "$tmp/rmapexp.out" "$tmp/rmapexp.err" >&2
      die "the remote map's exporter did not start"; }

# ---- perftest ----
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
port=18515
# perf TOOL FIELDS ARGS...: server and client on rxe0; the FIELDS (one
# or more numbers, comma-separated) of the client's result line (the one
# starting with the message size), space-separated.
perf() {
	local tool=$1 field=$2 spid out
	shift 2
	port=$((port + 1))
	$ON_SRV timeout 120 "$tool" -d rxe0 -x "$gid" -p "$port" "$@" \
	    >"$tmp/perf-srv.out" 2>&1 &
	spid=$!
	if wait_until 20000 listening "$port"; then
		$ON_CLI timeout 120 "$tool" -d rxe0 -x "$gid" -p "$port" "$@" "$ADDR" \
		    >"$tmp/perf-cli.out" 2>&1
		awk -v f="$field" -v s="$PERF_SIZE" '
		    BEGIN { n = split(f, fs, ",") }
		    $1 == s && $2 ~ /^[0-9]+$/ {
			out = ""
			for (i = 1; i <= n; i++) {
				if (NF < fs[i] || $(fs[i]) !~ /^[0-9.]+$/)
					next
				out = out (i > 1 ? " " : "") $(fs[i])
			}
			print out
			exit
		    }' "$tmp/perf-cli.out"
	fi
	{ wait "$spid"; } 2>/dev/null
}

echo "run-bench-verbs: $(nproc) cores (emulated), $(uname -r), rxe0 on $ADDR (GID index $gid)"
echo "run-bench-verbs: $ROUNDS rounds of perftest and rsm verbs0; medians"
# rsm FIGURE: the rsm client on node 2, measuring only the figures whose
# key starts with FIGURE, its lines tagged with the round.
rsm() {
	if ! RSM_DAEMON_SOCKET=$(sock_of 2) $ON_CLI timeout 300 "$VPERF" client \
	    -o "$1" -r "$REPS" verbs0 1 "$SEG" >"$tmp/client.out" 2>"$tmp/client.err"
	then
		cat "$tmp/client.err" >&2
		die "the rsm client on node 2 could not run"
	fi
	awk -v r="$r" '{ print $1, $2, r }' "$tmp/client.out" >>"$results"
}
for r in $(seq 1 "$ROUNDS"); do
	# Each rsm figure right after the perftest figure it is held
	# against, so that a slow stretch of the host weighs on both.
	PERF_SIZE=8
	# t_typical and t_avg
	v=$(perf ib_write_lat 5,6 -s 8 -n "$LAT_ITERS"); v=${v:-error error}
	record write_lat_us "${v% *}"; record write_lat_avg_us "${v#* }"
	rsm rsm_put8_close_ns
	v=$(perf ib_read_lat 5,6 -s 8 -n "$LAT_ITERS"); v=${v:-error error}
	record read_lat_us "${v% *}"; record read_lat_avg_us "${v#* }"
	rsm rsm_get8_ns
	PERF_SIZE=1048576
	v=$(perf ib_write_bw 4 -s 1048576 -n "$BW_ITERS"); record write_bw_MiBps "${v:-error}"
	rsm rsm_put_bw_Bps
	rsm rsm_get_bw_Bps
	# The remote map and the gets it is held against, in one client run.
	if RSM_DEBUG=1 RSM_DAEMON_SOCKET=$(sock_of 2) $ON_CLI timeout 600 \
	    "$RMAPPERF" -c verbs0 client -r 1 1 "$RMAP_SEG" \
	    >"$tmp/rmap.out" 2>"$tmp/rmap.err"; then
		awk -v r="$r" '{ print $1, $2, r }' "$tmp/rmap.out" >>"$results"
		rmap_mode=$(sed -n 's/^librsm: remote map .*: //p' "$tmp/rmap.err" | head -1)
	else
		sed 's/^/    rmap client: /' "$tmp/rmap.err" | head -5 >&2
	fi
	printf '.'
done
echo

awk -v rmap_mode="${rmap_mode:-}" "$bench_awk_lib"'
function us(x) { return x == "" ? "n/a" : sprintf("%.2f us", x) }
function mbs(x) { return x == "" ? "n/a" : sprintf("%.1f MiB/s", x / 1048576) }
# The median over the rounds of a / (f * b), each round on its own: the
# two figures of a round were measured one right after the other.
function paired(a, b, f,    r, n, x, i, j, t) {
	n = 0
	for (r = 1; r <= rounds; r++)
		if ((a, r) in byr && (b, r) in byr && byr[b, r] > 0)
			x[++n] = byr[a, r] / (f * byr[b, r])
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && x[j - 1] > x[j]; j--) {
			t = x[j]; x[j] = x[j - 1]; x[j - 1] = t
		}
	return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
}
# A target is judged on the paired ratio; the ratio of the medians is
# shown beside it.
function target(desc, ratio, lo, hi, med,    ok) {
	ok = ratio != "" && (lo == "" || ratio >= lo) && (hi == "" || ratio <= hi)
	if (!ok)
		misses++
	printf "%-30s %13s  %-36s %7s  %-4s  (medians %s)\n", "", "", desc,
	    ratio == "" ? "n/a" : sprintf("%.2fx", ratio), ok ? "PASS" : "MISS",
	    med == "" ? "n/a" : sprintf("%.2fx", med)
}
{
	if ($3 + 0 > rounds)
		rounds = $3 + 0
	if ($2 == "error") {
		err[$1] = $0
		next
	}
	cnt[$1]++
	val[$1, cnt[$1]] = $2 + 0
	byr[$1, $3 + 0] = $2 + 0
}
END {
	wl = median("write_lat_us")
	rl = median("read_lat_us")
	wla = median("write_lat_avg_us")
	rla = median("read_lat_avg_us")
	wbw = median("write_bw_MiBps"); if (wbw != "") wbw *= 1048576
	wrtt = wl == "" ? "" : 2 * wl
	wrtta = wla == "" ? "" : 2 * wla
	printf "\n%-46s %13s  %s\n", "perftest on rxe0 (same run)", "median", "each round"
	printf "%-46s %13s  %s\n", "ib_write_lat 8 B t_typical (half round trip)", us(wl), all("write_lat_us")
	printf "%-46s %13s\n", "write round trip (2 x ib_write_lat)", us(wrtt)
	printf "%-46s %13s  %s\n", "ib_read_lat 8 B t_typical (round trip)", us(rl), all("read_lat_us")
	printf "%-46s %13s  %s\n", "ib_write_lat 8 B t_avg", us(wla), all("write_lat_avg_us")
	printf "%-46s %13s  %s\n", "ib_read_lat 8 B t_avg", us(rla), all("read_lat_avg_us")
	printf "%-46s %13s  %s\n", "ib_write_bw 1 MiB BW average", mbs(wbw), all("write_bw_MiBps")

	# Typical (median) calls against perftest'"'"'s t_typical: the targets.
	p8 = median("rsm_put8_close_ns.typical"); if (p8 != "") p8 /= 1000
	g8 = median("rsm_get8_ns.typical"); if (g8 != "") g8 /= 1000
	# Means against t_avg: shown, no target.
	p8a = median("rsm_put8_close_ns"); if (p8a != "") p8a /= 1000
	g8a = median("rsm_get8_ns"); if (g8a != "") g8a /= 1000
	pbw = median("rsm_put_bw_Bps")
	gbw = median("rsm_get_bw_Bps")
	printf "\n%-30s %13s  %-36s %7s  %s\n", "rsm verbs0 (node 2 -> node 1)", "median", "target", "paired", "result"
	printf "%-30s %13s  %s\n", "put 8 B + close, typical", us(p8), all("rsm_put8_close_ns.typical", 1000)
	target("<= 1.15x write round trip", paired("rsm_put8_close_ns.typical", "write_lat_us", 2000), "", 1.15,
	    p8 == "" || wrtt == "" ? "" : p8 / wrtt)
	printf "%-30s %13s  %s\n", "get 8 B, typical", us(g8), all("rsm_get8_ns.typical", 1000)
	target("<= 1.15x ib_read_lat", paired("rsm_get8_ns.typical", "read_lat_us", 1000), "", 1.15,
	    g8 == "" || rl == "" ? "" : g8 / rl)
	printf "%-30s %13s  %s\n", "put 1 MiB bandwidth", mbs(pbw), all("rsm_put_bw_Bps", 1048576)
	target(">= 0.90x ib_write_bw", paired("rsm_put_bw_Bps", "write_bw_MiBps", 1048576), 0.9, "",
	    pbw == "" || wbw == "" ? "" : pbw / wbw)
	printf "%-30s %13s  %-36s %6s\n", "get 1 MiB bandwidth", mbs(gbw), "(vs ib_write_bw, no target)", wbw == "" || gbw == "" ? "n/a" : sprintf("%.2fx", gbw / wbw)
	printf "%-30s %13s  %-36s %6s\n", "put 8 B + close, mean", us(p8a), "(vs 2 x t_avg, no target)", p8a == "" || wrtta == "" ? "n/a" : sprintf("%.2fx", p8a / wrtta)
	printf "%-30s %13s  %-36s %6s\n", "get 8 B, mean", us(g8a), "(vs read t_avg, no target)", g8a == "" || rla == "" ? "n/a" : sprintf("%.2fx", g8a / rla)
	rf = median("rmap_fault_ns"); if (rf != "") rf /= 1000
	g4 = median("get4k_ns"); if (g4 != "") g4 /= 1000
	rseq = median("rmap_seq_Bps")
	rseqro = median("rmap_seq_ro_Bps")
	gseq = median("get_seq_Bps")
	rw1 = median("rmap_write1_ns"); if (rw1 != "") rw1 /= 1000
	rc0 = median("rmap_close0_ns"); if (rc0 != "") rc0 /= 1000
	rc1 = median("rmap_close1_ns"); if (rc1 != "") rc1 /= 1000
	pv1 = median("putv1_ns"); if (pv1 != "") pv1 /= 1000
	if (rf == "")
		printf "\nrsm remote map over verbs0: not measured (its client failed)\n"
	else {
		# Each figure and the one it is held against come from one
		# client run in one round: their paired ratio is the target.
		printf "\n%-30s %13s  %-36s %7s  %s\n", "rsm remote map, verbs0", "median", "target", "paired", "result"
		printf "(%s)\n", rmap_mode
		printf "%-30s %13s  %s\n", "first touch (one page)", us(rf), all("rmap_fault_ns", 1000)
		printf "%-30s %13s  %s\n", "get 4 KiB", us(g4), all("get4k_ns", 1000)
		# The bound, get + 10 us, as a ratio to the median get.
		target("<= get 4 KiB + 10 us", paired("rmap_fault_ns", "get4k_ns", 1), "",
		    g4 == "" ? 0 : (g4 + 10) / g4, g4 == "" ? "" : rf / g4)
		printf "%-30s %13s  %s\n", "sequential read 64 MiB, rw map", mbs(rseq), all("rmap_seq_Bps", 1048576)
		printf "%-30s %13s  %s\n", "the same bytes by gets of 1 MiB", mbs(gseq), all("get_seq_Bps", 1048576)
		target(">= 0.8x rsm get, same bytes", paired("rmap_seq_Bps", "get_seq_Bps", 1), 0.8, "",
		    gseq == "" ? "" : rseq / gseq)
		printf "%-30s %13s  %s\n", "the same, read-only map", mbs(rseqro), all("rmap_seq_ro_Bps", 1048576)
		target(">= 0.8x rsm get, same bytes", paired("rmap_seq_ro_Bps", "get_seq_Bps", 1), 0.8, "",
		    gseq == "" ? "" : rseqro / gseq)
		printf "%-30s %13s  %s\n", "first store to a page", us(rw1), all("rmap_write1_ns", 1000)
		printf "%-30s %13s  %s\n", "close, nothing dirty, 64 MiB", us(rc0), all("rmap_close0_ns", 1000)
		printf "%-30s %13s  %s\n", "close, 1% of pages dirty", us(rc1), all("rmap_close1_ns", 1000)
		printf "%-30s %13s  %s\n", "putv of the same bytes + close", us(pv1), all("putv1_ns", 1000)
		target("<= 1.3x putv, same bytes", paired("rmap_close1_ns", "putv1_ns", 1), "", 1.3,
		    pv1 == "" ? "" : rc1 / pv1)
		printf "(the guest is emulated: the first store and the clean close, absolute\n"
		printf " figures with targets on real hardware, are shown without one)\n"
	}
	for (k in err)
		printf "  error: %s\n", err[k]
	printf "\n%d target%s missed\n", misses, misses == 1 ? "" : "s"
}' "$results"
exit 0
