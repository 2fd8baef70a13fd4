#!/usr/bin/env bash
# run-bench-scale.sh - what a daemon costs in a large cluster: NODES
# (default 256) rsmd on one bridge, one network namespace each, run by
# tests/scale/scale.sh (ring and all-to-one of checksummed data, idle
# intervals), and connect latency against two-node clusters on the same
# bridge, in paired rounds of the same run.
#
# usage: run-bench-scale.sh [BUILDDIR]
#
# Prints, with PASS or MISS against the targets:
#   rsmd RSS, idle                       every daemon < 8 MiB
#   rsmd CPU over SCALE_IDLE_S (20) s    every daemon < 0.5% of a core
#     idle (every link closed)
#   connect + disconnect, the median     NODES nodes <= 2x 2 nodes
#     of each run's, then of the runs
#   the first connect of each run (a     NODES nodes <= 2x 2 nodes
#     new pair: it makes the link)
# and, as figures: the time from the first daemon's start to the last
# one answering, peer links per node (after start, after the workload,
# idle), CPU and RSS while the all-to-one's links are still open, the
# ring's and the all-to-one's connect times.  $NODES, $SCALE_*
# (tests/scale/README), $RSMD, $RSMADM and $SCALE_WORKER override the
# defaults.  Exits 2 when the benchmark cannot run, 1 when a check of the
# run failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench_lib.sh"
bench_build_dir "$@"
shift "$bench_shift"
export RSMD_BIN=${RSMD:-$build/rsmd/rsmd}
export RSMADM_BIN=${RSMADM:-$build/rsmadm/rsmadm}
export SCALE_WORKER=${SCALE_WORKER:-$build/tests/scale/scale_worker}
export SCALE_IDLE_S=${SCALE_IDLE_S:-20}
NODES=${NODES:-256}

