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
# (keep the run's directory), SOAK_SLOW (1: a factor for the driver's
# own deadlines, for an emulated guest; not for SOAK_BUDGET_MS),
# SOAK_NETEM (auto: netem faults when the kernel has sch_netem; 1:
# required; 0: none), SOAK_NETEM_PCT (20: the share of netem among the
# faults), SOAK_PACE_US (soak_worker's pause between batches, 3000), and
# those of tests/net/lib.sh.
#
# Per node I: exporter eI (segment 0x6000I0 through tcp0, published to
# every node), importer lI (that segment through shm0: map, put, get) and
# importer rI (node I+1's segment through tcp0: put, putv, get, getv).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"

# The driver runs in an emulated guest too (tests/vm/test_soak_netem.sh),
# where a fork costs 0.3-0.5 s while the workers load it: what it does
# between faults, and every poll, uses builtins only, and asks rsmadm once
# per node and question.  MS: now in ms; nap: a pause without sleep(1), on
# a FIFO nobody writes (opened once the run's directory exists).
ms() { local t=${EPOCHREALTIME//[!0-9]/}; MS=${t%???}; }
now_ms() { ms; echo "$MS"; }
NAP=
nap() { read -r -t "$1" -u "$NAP" _; }
wait_until() {
	local limit
	ms; limit=$(( MS + $1 ))
	shift
	while ! "$@" 2>/dev/null; do
		ms; [ "$MS" -ge "$limit" ] && return 1
		nap 0.02
	done
	return 0
}

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
NETEM=${SOAK_NETEM:-auto}
SLOW=${SOAK_SLOW:-1}
NETEM_PCT=${SOAK_NETEM_PCT:-20}
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
D_UP=() L_UP=() N_ON=() CRASHED=() DUE_D=() DUE_L=() DUE_N=() KEEP=()
BASE_FDS=() BASE_RSS=() BASE_SEG=() BASE_IMP=() BASE_CLI=()
FRESH_FDS=() FRESH_RSS=() RESTARTS=()
CRASHES=0

# Set once the run's directory exists (net_setup).
STATS= WLOG=

# A child process that has neither exited nor been reaped.
alive() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	[ "${line%% *}" != Z ]
}

# worker_start NAME: start (again) the worker NAME on its node, with a
# fresh stats file and log; its arguments follow from its name.
worker_start() {
	local name=$1 i=${1#?} kind=${1:0:1} gen args seed t seg
	gen=$(( ${W_GEN[$name]:-0} + 1 ))
	W_GEN[$name]=$gen
	seed=$(( RANDOM * 32768 + RANDOM ))
	case $kind in
	e) printf -v t '%#x' $(( SEG_BASE + i * 16 ))
	   args=(export "$t" "$NODES") ;;
	l) printf -v t '%#x' $(( SEG_BASE + i * 16 ))
	   args=(import shm0 "$i" "$t" 0) ;;
	r) t=$(( i % NODES + 1 ))
	   printf -v seg '%#x' $(( SEG_BASE + t * 16 ))
	   args=(import tcp0 "$t" "$seg" "$i") ;;
	esac
	# lib.sh's node_sock and node_ns, without a fork each.
	(
		export RSM_DAEMON_SOCKET SOAK_BUDGET_MS=$BUDGET_MS \
		    SOAK_INJECT=${SOAK_INJECT:-}
		RSM_DAEMON_SOCKET=$NET_DIR/n$i/rsmd.sock
		exec ip netns exec "$NET_TAG-n$i" "$WORKER" "${args[@]}" \
		    "$STATS/$name.$gen" "$seed"
	) >>"$WLOG/$name.$gen.log" 2>&1 &
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

# The workers by name: all, importers, exporters.
ALL_W=() IMP_W=() EXP_W=()
for (( i = 1; i <= NODES; i++ )); do
	ALL_W+=("e$i" "l$i" "r$i") IMP_W+=("l$i" "r$i") EXP_W+=("e$i")
