#!/usr/bin/env bash
# soak.sh - a cluster of rsmd nodes under random faults while soak_worker
# processes move checksummed records between them; fails on any hang,
# corrupted record, undocumented error or leak (see tests/soak/README).
#
#   soak.sh [-f FAULTS] [-n NODES]
#
# Environment: SOAK_SEED (reproduces a run's fault sequence; printed),
# FAULTS (200), SOAK_NODES (4, at most 8), SOAK_BUDGET_MS (5000: the
# longest any call may take), SOAK_GAP_MS ("30 300": the random pause
# between faults), SOAK_MAX_S (the chaos phase's time bound),
# SOAK_RSS_SLACK_KB (how much a daemon's RSS may grow), SOAK_KEEP=1
# (keep the run's directory), and those of tests/net/lib.sh.
#
# Per node I: exporter eI (segment 0x6000I0 through tcp0, published to
# every node), importer lI (that segment through shm0: map, put, get) and
# importer rI (node I+1's segment through tcp0: put, putv, get, getv).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"

FAULTS=${FAULTS:-200}
NODES=${SOAK_NODES:-4}
while getopts f:n: o; do
	case $o in
	f) FAULTS=$OPTARG ;;
	n) NODES=$OPTARG ;;
	*) echo "usage: soak.sh [-f FAULTS] [-n NODES]"; exit 2 ;;
	esac
done
SEED=${SOAK_SEED:-$(( $(date +%s%N) / 1000 % 1000000000 ))}
BUDGET_MS=${SOAK_BUDGET_MS:-5000}
read -r GAP_MIN GAP_MAX <<<"${SOAK_GAP_MS:-30 300}"
MAX_S=${SOAK_MAX_S:-$(( 30 + FAULTS * 3 / 5 ))}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-2048}
WORKER=${SOAK_WORKER:-$(cd "$(dirname "$RSMD_BIN")/../tests/soak" && pwd)/soak_worker}
MAN=${SOAK_MAN:-$here/../../man}
SEG_BASE=0x600000

[ -x "$WORKER" ] || { echo "no soak_worker at $WORKER"; exit 99; }
[ "$NODES" -ge 2 ] && [ "$NODES" -le 8 ] || { echo "2..8 nodes"; exit 2; }

# Every random choice comes from bash's generator seeded here, and is
# drawn in the main shell (pick sets R: a $(...) would not advance it).
RANDOM=$SEED
R=0
pick() { R=$(( RANDOM % $1 )); }
pick_range() { R=$(( $1 + RANDOM % ($2 - $1 + 1) )); }

declare -A W_PID W_GEN W_NODE W_KILLED
declare -A FAULT_N
D_UP=() L_UP=() CRASHED=() DUE_D=() DUE_L=() KEEP=()
BASE_FDS=() BASE_RSS=() BASE_SEG=() BASE_IMP=() BASE_CLI=()
FRESH_FDS=() FRESH_RSS=() RESTARTS=()
CRASHES=0

seg_of() { printf '%#x' $(( SEG_BASE + $1 * 16 )); }
stats_dir() { echo "$NET_DIR/stats"; }
wlog_dir() { echo "$NET_DIR/wlog"; }

# The state letter of a child process (empty once reaped or gone).
proc_state() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	line=${line##*) }
	echo "${line%% *}"
}
alive() { local s; s=$(proc_state "$1"); [ -n "$s" ] && [ "$s" != Z ]; }

# worker_start NAME: start (again) the worker NAME on its node, with a
# fresh stats file and log; its arguments follow from its name.
worker_start() {
	local name=$1 i=${1#?} kind=${1:0:1} gen args seed t
	gen=$(( ${W_GEN[$name]:-0} + 1 ))
	W_GEN[$name]=$gen
	seed=$(( RANDOM * 32768 + RANDOM ))
	case $kind in
	e) args=(export "$(seg_of "$i")" "$NODES") ;;
	l) args=(import shm0 "$i" "$(seg_of "$i")" 0) ;;
	r) t=$(( i % NODES + 1 ))
	   args=(import tcp0 "$t" "$(seg_of "$t")" "$i") ;;
	esac
	(
		export RSM_DAEMON_SOCKET SOAK_BUDGET_MS=$BUDGET_MS \
		    SOAK_INJECT=${SOAK_INJECT:-}
		RSM_DAEMON_SOCKET=$(node_sock "$i")
		exec ip netns exec "$(node_ns "$i")" "$WORKER" "${args[@]}" \
		    "$(stats_dir)/$name.$gen" "$seed"
	) >>"$(wlog_dir)/$name.$gen.log" 2>&1 &
	W_PID[$name]=$!
	W_NODE[$name]=$i
	W_KILLED[$name]=0
}

