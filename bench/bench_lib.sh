# bench_lib.sh - shell pieces the run-bench*.sh scripts share; sourced,
# not run.  Plain sh but for bench_reap, which only the bash scripts call.

# bench_build_dir [ARG]: sets $build (absolute) to ARG when that is a
# directory, else to the tree above the script's own directory ($here),
# and $bench_shift to the arguments used (the caller shifts them off: a
# function cannot shift its caller's arguments).
bench_build_dir() {
	build=$here/..
	bench_shift=0
	if [ $# -gt 0 ] && [ -d "$1" ]; then
		build=$1
		bench_shift=1
	fi
	build=$(cd "$build" && pwd)
}

# Results are "key value" lines in $results, one per measurement; the
# daemons' sockets are $tmp/nN.sock.
record() { echo "$1 $2" >>"$results"; }
sock_of() { echo "$tmp/n$1.sock"; }
# Needs the script's own peer_up (how it asks a daemon differs).
both_up() { peer_up 1 2 && peer_up 2 1; }

# bench_reap: kill -9 and reap every pid in the bash arrays bg_pids and
# rsmd_pid, all signalled before any is waited for so none outlives a
# slow sibling.
bench_reap() {
	local p
	for p in "${bg_pids[@]}" "${rsmd_pid[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for p in "${bg_pids[@]}" "${rsmd_pid[@]}"; do
		{ wait "$p"; } 2>/dev/null
	done
}

# awk functions for the result tables, to put before a program that
# fills cnt[KEY] and val[KEY, 1..cnt[KEY]]: median(KEY), the middle
# value or the mean of the middle two ("" for none); all(KEY[, DIV]),
# every value in order, space separated (divided by DIV, to one
# decimal, when DIV is given).
bench_awk_lib='
function median(k,    n, i, j, t, a) {
	n = cnt[k]
	if (n == 0)
		return ""
	for (i = 1; i <= n; i++)
		a[i] = val[k, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function all(k, d,    i, s) {
	s = ""
	for (i = 1; i <= cnt[k]; i++)
		s = s (i > 1 ? " " : "") (d == "" ? val[k, i] : \
		    sprintf("%.1f", val[k, i] / d))
	return s
}
'