done

# A worker that exited without being killed is a crash: reap it, say so.
reap_crashed() {
	local w pid rc
	for w in "${ALL_W[@]}"; do
		pid=${W_PID[$w]:-}
		[ -n "$pid" ] || continue
		alive "$pid" && continue
		wait "$pid" 2>/dev/null; rc=$?
		W_PID[$w]=
		CRASHES=$((CRASHES + 1))
		echo "# worker $w (generation ${W_GEN[$w]}) exited by itself, status $rc"
		tail -5 "$WLOG/$w.${W_GEN[$w]}.log" | sed 's/^/#   /'
	done
}

# The workers still running, killed and reaped (the daemons are
# net_teardown's: a bare wait would wait for them too).
soak_cleanup() {
	local w
	for w in "${!W_PID[@]}"; do
		[ -n "${W_PID[$w]}" ] && kill -9 "${W_PID[$w]}" 2>/dev/null
	done
	for w in "${!W_PID[@]}"; do
		[ -n "${W_PID[$w]}" ] && { wait "${W_PID[$w]}"; } 2>/dev/null
	done
	if [ "${SOAK_KEEP:-0}" = 1 ] && [ -n "$NET_DIR" ]; then
		cp -a "$NET_DIR" "$NET_DIR.kept" && echo "# kept $NET_DIR.kept"
	fi
}

# Node I's rsmd's pid in PID (empty when none runs).
pid_of() { PID=; read -r PID 2>/dev/null <"$NET_DIR/n$1/pid"; }