worker_kill9() {
	local pid=${W_PID[$1]:-}
	[ -n "$pid" ] || return 0
	W_KILLED[$1]=1
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	W_PID[$1]=
}

workers_of() { local i=$1; echo "e$i l$i r$i"; }
all_workers() { local i; for i in $(seq 1 "$NODES"); do workers_of "$i"; done; }
importers() { local i; for i in $(seq 1 "$NODES"); do echo "l$i r$i"; done; }

# A worker that exited without being killed is a crash: reap it, say so.
reap_crashed() {
	local w pid rc
	for w in $(all_workers); do
		pid=${W_PID[$w]:-}
		[ -n "$pid" ] || continue
		alive "$pid" && continue
		wait "$pid" 2>/dev/null; rc=$?
		W_PID[$w]=
		CRASHES=$((CRASHES + 1))
		echo "# worker $w (generation ${W_GEN[$w]}) exited by itself, status $rc"
		tail -5 "$(wlog_dir)/$w.${W_GEN[$w]}.log" | sed 's/^/#   /'
	done
}

soak_cleanup() {
	local w
	for w in "${!W_PID[@]}"; do
		[ -n "${W_PID[$w]}" ] && kill -9 "${W_PID[$w]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${SOAK_KEEP:-0}" = 1 ] && [ -n "$NET_DIR" ]; then
		cp -a "$NET_DIR" "$NET_DIR.kept" && echo "# kept $NET_DIR.kept"
	fi
}

# A counter of "rsmadm status" of node I (segments, imports, clients).
status_of() { adm "$1" status | awk -v k="$2:" '$1 == k { print $2 }'; }
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$(node_pid "$1")/status" 2>/dev/null; }
seglist_count() {
	adm "$1" -j segments 2>/dev/null | sed -n 's/.*"count": *\([0-9]*\).*/\1/p'
}

# Node I's figures now, in the globals F_FDS F_RSS F_SEG F_IMP F_CLI F_LST.
measure() {
	F_FDS=$(node_fds "$1"); F_RSS=$(rss_of "$1")
	F_SEG=$(status_of "$1" segments); F_IMP=$(status_of "$1" imports)
	F_CLI=$(status_of "$1" clients); F_LST=$(seglist_count "$1")
}

# Node I sees every node up whose daemon runs and whose link is up.
sees_healthy() {
	local i=$1 j
	for j in $(seq 1 "$NODES"); do
		[ "$j" = "$i" ] && continue
		[ "${D_UP[$j]}" = 1 ] && [ "${L_UP[$j]}" = 1 ] || continue
		is_state "$i" "$j" up || return 1
	done
}

# daemon_restart I: rsmd of node I again; when its workers died with it
# (a node crash), its fresh figures are taken before they start again.
daemon_restart() {
	local i=$1 w
	if ! node_start "$i"; then
		nok "node $i's rsmd restarts"
		return 1
	fi
	D_UP[$i]=1
	DUE_D[$i]=0
	RESTARTS[$i]=$(( ${RESTARTS[$i]:-0} + 1 ))
	if [ "${CRASHED[$i]}" = 1 ]; then
		[ "${L_UP[$i]}" = 1 ] && wait_until 3000 sees_healthy "$i"
		measure "$i"
		FRESH_FDS[$i]=$F_FDS; FRESH_RSS[$i]=$F_RSS
		CRASHED[$i]=0
		for w in $(workers_of "$i"); do worker_start "$w"; done
	fi
}