for p in "$RSMD_BIN" "$RSMADM_BIN" "$SCALE_WORKER"; do
	[ -x "$p" ] || { echo "run-bench-scale: $p is missing: build first (make)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "run-bench-scale: needs root (network namespaces)" >&2; exit 2; }

results=$(mktemp "${TMPDIR:-/tmp}/rsm-bench-scale.XXXXXX") || exit 2
trap 'rm -f "$results"' EXIT
trap 'exit 130' INT TERM

echo "run-bench-scale: $NODES nodes on one bridge + two-node clusters beside them, $(nproc) cores, $(uname -sr)"
t0=$(date +%s)
bash "$here/../tests/scale/scale.sh" -n "$NODES" -o "$results"
rc=$?
echo "run-bench-scale: the run took $(( $(date +%s) - t0 )) s"
[ -s "$results" ] || exit 2

awk -v idle_s="$SCALE_IDLE_S" "$bench_awk_lib"'
function mx(k,    i, m) {
	m = ""
	for (i = 1; i <= cnt[k]; i++)
		if (m == "" || val[k, i] > m) { m = val[k, i]; at[k] = node[k, i] }
	return m
}
# row NAME KEY DIV [DECIMALS]: the median and the maximum of KEY / DIV
# (decimals by size unless given), and the node of the maximum.
function row(name, k, div, d,    m, x) {
	m = median(k); x = mx(k)
	if (m == "") { printf "%-46s %10s", name, "n/a"; return }
	printf "%-46s %10.*f %10.*f %-8s", name, d == "" ? dec(m / div) : d, m / div, d == "" ? dec(x / div) : d, x / div, "(" at[k] ")"
}
function dec(v) { return v >= 100 ? 0 : v >= 10 ? 1 : 2 }
function target(desc, ok, have) {
	if (!have) { printf "  %-26s %s\n", desc, "n/a"; return }
	if (!ok) misses++
	printf "  %-26s %s\n", desc, ok ? "PASS" : "MISS"
}
{
	if (NF == 2 && $2 !~ /^-?[0-9.]+$/) { s[$1] = $2; next }
	cnt[$1]++
	val[$1, cnt[$1]] = $2 + 0
	node[$1, cnt[$1]] = NF > 2 ? $3 : "-"
}
END {
	n = val["nodes", 1]
	printf "\n%d nodes, peers: %s\n", n, s["peers"]
	printf "%-46s %10s %10s %-8s  %s\n", "", "median", "max", "(node)", "target"
	printf "%-46s %10d ms\n", "cluster up: first start to all answering", val["up_ms", 1]
	if (cnt["linked_ms"])
		printf "%-46s %10d ms\n", "cluster up: to every link up", val["linked_ms", 1]
	row("peer links per node, idle after start", "links_start", 1, 0); printf "\n"
	row("peer links per node, " (cnt["cpu_pct_idle"] ? "all-to-one + " val["busy_s", 1] " s" : "after the workload"), "links_busy", 1, 0); printf "\n"
	idle = cnt["cpu_pct_idle"] ? "idle" : "busy"
	if (idle == "idle") {
		row("peer links per node, idle again", "links_idle", 1, 0); printf "\n"
		row("rsmd CPU % of a core, those links open", "cpu_pct_busy", 1, 3); printf "\n"
		row("rsmd RSS MiB, those links open", "rss_kb_busy", 1024); printf "\n"
		printf "%-46s %10s ms\n", "every link closed, after the last connect", val["links_gone_ms", 1]
	}
	row("rsmd CPU % of a core, idle " idle_s " s", "cpu_pct_" idle, 1, 3)
	target("< 0.5% of a core (max)", mx("cpu_pct_" idle) < 0.5, cnt["cpu_pct_" idle])
	row("rsmd RSS MiB, idle", "rss_kb_" idle, 1024)
	target("< 8 MiB (max)", mx("rss_kb_" idle) < 8192, cnt["rss_kb_" idle])
	row("rsmd descriptors, idle", "fds_" idle, 1, 0); printf "\n"
	row("links declared down (no failure injected)", "links_lost", 1, 0); printf "\n"
	row("ring: connect ms (all at once)", "ring_connect_us", 1000); printf "\n"
	row("all-to-one: connect ms (all at once)", "all_connect_us", 1000); printf "\n"
	row("ring: rsmd CPU ms over the phase", "ring_cpu_ms", 1, 0); printf "\n"
	row("all-to-one: rsmd CPU ms over the phase", "all_cpu_ms", 1, 0); printf "\n"
	printf "%-46s %10d ms\n", "ring: whole phase", val["ring_ms", 1]
	printf "%-46s %10d ms\n", "all-to-one: whole phase", val["all_ms", 1]
	big = median("lat_big_us"); ref = median("lat_ref_us")
	printf "\nconnect + disconnect (median of each run of connects, then of the %d runs)\n", cnt["lat_big_us"]
	printf "%-46s %10s us   runs: %s\n", n " nodes", big, all("lat_big_us")
	printf "%-46s %10s us   runs: %s\n", "2 nodes (same bridge, same run)", ref, all("lat_ref_us")
	have = big != "" && ref != "" && ref > 0
	printf "%-46s %10s", n " nodes / 2 nodes", have ? sprintf("%.2fx", big / ref) : "n/a"
	target("<= 2x", have && big <= 2 * ref, have)
	# The first connect of each run makes the pair'"'"'s link (on demand).
	bigc = median("lat_big_first_us"); refc = median("lat_ref_first_us")
	printf "%-46s %10s us   runs: %s\n", "first connect of a run, " n " nodes", bigc, all("lat_big_first_us")
	printf "%-46s %10s us   runs: %s\n", "first connect of a run, 2 nodes", refc, all("lat_ref_first_us")
	have = bigc != "" && refc != "" && refc > 0
	printf "%-46s %10s", n " nodes / 2 nodes, first connect", have ? sprintf("%.2fx", bigc / refc) : "n/a"
	target("<= 2x", have && bigc <= 2 * refc, have)
	printf "\n%d target%s missed\n", misses, misses == 1 ? "" : "s"
}' "$results"
[ "$rc" -eq 0 ] || { echo "run-bench-scale: a check of the run failed (above)"; exit 1; }
exit 0