# Node I's figures now, in the globals F_FDS F_RSS F_SEG F_IMP F_CLI F_LST:
# its descriptors and VmRSS, "rsmadm status" segments, imports and
# clients, and the count of "rsmadm -j segments".
measure() {
	local k v fds out
	pid_of "$1"
	fds=("/proc/$PID/fd/"*)
	[ -e "${fds[0]}" ] && F_FDS=${#fds[@]} || F_FDS=0
	F_RSS=
	while read -r k v _; do
		[ "$k" = VmRSS: ] && { F_RSS=$v; break; }
	done 2>/dev/null <"/proc/$PID/status"
	F_SEG= F_IMP= F_CLI= F_LST=
	out=$(adm "$1" status 2>/dev/null)
	while read -r k v _; do
		case $k in
		segments:) F_SEG=$v ;;
		imports:) F_IMP=$v ;;
		clients:) F_CLI=$v ;;
		esac
	done <<<"$out"
	out=$(adm "$1" -j segments 2>/dev/null)
	[[ $out =~ \"count\":\ *([0-9]+) ]] && F_LST=${BASH_REMATCH[1]}
}

# up_seen I: in UP_SEEN, the nodes node I sees up (" 2 3 "), from one
# "rsmadm nodes".
up_seen() {
	local n a st out
	UP_SEEN=" "
	out=$(adm "$1" nodes 2>/dev/null) || return 1
	while read -r n a st _; do
		[ "$st" = up ] && UP_SEEN+="$n "
	done <<<"$out"
}

# Node I's daemon runs and its link is up, without netem.
healthy() { [ "${D_UP[$1]}" = 1 ] && [ "${L_UP[$1]}" = 1 ] && [ "${N_ON[$1]}" = 0 ]; }

# Node I sees every healthy node up.
sees_healthy() {
	local i=$1 j
	up_seen "$i" || return 1
	for (( j = 1; j <= NODES; j++ )); do
		[ "$j" = "$i" ] && continue
		healthy "$j" || continue
		[[ $UP_SEEN == *" $j "* ]] || return 1
	done
}

# netem_set I add|change ARGS...: "tc qdisc add|change ... root ARGS" on
# node I's link, both ways: the egress of its eth0 and of its port on the
# bridge (the egress toward the node).
netem_set() {
	local i=$1 op=$2
	shift 2
	ip netns exec "$NET_TAG-n$i" tc qdisc "$op" dev eth0 root "$@" &&
	    ip netns exec "$NET_SW" tc qdisc "$op" dev "p$i" root "$@"
}
netem_clear() {
	ip netns exec "$NET_TAG-n$1" tc qdisc del dev eth0 root 2>/dev/null
	ip netns exec "$NET_SW" tc qdisc del dev "p$1" root 2>/dev/null
	return 0
}
# No netem left on node I's link.
netem_gone() {
	! ip netns exec "$NET_TAG-n$1" tc qdisc show dev eth0 | grep -q netem &&
	    ! ip netns exec "$NET_SW" tc qdisc show dev "p$1" | grep -q netem
}
# Whether netem works here (sch_netem): tried on node 1's link.
netem_works() {
	netem_set 1 add netem delay 1ms 2>/dev/null || { netem_clear 1; return 1; }
	netem_clear 1
	netem_gone 1
}

# daemon_start I: node I's rsmd (lib.sh's node_spawn), answering on its
# socket within 5 s (times SOAK_SLOW); one that does not is killed, so
# that a later start is not refused by a late one holding the socket.
daemon_start() {
	node_spawn "$1"
	pid_of "$1"
	wait_until $(( 5000 * SLOW )) adm "$1" status >/dev/null && return 0
	kill -9 "$PID" 2>/dev/null
	{ wait "$PID"; } 2>/dev/null
	rm -f "$NET_DIR/n$1/pid"
	return 1
}

# daemon_restart I: rsmd of node I again; when its workers died with it
# (a node crash), its fresh figures are taken before they start again.
daemon_restart() {
	local i=$1 w
	if ! daemon_start "$i"; then
		nok "node $i's rsmd restarts (its socket answers within $(( 5000 * SLOW )) ms)"
		return 1
	fi
	D_UP[$i]=1
	DUE_D[$i]=0
	RESTARTS[$i]=$(( ${RESTARTS[$i]:-0} + 1 ))
	if [ "${CRASHED[$i]}" = 1 ]; then
		[ "${L_UP[$i]}" = 1 ] && wait_until $(( 3000 * SLOW )) sees_healthy "$i"
		measure "$i"
		FRESH_FDS[$i]=$F_FDS; FRESH_RSS[$i]=$F_RSS
		CRASHED[$i]=0
		for w in "e$i" "l$i" "r$i"; do worker_start "$w"; done
	fi
}

# Heals what is due: links, daemons, and workers killed or crashed.
maintain() {
	local t i w
	ms; t=$MS
	for (( i = 1; i <= NODES; i++ )); do
		if [ "${L_UP[$i]}" = 0 ] && [ "${DUE_L[$i]}" -le "$t" ]; then
			ip -n "$NET_TAG-n$i" link set eth0 up
			L_UP[$i]=1
		fi
		if [ "${N_ON[$i]}" = 1 ] && [ "${DUE_N[$i]}" -le "$t" ]; then
			netem_clear "$i"
			N_ON[$i]=0
		fi
		if [ "${D_UP[$i]}" = 0 ] && [ "${DUE_D[$i]}" -le "$t" ]; then
			daemon_restart "$i"
		fi
	done
	reap_crashed
	for w in "${ALL_W[@]}"; do
		i=${w#?}
		[ -z "${W_PID[$w]:-}" ] && [ "${CRASHED[$i]}" = 0 ] &&
		    worker_start "$w"
	done
}

# running_from I KIND: in RW, the first worker of KIND (e, l, r) that
# runs, from node I on (a crashed node has none); KINDI when none runs.
running_from() {
	local i=$1 t
	for (( t = 0; t < NODES; t++ )); do
		RW=$2$(( (i + t - 1) % NODES + 1 ))
		[ -n "${W_PID[$RW]:-}" ] && return
	done
	RW=$2$i
}

# In IMPAIRED, how many nodes are cut off (rsmd or link down); a node
# under netem still takes part.
impaired() {
	local i
	IMPAIRED=0
	for (( i = 1; i <= NODES; i++ )); do
		[ "${D_UP[$i]}" = 1 ] && [ "${L_UP[$i]}" = 1 ] ||
		    IMPAIRED=$((IMPAIRED + 1))
	done
}

# One fault, chosen at random; prints what it did.
inject() {
	local f=$1 kind i w t max=$(( NODES / 2 ))
	kind=
	# With netem, NETEM_PCT of the faults are netem, drawn first: without
	# it a seed gives the same sequence as before netem existed.
	if [ "$NETEM" = 1 ]; then
		pick 100
		[ "$R" -lt "$NETEM_PCT" ] && kind=netem
	fi
	pick 100
	if [ -n "$kind" ]; then :
	elif [ "$R" -lt 25 ]; then kind=kill_exporter
	elif [ "$R" -lt 55 ]; then kind=kill_importer
	elif [ "$R" -lt 70 ]; then kind=kill_daemon
	elif [ "$R" -lt 80 ]; then kind=crash_node
	else kind=link_down
	fi
	# Keep half of the cluster whole, so that the workload goes on.
	case $kind in kill_daemon|crash_node|link_down)
		impaired
		[ "$IMPAIRED" -ge "$max" ] && kind=kill_importer ;;
	esac
	pick "$NODES"; i=$(( R + 1 ))
	# Only a healthy node is impaired further.
	case $kind in kill_daemon|crash_node|link_down|netem)
		t=0
		while ! healthy "$i"; do
			i=$(( i % NODES + 1 )); t=$((t + 1))
			[ "$t" -ge "$NODES" ] && { kind=kill_importer; break; }
		done ;;
	esac
	case $kind in
	kill_exporter)
		running_from "$i" e; w=$RW
		worker_kill9 "$w"; echo "# fault $f: kill -9 exporter $w" ;;
	kill_importer)
		pick 2; [ "$R" = 0 ] && w=l || w=r
		running_from "$i" "$w"; w=$RW
		worker_kill9 "$w"; echo "# fault $f: kill -9 importer $w" ;;
	kill_daemon|crash_node)
		node_kill9 "$i"
		D_UP[$i]=0
		ms; pick_range 300 2500; DUE_D[$i]=$(( MS + R ))
		if [ "$kind" = crash_node ]; then
			for w in "e$i" "l$i" "r$i"; do worker_kill9 "$w"; done
			CRASHED[$i]=1
			echo "# fault $f: crash node $i (rsmd and its workers), back in $R ms"
		else
			echo "# fault $f: kill -9 rsmd of node $i (workers kept), back in $R ms"
		fi ;;
	link_down)
		ip -n "$NET_TAG-n$i" link set eth0 down
		L_UP[$i]=0
		# Shorter and longer than dead_after_ms.
		ms; pick_range 200 3000; DUE_L[$i]=$(( MS + R ))
		echo "# fault $f: link of node $i down for $R ms" ;;
	netem)
		# Delay 5-50 ms with jitter up to half of it, 1-20% loss, both
		# ways, for 0.5-4 s (on both sides of dead_after_ms for the
		# peer link's retransmissions).
		local d j l
		pick_range 5 50; d=$R
		pick_range 1 $(( d / 2 + 1 )); j=$R
		pick_range 1 20; l=$R
		pick_range 500 4000
		if netem_set "$i" add netem delay "${d}ms" "${j}ms" loss "$l%"; then
			N_ON[$i]=1
			ms; DUE_N[$i]=$(( MS + R ))
			echo "# fault $f: netem on node $i's link: delay ${d}ms ${j}ms loss $l% for $R ms"
		else
			netem_clear "$i"
			nok "netem delay ${d}ms ${j}ms loss $l% on node $i's link"
		fi ;;
	esac
	FAULT_N[$kind]=$(( ${FAULT_N[$kind]:-0} + 1 ))
	# The workers' logs use the same clock: a finding is placed by it.
	ms; echo "#   (at $MS)"
}