# Heals what is due: links, daemons, and workers killed or crashed.
maintain() {
	local t i w
	t=$(now_ms)
	for i in $(seq 1 "$NODES"); do
		if [ "${L_UP[$i]}" = 0 ] && [ "${DUE_L[$i]}" -le "$t" ]; then
			ip -n "$(node_ns "$i")" link set eth0 up
			L_UP[$i]=1
		fi
		if [ "${D_UP[$i]}" = 0 ] && [ "${DUE_D[$i]}" -le "$t" ]; then
			daemon_restart "$i"
		fi
	done
	reap_crashed
	for w in $(all_workers); do
		i=${w#?}
		[ -z "${W_PID[$w]:-}" ] && [ "${CRASHED[$i]}" = 0 ] &&
		    worker_start "$w"
	done
}

# running_from I KIND: the first worker of KIND (e, l, r) that runs, from
# node I on (a crashed node has none); KINDI when none runs.
running_from() {
	local i=$1 t
	for t in $(seq 0 $(( NODES - 1 ))); do
		[ -n "${W_PID[$2$(( (i + t - 1) % NODES + 1 ))]:-}" ] &&
		    { echo "$2$(( (i + t - 1) % NODES + 1 ))"; return; }
	done
	echo "$2$i"
}

impaired() {
	local i n=0
	for i in $(seq 1 "$NODES"); do
		[ "${D_UP[$i]}" = 0 ] || [ "${L_UP[$i]}" = 0 ] && n=$((n + 1))
	done
	echo "$n"
}

# One fault, chosen at random; prints what it did.
inject() {
	local f=$1 kind i w t max=$(( NODES / 2 ))
	pick 100
	if [ "$R" -lt 25 ]; then kind=kill_exporter
	elif [ "$R" -lt 55 ]; then kind=kill_importer
	elif [ "$R" -lt 70 ]; then kind=kill_daemon
	elif [ "$R" -lt 80 ]; then kind=crash_node
	else kind=link_down
	fi
	# Keep half of the cluster whole, so that the workload goes on.
	case $kind in kill_daemon|crash_node|link_down)
		[ "$(impaired)" -ge "$max" ] && kind=kill_importer ;;
	esac
	pick "$NODES"; i=$(( R + 1 ))
	# Only a healthy node is impaired further.
	case $kind in kill_daemon|crash_node|link_down)
		t=0
		while [ "${D_UP[$i]}" = 0 ] || [ "${L_UP[$i]}" = 0 ]; do
			i=$(( i % NODES + 1 )); t=$((t + 1))
			[ "$t" -ge "$NODES" ] && { kind=kill_importer; break; }
		done ;;
	esac
	case $kind in
	kill_exporter)
		w=$(running_from "$i" e)
		worker_kill9 "$w"; echo "# fault $f: kill -9 exporter $w" ;;
	kill_importer)
		pick 2; [ "$R" = 0 ] && w=l || w=r
		w=$(running_from "$i" "$w")
		worker_kill9 "$w"; echo "# fault $f: kill -9 importer $w" ;;
	kill_daemon|crash_node)
		node_kill9 "$i"
		D_UP[$i]=0
		pick_range 300 2500; DUE_D[$i]=$(( $(now_ms) + R ))
		if [ "$kind" = crash_node ]; then
			for w in $(workers_of "$i"); do worker_kill9 "$w"; done
			CRASHED[$i]=1
			echo "# fault $f: crash node $i (rsmd and its workers), back in $R ms"
		else
			echo "# fault $f: kill -9 rsmd of node $i (workers kept), back in $R ms"
		fi ;;
	link_down)
		ip -n "$(node_ns "$i")" link set eth0 down
		L_UP[$i]=0
		# Shorter and longer than dead_after_ms.
		pick_range 200 3000; DUE_L[$i]=$(( $(now_ms) + R ))
		echo "# fault $f: link of node $i down for $R ms" ;;
	esac
	FAULT_N[$kind]=$(( ${FAULT_N[$kind]:-0} + 1 ))
	# The workers' logs use the same clock: a finding is placed by it.
	echo "#   (at $(now_ms))"
}

acked_of() { "$WORKER" report "$1" 2>/dev/null | awk '$1 == "acked" { print $2 }'; }
# Every importer's current generation has acknowledged more than MARK[w].
declare -A MARK
all_progress() {
	local w a
	for w in $(importers); do
		a=$(acked_of "$(stats_dir)/$w.${W_GEN[$w]}")
		[ "${a:-0}" -gt "${MARK[$w]:-0}" ] || return 1
	done
}
mark_progress() {
	local w
	for w in $(importers); do
		MARK[$w]=$(acked_of "$(stats_dir)/$w.${W_GEN[$w]}")
	done
}
cluster_whole() {
	local i
	for i in $(seq 1 "$NODES"); do all_up "$i" || return 1; done
}