# acked_of FILE: in ACKED, the records FILE's worker acknowledged.
acked_of() {
	local k v out
	ACKED=0
	out=$("$WORKER" report "$1" 2>/dev/null)
	while read -r k v _; do
		[ "$k" = acked ] && ACKED=$v
	done <<<"$out"
}
# Every importer's current generation has acknowledged more than MARK[w].
declare -A MARK
all_progress() {
	local w
	for w in "${IMP_W[@]}"; do
		acked_of "$STATS/$w.${W_GEN[$w]}"
		[ "$ACKED" -gt "${MARK[$w]:-0}" ] || return 1
	done
}
mark_progress() {
	local w
	for w in "${IMP_W[@]}"; do
		acked_of "$STATS/$w.${W_GEN[$w]}"
		MARK[$w]=$ACKED
	done
}
# Every node sees every other up.
cluster_whole() {
	local i j
	for (( i = 1; i <= NODES; i++ )); do
		up_seen "$i" || return 1
		for (( j = 1; j <= NODES; j++ )); do
			[ "$j" = "$i" ] || [[ $UP_SEEN == *" $j "* ]] || return 1
		done
	done
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
		if ! wait_until $(( BUDGET_MS * 3 * SLOW )) eval "! alive $pid"; then
			echo "# worker $w did not stop within $(( BUDGET_MS * 3 * SLOW )) ms"
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
	    [ -n "$F_FDS" ] && [ "$F_FDS" -le "${WANT_FDS[$i]}" ] &&
	    [ -n "$F_RSS" ] && [ "$F_RSS" -le $(( ${WANT_RSS[$i]} + RSS_SLACK_KB )) ]
}
# A restarted daemon's figures: its fresh start's, or the node's first
# start's when that is higher (workers kept across the restart were
# already connected, or a peer was down while it was measured).
WANT_FDS=() WANT_RSS=()
wanted() {
	local i=$1 f
	f=${FRESH_FDS[$i]:-0}
	[ "$f" -gt "${BASE_FDS[$i]}" ] && WANT_FDS[$i]=$f || WANT_FDS[$i]=${BASE_FDS[$i]}
	f=${FRESH_RSS[$i]:-0}
	[ "$f" -gt "${BASE_RSS[$i]}" ] && WANT_RSS[$i]=$f || WANT_RSS[$i]=${BASE_RSS[$i]}
}

# ---- the run ----
net_require
ms; T0=$MS
# lap NAME: the time since the last lap, in PHASES for the summary.
PHASES= LAP=$T0
lap() { ms; PHASES+="${PHASES:+, }$1 $(( (MS - LAP) / 1000 )) s"; LAP=$MS; }
echo "# soak: $NODES nodes, $FAULTS faults, seed $SEED (SOAK_SEED=$SEED reproduces the fault sequence)"
net_setup "$NODES" || { echo "network setup failed"; exit 1; }
trap 'rc=$?; soak_cleanup; net_teardown; exit $rc' EXIT
STATS=$NET_DIR/stats WLOG=$NET_DIR/wlog
mkdir -p "$STATS" "$WLOG"
mkfifo "$NET_DIR/nap" && exec {NAP}<>"$NET_DIR/nap" ||
    { echo "no FIFO for the driver's pauses"; exit 1; }
for (( i = 1; i <= NODES; i++ )); do
	node_conf "$i" "data_listen = 0.0.0.0:0"
	daemon_start "$i" || nok "node $i starts"
	D_UP[$i]=1 L_UP[$i]=1 N_ON[$i]=0 CRASHED[$i]=0 DUE_D[$i]=0 DUE_L[$i]=0
	DUE_N[$i]=0