# stop_workers NAMES...: SIGTERM, then wait for each to exit (status 0).
STUCK=0 UNCLEAN=0
stop_workers() {
	local w pid rc
	for w in "$@"; do
		[ -n "${W_PID[$w]:-}" ] && kill -TERM "${W_PID[$w]}" 2>/dev/null
	done
	for w in "$@"; do
		pid=${W_PID[$w]:-}
		[ -n "$pid" ] || continue
		if ! wait_until $(( BUDGET_MS * 3 )) eval "! alive $pid"; then
			echo "# worker $w did not stop within $(( BUDGET_MS * 3 )) ms"
			STUCK=$((STUCK + 1))
			kill -9 "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null; rc=$?
		[ "$rc" = 0 ] || { UNCLEAN=$((UNCLEAN + 1)); echo "# worker $w exited with $rc"; }
		W_PID[$w]=
	done
}

# Node I back to its start (or fresh start) figures.
settled() {
	local i=$1
	measure "$i"
	[ "$F_SEG" = "${BASE_SEG[$i]}" ] && [ "$F_IMP" = "${BASE_IMP[$i]}" ] &&
	    [ "$F_CLI" = "${BASE_CLI[$i]}" ] && [ "$F_LST" = 0 ] &&
	    [ "$F_FDS" -le "$(want_fds "$i")" ] &&
	    [ "$F_RSS" -le $(( $(want_rss "$i") + RSS_SLACK_KB )) ]
}
# A restarted daemon's figures: its fresh start's, or the node's first
# start's when that is higher (workers kept across the restart were
# already connected, or a peer was down while it was measured).
want_fds() {
	local f=${FRESH_FDS[$1]:-0}
	[ "$f" -gt "${BASE_FDS[$1]}" ] && echo "$f" || echo "${BASE_FDS[$1]}"
}
want_rss() {
	local f=${FRESH_RSS[$1]:-0}
	[ "$f" -gt "${BASE_RSS[$1]}" ] && echo "$f" || echo "${BASE_RSS[$1]}"
}

# ---- the run ----
net_require
T0=$(now_ms)
echo "# soak: $NODES nodes, $FAULTS faults, seed $SEED (SOAK_SEED=$SEED reproduces the fault sequence)"
net_setup "$NODES" || { echo "network setup failed"; exit 1; }
trap 'rc=$?; soak_cleanup; net_teardown; exit $rc' EXIT
mkdir -p "$(stats_dir)" "$(wlog_dir)"
for i in $(seq 1 "$NODES"); do
	node_conf "$i" "data_listen = 0.0.0.0:0"
	node_start "$i" || nok "node $i starts"
	D_UP[$i]=1 L_UP[$i]=1 CRASHED[$i]=0 DUE_D[$i]=0 DUE_L[$i]=0
done
check "all $NODES nodes see each other up" wait_until 10000 cluster_whole
for i in $(seq 1 "$NODES"); do
	measure "$i"
	BASE_FDS[$i]=$F_FDS BASE_RSS[$i]=$F_RSS BASE_SEG[$i]=$F_SEG
	BASE_IMP[$i]=$F_IMP BASE_CLI[$i]=$F_CLI
	echo "# node $i at start: fds $F_FDS rss ${F_RSS} kB segments $F_SEG imports $F_IMP clients $F_CLI"
done
for w in $(all_workers); do worker_start "$w"; done
check "every importer acknowledges records before the faults" \
    wait_until 20000 all_progress

# Chaos: FAULTS faults a random gap apart, within MAX_S seconds.
TC=$(now_ms)
done_faults=0
for f in $(seq 1 "$FAULTS"); do
	if [ $(( $(now_ms) - TC )) -ge $(( MAX_S * 1000 )) ]; then
		echo "# the chaos phase reached its bound of $MAX_S s after $done_faults faults"
		break
	fi
	maintain
	inject "$f"
	done_faults=$f
	pick_range "$GAP_MIN" "$GAP_MAX"
	# Pacing between faults, not a wait for anything.
	sleep "$(( R / 1000 )).$(printf '%03d' $(( R % 1000 )))"
done
CHAOS_MS=$(( $(now_ms) - TC ))

# Heal everything at once, then the cluster and the workload must recover.
for i in $(seq 1 "$NODES"); do DUE_L[$i]=0; DUE_D[$i]=0; done
maintain
check "after the faults every node sees every other up again" \
    wait_until 20000 cluster_whole
mark_progress
check "after the faults every importer acknowledges new records" \
    wait_until 30000 all_progress