done
check "all $NODES nodes see each other up" wait_until $(( 10000 * SLOW )) cluster_whole
case $NETEM in
auto) if netem_works; then NETEM=1; else NETEM=0; fi ;;
1) if ! netem_works; then
	nok "netem works on the node links (SOAK_NETEM=1)"
	exit 1
   fi
   ok "netem works on the node links" ;;
*) NETEM=0 ;;
esac
[ "$NETEM" = 1 ] && echo "# netem faults: $NETEM_PCT% of the faults" ||
    echo "# no netem faults (SOAK_NETEM=${SOAK_NETEM:-auto})"
for (( i = 1; i <= NODES; i++ )); do
	measure "$i"
	BASE_FDS[$i]=$F_FDS BASE_RSS[$i]=$F_RSS BASE_SEG[$i]=$F_SEG
	BASE_IMP[$i]=$F_IMP BASE_CLI[$i]=$F_CLI
	echo "# node $i at start: fds $F_FDS rss ${F_RSS} kB segments $F_SEG imports $F_IMP clients $F_CLI"
done
for w in "${ALL_W[@]}"; do worker_start "$w"; done
check "every importer acknowledges records before the faults" \
    wait_until $(( 20000 * SLOW )) all_progress

# Chaos: FAULTS faults a random gap apart, within MAX_S seconds.
lap setup
ms; TC=$MS
done_faults=0
for (( f = 1; f <= FAULTS; f++ )); do
	ms
	if [ $(( MS - TC )) -ge $(( MAX_S * 1000 )) ]; then
		echo "# the chaos phase reached its bound of $MAX_S s after $done_faults faults"
		break
	fi
	maintain
	inject "$f"
	done_faults=$f
	pick_range "$GAP_MIN" "$GAP_MAX"
	# Pacing between faults, not a wait for anything.
	printf -v t '%d.%03d' $(( R / 1000 )) $(( R % 1000 ))
	nap "$t"
done
ms; CHAOS_MS=$(( MS - TC ))
lap chaos

# Heal everything at once, then the cluster and the workload must recover.
for (( i = 1; i <= NODES; i++ )); do DUE_L[$i]=0; DUE_D[$i]=0; DUE_N[$i]=0; done
maintain
if [ "$NETEM" = 1 ]; then
	no_netem() {
		local i
		for (( i = 1; i <= NODES; i++ )); do netem_gone "$i" || return 1; done
	}
	check "no netem left on any link" no_netem
fi
check "after the faults every node sees every other up again" \
    wait_until $(( 20000 * SLOW )) cluster_whole
mark_progress
check "after the faults every importer acknowledges new records" \
    wait_until $(( 30000 * SLOW )) all_progress

lap recovery
# Stop importers first (each reads back what it remembers while the
# exporters live), then the exporters.
reap_crashed
stop_workers "${IMP_W[@]}"
stop_workers "${EXP_W[@]}"
lap stop

# Settle: every daemon back to its start figures.
leaks=0
for (( i = 1; i <= NODES; i++ )); do
	wanted "$i"
	if wait_until $(( 15000 * SLOW )) settled "$i"; then
		ok "node $i no leak: fds $F_FDS (<= ${WANT_FDS[$i]}), rss $F_RSS kB (<= ${WANT_RSS[$i]} + $RSS_SLACK_KB), segments $F_SEG, imports $F_IMP, clients $F_CLI, listed $F_LST (restarts ${RESTARTS[$i]:-0})"
	else
		leaks=$((leaks + 1))
		nok "node $i leaks: fds $F_FDS (start ${WANT_FDS[$i]}), rss $F_RSS kB (start ${WANT_RSS[$i]} + $RSS_SLACK_KB), segments $F_SEG (${BASE_SEG[$i]}), imports $F_IMP (${BASE_IMP[$i]}), clients $F_CLI (${BASE_CLI[$i]}), listed $F_LST (0) (restarts ${RESTARTS[$i]:-0})"
		adm "$i" segments | sed 's/^/#   /'
		ls -l "/proc/$(node_pid "$i")/fd" | sed 's/^/#   /'
	fi
done

lap "leak checks"
# ---- the workers' figures ----
"$WORKER" report "$STATS"/* >"$NET_DIR/report" 2>"$NET_DIR/report.err"
# The report's "key value" lines, and its "err FUNCTION NAME N" lines.
declare -A REP
ERRS=()
while read -r k v x y; do
	if [ "$k" = err ]; then ERRS+=("$v $x $y")
	elif [ -z "$x" ]; then REP[$k]=$v
	fi
done <"$NET_DIR/report"

# An error a function's man page does not name is undocumented too.
# page_of FUNCTION: its man page in PAGE (.so followed).
page_of() {
	local l
	PAGE="$MAN/$1.3rsm"
	[ -f "$PAGE" ] || return 1
	read -r l <"$PAGE"
	case $l in .so\ *) PAGE="$MAN/${l##*/}" ;; esac
}
undoc=${REP[undocumented]:-0}
for e in "${ERRS[@]}"; do
	read -r fn name n <<<"$e"
	case $fn in map_*) continue ;; esac
	page_of "$fn" && grep -qw -- "$name" "$PAGE" && continue
	echo "# undocumented: $fn returned $name $n times (not in its man page)"
	undoc=$((undoc + n))
done
hangs=$(( ${REP[hangs]:-0} + STUCK ))
corrupt=${REP[corrupt]:-0}

echo "# the workers' own reports of hangs, corruption and undocumented codes:"
grep -h -E ' (HANG|CORRUPT|UNDOCUMENTED) ' "$WLOG"/*.log | head -20 | sed 's/^/#   /'

for (( i = 1; i <= NODES; i++ )); do
	node_stop "$i" "node $i's rsmd"
done

check "no hangs ($hangs)" test "$hangs" = 0
check "no corrupted records ($corrupt)" test "$corrupt" = 0
check "every error a documented RSMERR_* ($undoc undocumented)" test "$undoc" = 0
check "no worker crashed ($CRASHES)" test "$CRASHES" = 0
check "every worker stopped cleanly ($UNCLEAN not)" test "$UNCLEAN" = 0
check "records were verified (${REP[verified]:-0})" test "${REP[verified]:-0}" -gt 0

echo "== summary (seed $SEED)"
lap report
echo "elapsed: $(( (MS - T0) / 1000 )) s (chaos $(( CHAOS_MS / 1000 )) s)"
echo "phases: $PHASES"
echo "nodes: $NODES"
echo "faults injected: $done_faults"
for k in kill_exporter kill_importer kill_daemon crash_node link_down netem; do
	echo "faults $k: ${FAULT_N[$k]:-0}"
done
awk '$1 == "calls" { printf "ops %s: %s\n", $2, $3 }' "$NET_DIR/report"
awk '$1 == "err" { n[$3] += $4 } END { for (k in n) printf "errors %s: %d\n", k, n[k] }' \
    "$NET_DIR/report" | sort
echo "records acknowledged: ${REP[acked]:-0}"
echo "records verified: ${REP[verified]:-0}"
echo "records forgotten with their exporter: ${REP[forgotten]:-0}"
echo "exporter incarnations met: ${REP[incarnations]:-0}"
echo "signals received: ${REP[signals]:-0}"
echo "reconnects: ${REP[connects]:-0}"
echo "worker generations: ${REP[files]:-0}"
echo "slowest call: ${REP[slowest_ms]:-0} ms (budget $BUDGET_MS)"
echo "hangs: $hangs"
echo "corrupted records: $corrupt"
echo "undocumented errors: $undoc"
echo "worker crashes: $CRASHES"
echo "leaks: $leaks"
net_summary