# Stop importers first (each reads back what it remembers while the
# exporters live), then the exporters.
reap_crashed
stop_workers $(importers)
stop_workers $(for i in $(seq 1 "$NODES"); do echo "e$i"; done)

# Settle: every daemon back to its start figures.
leaks=0
for i in $(seq 1 "$NODES"); do
	if wait_until 15000 settled "$i"; then
		ok "node $i no leak: fds $F_FDS (<= $(want_fds "$i")), rss $F_RSS kB (<= $(want_rss "$i") + $RSS_SLACK_KB), segments $F_SEG, imports $F_IMP, clients $F_CLI, listed $F_LST (restarts ${RESTARTS[$i]:-0})"
	else
		leaks=$((leaks + 1))
		nok "node $i leaks: fds $F_FDS (start $(want_fds "$i")), rss $F_RSS kB (start $(want_rss "$i") + $RSS_SLACK_KB), segments $F_SEG (${BASE_SEG[$i]}), imports $F_IMP (${BASE_IMP[$i]}), clients $F_CLI (${BASE_CLI[$i]}), listed $F_LST (0) (restarts ${RESTARTS[$i]:-0})"
		adm "$i" segments | sed 's/^/#   /'
		ls -l "/proc/$(node_pid "$i")/fd" | sed 's/^/#   /'
	fi
done

# ---- the workers' figures ----
"$WORKER" report "$(stats_dir)"/* >"$NET_DIR/report" 2>"$NET_DIR/report.err"
val() { awk -v k="$1" '$1 == k { print $2 }' "$NET_DIR/report"; }
# An error a function's man page does not name is undocumented too.
page_of() {
	local p="$MAN/$1.3rsm" l
	[ -f "$p" ] || return 1
	read -r l <"$p"
	case $l in .so\ *) p="$MAN/${l##*/}" ;; esac
	echo "$p"
}
undoc=$(val undocumented)
while read -r _ fn name n; do
	case $fn in map_*) continue ;; esac
	p=$(page_of "$fn") && grep -qw -- "$name" "$p" && continue
	echo "# undocumented: $fn returned $name $n times (not in its man page)"
	undoc=$((undoc + n))
done < <(grep '^err ' "$NET_DIR/report")
hangs=$(( $(val hangs) + STUCK ))
corrupt=$(val corrupt)

echo "# the workers' own reports of hangs, corruption and undocumented codes:"
grep -h -E ' (HANG|CORRUPT|UNDOCUMENTED) ' "$(wlog_dir)"/*.log | head -20 | sed 's/^/#   /'

for i in $(seq 1 "$NODES"); do
	node_stop "$i" "node $i's rsmd"
done

check "no hangs ($hangs)" test "$hangs" = 0
check "no corrupted records ($corrupt)" test "$corrupt" = 0
check "every error a documented RSMERR_* ($undoc undocumented)" test "$undoc" = 0
check "no worker crashed ($CRASHES)" test "$CRASHES" = 0
check "every worker stopped cleanly ($UNCLEAN not)" test "$UNCLEAN" = 0
check "records were verified ($(val verified))" test "$(val verified)" -gt 0

echo "== summary (seed $SEED)"
echo "elapsed: $(( ($(now_ms) - T0) / 1000 )) s (chaos $(( CHAOS_MS / 1000 )) s)"
echo "nodes: $NODES"
echo "faults injected: $done_faults"
for k in kill_exporter kill_importer kill_daemon crash_node link_down; do
	echo "faults $k: ${FAULT_N[$k]:-0}"
done
awk '$1 == "calls" { printf "ops %s: %s\n", $2, $3 }' "$NET_DIR/report"
awk '$1 == "err" { n[$3] += $4 } END { for (k in n) printf "errors %s: %d\n", k, n[k] }' \
    "$NET_DIR/report" | sort
echo "records acknowledged: $(val acked)"
echo "records verified: $(val verified)"
echo "records forgotten with their exporter: $(val forgotten)"
echo "exporter incarnations met: $(val incarnations)"
echo "signals received: $(val signals)"
echo "reconnects: $(val connects)"
echo "worker generations: $(val files)"
echo "slowest call: $(val slowest_ms) ms (budget $BUDGET_MS)"
echo "hangs: $hangs"
echo "corrupted records: $corrupt"
echo "undocumented errors: $undoc"
echo "worker crashes: $CRASHES"
echo "leaks: $leaks"
net_summary
