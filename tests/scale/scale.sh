#!/usr/bin/env bash
# scale.sh - a cluster of NODES rsmd on one bridge, one daemon per network
# namespace and every node exporting a segment; a ring (node I imports
# node I+1's segment) and an all-to-one (every node imports node 1's)
# move checksummed records through tcp0, and the daemons' cost is
# measured: RSS, CPU over idle intervals, peer links, the time for the
# cluster to come up, and connect latency beside two-node clusters on
# the same bridge, in the same run.  See tests/scale/README.
#
#   scale.sh [-n NODES] [-o RESULTS]
#
# Environment (defaults in brackets): SCALE_PEERS (file: one shared
# peers_file, linked on demand; lines: a "peer =" line per peer, every
# link made at start), SCALE_BATCH
# (32 daemons started at once), SCALE_IDLE_S (15: the idle interval),
# SCALE_BUSY_S (10 at most: the one with the all-to-one's links open),
# SCALE_LAT_COUNT (50 connects per latency run), SCALE_LAT_ROUNDS (5
# paired runs), SCALE_CONF (extra rsmd.conf lines, ";" separated),
# SCALE_IDLE_LINKS_MAX (2: links a node may hold in an idle cluster),
# SCALE_LOG_LEVEL (warn), SCALE_NICE (10: the workers' niceness),
# SCALE_KEEP=1 (keep the run's directory), and those of tests/net/lib.sh.  Checks print "ok"/"FAIL" lines and a
# summary; the exit status is 0 only when every check passed.  RESULTS
# gets the figures, one "KEY VALUE [NODE]" line each.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"

NODES=${SCALE_NODES:-256}
RESULTS=
while getopts n:o: o; do
	case $o in
	n) NODES=$OPTARG ;;
	o) RESULTS=$OPTARG ;;
	*) echo "usage: scale.sh [-n NODES] [-o RESULTS]"; exit 2 ;;
	esac
done
PEERS=${SCALE_PEERS:-file}
BATCH=${SCALE_BATCH:-32}
IDLE_S=${SCALE_IDLE_S:-15}
# The interval with the all-to-one's links open: shorter, so that it ends
# before peer_idle_timeout closes them.
BUSY_S=${SCALE_BUSY_S:-$(( IDLE_S < 10 ? IDLE_S : 10 ))}
LAT_COUNT=${SCALE_LAT_COUNT:-50}
LAT_ROUNDS=${SCALE_LAT_ROUNDS:-5}
IDLE_LINKS_MAX=${SCALE_IDLE_LINKS_MAX:-2}
LOG_LEVEL=${SCALE_LOG_LEVEL:-warn}
NICE=${SCALE_NICE:-10}
# How long an unused link stays (rsmd's default unless SCALE_CONF sets it):
# the bound of the wait for every link to close.
IDLE_TIMEOUT_S=$(sed -n 's/.*peer_idle_timeout *= *\([0-9]*\).*/\1/p' <<<"${SCALE_CONF:-}")
IDLE_TIMEOUT_S=${IDLE_TIMEOUT_S:-30}
WORKER=${SCALE_WORKER:-$(cd "$(dirname "$RSMD_BIN")/../tests/scale" && pwd)/scale_worker}
SEG=0x5c0001
# The reference pairs: two more namespaces on the same bridge per
# latency round, each pair a cluster of its own (they list only each
# other), so that every round's first connect makes a new link in the
# pair as in the big cluster.  Pair R is nodes ref_a R and ref_b R.
ref_a() { echo $(( NODES + 2 * $1 - 1 )); }
ref_b() { echo $(( NODES + 2 * $1 )); }
TOTAL=$(( NODES + 2 * LAT_ROUNDS ))

[ -x "$WORKER" ] || { echo "no scale_worker at $WORKER"; exit 99; }
case $PEERS in
file|lines) ;;
*) echo "scale.sh: SCALE_PEERS is file or lines"; exit 2 ;;
esac
# rsmd takes up to 4096 peers; the addresses hold 4000 nodes.
[ "$NODES" -ge 2 ] && [ $(( NODES + 2 * LAT_ROUNDS )) -le 4000 ] ||
    { echo "scale.sh: 2 to $(( 4000 - 2 * LAT_ROUNDS )) nodes"; exit 2; }

# Node I of up to 4000 in 10.77.0.0/16, no address ending in 0 or 255.
NET_PREFIX=16
node_addr() { echo "10.77.$(( ($1 - 1) / 250 )).$(( ($1 - 1) % 250 + 1 ))"; }

net_require

# On a failure lib.sh shows every node's log; of hundreds, only the
# first few that say anything (the daemons log warnings and errors).
net_dump_logs() {
	local i n=0
	for i in $(seq 1 "$NET_N"); do
		[ -s "$(node_log "$i")" ] || continue
		echo "---- node $i log"
		tail -15 "$(node_log "$i")"
		n=$((n + 1))
		[ "$n" -ge 8 ] && break
	done
}

results=/dev/null
[ -n "$RESULTS" ] && { results=$RESULTS; : >"$results"; }
record() { echo "$*" >>"$results"; }

declare -a PID EXP_PID
SYSCTL_SAVED=()

# ---- the machine's limits ----
# The neighbour table is one for all namespaces: its thresholds must
# hold every node's ARP entries at once, or entries are dropped and
# links stall.  Raised for the run, put back at exit.
NEIGH=net.ipv4.neigh.default
raise_limits() {
	local k v want
	for k in gc_thresh1:1 gc_thresh2:2 gc_thresh3:4; do
		want=$(( ${k#*:} * TOTAL * TOTAL + 1024 ))
		v=$(sysctl -n "$NEIGH.${k%:*}") || continue
		if [ "$v" -lt "$want" ]; then
			SYSCTL_SAVED+=("$NEIGH.${k%:*}=$v")
			sysctl -qw "$NEIGH.${k%:*}=$want" ||
			    echo "# cannot raise $NEIGH.${k%:*} to $want"
		fi
	done
	# Every daemon may hold a socket per peer, and the driver a pipe per
	# worker.
	want=$(( TOTAL * 4 + 4096 ))
	[ "$(ulimit -n)" -lt "$want" ] && ulimit -n "$want"
}

restore_limits() {
	local s
	# Reverse order: gc_thresh3 comes down before gc_thresh1, so each
	# value stays within the ones above it.
	for (( s = ${#SYSCTL_SAVED[@]} - 1; s >= 0; s-- )); do
		sysctl -qw "${SYSCTL_SAVED[$s]}"
	done
	SYSCTL_SAVED=()
}

scale_cleanup() {
	local p
	for p in "${EXP_PID[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${EXP_PID[@]}"; do { wait "$p"; } 2>/dev/null; done
	if [ "${SCALE_KEEP:-0}" = 1 ] && [ -n "$NET_DIR" ]; then
		cp -a "$NET_DIR" "$NET_DIR.kept" && echo "# kept $NET_DIR.kept"
	fi
	restore_limits
}

# ---- configuration ----
peers_of() {	# the hosts-style file of nodes $1..$2
	local j
	echo "# NODE_ID HOST:PORT, one rsmd each (this node's own line is skipped)"
	for j in $(seq "$1" "$2"); do
		echo "$j $(node_addr "$j"):$PEER_PORT"
	done
}

scale_conf() {	# scale_conf I FIRST LAST PEERSFILE
	local i=$1 j extra
	{
		echo "node_id = $i"
		echo "socket = $(node_sock "$i")"
		echo "log_level = $LOG_LEVEL"
		echo "listen = $(node_addr "$i"):$PEER_PORT"
		echo "cluster_key_file = $(node_dir "$i")/key"
		if [ "$PEERS" = file ]; then
			echo "peers_file = $4"
		else
			for j in $(seq "$2" "$3"); do
				[ "$j" = "$i" ] ||
				    echo "peer = $j $(node_addr "$j"):$PEER_PORT"
			done
		fi
		if [ -n "${SCALE_CONF:-}" ]; then
			IFS=';' read -ra extra <<<"$SCALE_CONF"
			printf '%s\n' "${extra[@]}"
		fi
	} >"$(node_dir "$i")/rsmd.conf"
}

# ---- polling helpers ----
PENDING=()
# pending_answer: drops from PENDING every node whose rsmd answers;
# true once none is left.
pending_answer() {
	local i left=()
	for i in "${PENDING[@]}"; do
		adm "$i" status >/dev/null 2>&1 || left+=("$i")
	done
	PENDING=("${left[@]}")
	[ "${#PENDING[@]}" -eq 0 ]
}
# pending_linked: the same for nodes that see every other node up.
pending_linked() {
	local i left=()
	for i in "${PENDING[@]}"; do
		[ "$(links_of "$i")" -ge $(( NODES - 1 )) ] || left+=("$i")
	done
	PENDING=("${left[@]}")
	[ "${#PENDING[@]}" -eq 0 ]
}
# Peer links node I has up.
links_of() { adm "$1" nodes 2>/dev/null | awk '$3 == "up" { n++ } END { print n + 0 }'; }
# The links still up, and what the two nodes hold that names each other.
show_open_links() {
	local i j n=0
	for i in $(seq 1 "$NODES"); do
		for j in $(adm "$i" nodes 2>/dev/null | awk '$3 == "up" { print $1 }'); do
			[ "$j" -gt "$i" ] || continue
			n=$((n + 1))
			[ "$n" -le 10 ] || continue
			echo "#   link $i-$j still up; imports on $i: $(status_of "$i" imports), on $j: $(status_of "$j" imports)"
			echo "#     $i sees $j: $(adm "$i" nodes | awk -v n="$j" '$1 == n')"
			adm "$i" segments | awk -v n="$j" 'NR > 1 && $0 ~ "@" n "[,)]" { print "#     segment of " n "'"'"'s importers on '"$i"': " $0 }'
			adm "$j" segments | awk -v n="$i" 'NR > 1 && $0 ~ "@" n "[,)]" { print "#     segment of " n "'"'"'s importers: " $0 }'
		done
	done
	[ "$n" -eq 0 ] || echo "#   $n links still up"
}
status_of() { adm "$1" status | awk -v k="$2:" '$1 == k { print $2 }'; }
all_links_gone() {
	local i
	for i in $(seq 1 "$NODES"); do
		[ "$(links_of "$i")" -eq 0 ] || return 1
	done
}
# The daemons that are no longer running (reaped or zombie).  A run
# forks tens of thousands of processes and pids wrap, so a pid counts
# only while it still names an rsmd.
dead_daemons() {
	local i s dead=
	for i in $(seq 1 "$TOTAL"); do
		s=
		read -r s 2>/dev/null <"/proc/${PID[$i]}/stat"
		[[ $s == *"(rsmd) "[!Z]* ]] || dead="$dead $i"
	done
	echo "$dead"
}
check_daemons() {
	local d
	d=$(dead_daemons)
	check "every rsmd still runs $1${d:+ (dead:$d)}" test -z "$d"
}

# Worker output: $NET_DIR/w/NAME.out.
wout() { echo "$NET_DIR/w/$1.out"; }
# worker NAME NODE ARGS...: a scale_worker in node's namespace; sets $!.
# Workers run at nice $NICE: on a real cluster a node's daemon never
# competes for a core with the other nodes' programs, here hundreds of
# them share two cores with every daemon.
worker() {
	local name=$1 i=$2
	shift 2
	RSM_DAEMON_SOCKET=$(node_sock "$i") nice -n "$NICE" \
	    ip netns exec "$(node_ns "$i")" \
	    "$WORKER" "$@" >"$(wout "$name")" 2>&1 &
}
count_lines() {	# count_lines PATTERN NAME...: workers whose output matches
	local n=0 f w
	f=$1; shift
	for w in "$@"; do grep -Eq "$f" "$(wout "$w")" 2>/dev/null && n=$((n + 1)); done
	echo "$n"
}
all_have() { [ "$(count_lines "$1" "${@:3}")" -ge "$2" ]; }

# ---- the figures ----
CLK_TCK=$(getconf CLK_TCK)
# cpu_sample ARRAY: utime+stime of every daemon of the big cluster.
cpu_sample() {
	local -n out=$1
	local i s f
	for i in $(seq 1 "$NODES"); do
		s=
		read -r s 2>/dev/null <"/proc/${PID[$i]}/stat"
		s=${s##*) }
		read -ra f <<<"$s"
		# After the name: state is field 0, utime 11, stime 12.
		out[$i]=$(( ${f[11]:-0} + ${f[12]:-0} ))
	done
}
rss_kb() {
	local k v u
	while read -r k v u; do
		[ "$k" = VmRSS: ] && { echo "$v"; return; }
	done <"/proc/$1/status"
	echo 0
}
fd_count() { local f=(/proc/"$1"/fd/*); echo "${#f[@]}"; }

# summary KEY: "median M max X (node N)" of the KEY lines of the results
# (per-node figures: "KEY VALUE NODE").
summary() {
	awk -v k="$1" '$1 == k { v[++n] = $2 + 0; if (n == 1 || $2 + 0 > mx) { mx = $2 + 0; at = $3 } }
	END {
		if (!n) { print "n/a"; exit }
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
		printf "median %s max %s (node %s)\n", n % 2 ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2, mx, at
	}' "$FIG"
}
fig() { echo "$*" >>"$FIG"; record "$@"; }

# idle_interval TAG SECONDS: CPU of every daemon over SECONDS of nothing
# but the daemons' own timers, then RSS, descriptors and links.
idle_interval() {
	local tag=$1 secs=$2 i t0 t1 dt
	local -a a b
	cpu_sample a
	t0=$(date +%s%N)
	# The interval is the measurement itself, not a wait for an event.
	sleep "$secs"
	cpu_sample b
	t1=$(date +%s%N)
	dt=$(( (t1 - t0) / 1000000 ))
	for i in $(seq 1 "$NODES"); do
		fig "cpu_pct_$tag" "$(awk -v d=$(( b[i] - a[i] )) -v hz="$CLK_TCK" \
		    -v ms="$dt" 'BEGIN { printf "%.3f", d / hz * 100000 / ms }')" "$i"
		fig "rss_kb_$tag" "$(rss_kb "${PID[$i]}")" "$i"
		fig "fds_$tag" "$(fd_count "${PID[$i]}")" "$i"
		fig "links_$tag" "$(links_of "$i")" "$i"
	done
	echo "# idle $tag (${dt} ms): cpu % of a core $(summary "cpu_pct_$tag")"
	echo "#   rss KiB $(summary "rss_kb_$tag"); links $(summary "links_$tag"); fds $(summary "fds_$tag")"
}

# ---- the cluster ----
echo "# scale: $NODES nodes (peers: $PEERS) + $LAT_ROUNDS reference pairs, $(nproc) cores, $(uname -r)"
t_setup=$(now_ms)
net_setup "$TOTAL" || { echo "network setup failed"; exit 1; }
trap 'rc=$?; scale_cleanup; net_teardown; exit $rc' EXIT
raise_limits
FIG=$NET_DIR/figures
: >"$FIG"
mkdir -p "$NET_DIR/w"
peers_of 1 "$NODES" >"$NET_DIR/peers"
for i in $(seq 1 "$NODES"); do
	scale_conf "$i" 1 "$NODES" "$NET_DIR/peers"
done
for r in $(seq 1 "$LAT_ROUNDS"); do
	a=$(ref_a "$r"); b=$(ref_b "$r")
	peers_of "$a" "$b" >"$NET_DIR/peers.ref$r"
	for i in "$a" "$b"; do
		scale_conf "$i" "$a" "$b" "$NET_DIR/peers.ref$r"
	done
done
if ! "$RSMD_BIN" -n -c "$(node_dir 1)/rsmd.conf" >"$NET_DIR/conf-check" 2>&1; then
	sed 's/^/#   /' "$NET_DIR/conf-check"
	nok "rsmd accepts the configuration (SCALE_PEERS=$PEERS)"
	net_summary
	exit 1
fi
echo "# namespaces, bridge and configs: $(( $(now_ms) - t_setup )) ms"
record nodes "$NODES"
record busy_s "$BUSY_S"
record peers "$PEERS"

# Daemons start in batches: each batch must answer before the next one
# starts, so that no more than BATCH initialise at once on a small
# machine.  The clock runs from the first start to the last answer.
t0=$(now_ms)
up_ok=1
for lo in $(seq 1 "$BATCH" "$NODES"); do
	hi=$(( lo + BATCH - 1 )); [ "$hi" -gt "$NODES" ] && hi=$NODES
	PENDING=()
	for i in $(seq "$lo" "$hi"); do
		node_spawn "$i"
		PID[$i]=$!
		PENDING+=("$i")
	done
	if ! wait_until $(( 10000 + BATCH * 500 )) pending_answer; then
		up_ok=0
		break
	fi
done
t_up=$(( $(now_ms) - t0 ))
check "all $NODES daemons answer (${t_up} ms)" test "$up_ok" = 1
[ "$up_ok" = 1 ] || { echo "# not answering: ${PENDING[*]}"; net_summary; exit 1; }
record up_ms "$t_up"
if [ "$PEERS" = lines ]; then
	# Every daemon links to every peer at start: the cluster is up once
	# every node sees all the others.
	PENDING=($(seq 1 "$NODES"))
	wait_until $(( 30000 + NODES * 1000 )) pending_linked
	t_linked=$(( $(now_ms) - t0 ))
	check "every node sees $(( NODES - 1 )) peers up (${t_linked} ms)" \
	    test "${#PENDING[@]}" -eq 0
	record linked_ms "$t_linked"
fi
PENDING=()
for i in $(seq $(( NODES + 1 )) "$TOTAL"); do
	node_spawn "$i"
	PID[$i]=$!
	PENDING+=("$i")
done
check "the $LAT_ROUNDS reference pairs answer" wait_until 20000 pending_answer

# Links of the idle cluster, before any work: none on demand.
for i in $(seq 1 "$NODES"); do
	fig links_start "$(links_of "$i")" "$i"
done
echo "# links after start: $(summary links_start)"
if [ "$PEERS" = file ]; then
	mx=$(awk '$1 == "links_start" && $2 > m { m = $2 } END { print m + 0 }' "$FIG")
	check "an idle cluster holds few links (at most $IDLE_LINKS_MAX per node, max $mx)" \
	    test "$mx" -le "$IDLE_LINKS_MAX"
fi

# ---- exporters ----
EXPS=()
for i in $(seq 1 "$TOTAL"); do
	n=$NODES
	[ "$i" -gt "$NODES" ] && n=$TOTAL
	worker "e$i" "$i" export "$SEG" "$i" "$n"
	EXP_PID[$i]=$!
	EXPS+=("e$i")
done
wait_until $(( 20000 + TOTAL * 100 )) all_have '^ready' "$TOTAL" "${EXPS[@]}"
n=$(count_lines '^ready' "${EXPS[@]}")
check "every node exports its segment ($n of $TOTAL)" test "$n" -eq "$TOTAL"
if [ "$n" -ne "$TOTAL" ]; then
	for w in "${EXPS[@]}"; do
		grep -q '^ready' "$(wout "$w")" || { echo "# $w:"; sed 's/^/#   /' "$(wout "$w")"; }
	done | head -40
	net_summary; exit 1
fi

# ---- a phase: every node imports at once ----
# phase NAME TARGET_EXPR: node I imports the segment of $(TARGET_EXPR I).
ring_target() { echo $(( $1 % NODES + 1 )); }
one_target() { echo 1; }
report_seq=0
phase() {
	local name=$1 target_fn=$2 i t ws=() pids=() bad=0 w tp
	local -a c0 c1
	cpu_sample c0
	tp=$(now_ms)
	for i in $(seq 1 "$NODES"); do
		t=$($target_fn "$i")
		worker "$name$i" "$i" import "$t" "$SEG" "$i" "$NODES" "$name"
		pids+=($!)
		ws+=("$name$i")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || bad=$((bad + 1))
	done
	tp=$(( $(now_ms) - tp ))
	cpu_sample c1
	# What each daemon spent on the phase, in ms of CPU.
	for i in $(seq 1 "$NODES"); do
		fig "${name}_cpu_ms" $(( (c1[i] - c0[i]) * 1000 / CLK_TCK )) "$i"
	done
	n=$(count_lines '^ok ' "${ws[@]}")
	check "$name: $n of $NODES importers wrote, read back and checked their data ($tp ms)" \
	    test "$n" -eq "$NODES" -a "$bad" -eq 0
	for w in "${ws[@]}"; do
		grep -q '^ok ' "$(wout "$w")" || sed "s/^/#   $w: /" "$(wout "$w")"
	done | head -20
	record "${name}_ms" "$tp"
	for w in "${ws[@]}"; do
		sed -n "s/^ok .* node=\([0-9]*\) .*connect_us=\([0-9]*\).*/${name}_connect_us \2 \1/p" \
		    "$(wout "$w")"
	done >>"$FIG"
	grep "^${name}_connect_us" "$FIG" >>"$results"
	echo "# $name connect us: $(summary "${name}_connect_us"); rsmd CPU ms: $(summary "${name}_cpu_ms")"
}
# ask_reports: what the exporters hold now, report number $report_seq.
ask_reports() {
	local i
	report_seq=$((report_seq + 1))
	for i in $(seq 1 "$NODES"); do kill -USR1 "${EXP_PID[$i]}"; done
	wait_until 20000 all_have "^report $report_seq " "$NODES" \
	    $(for i in $(seq 1 "$NODES"); do echo "e$i"; done)
}

# expect_reports SEQ CHECK: CHECK I LINE for every node's report SEQ.
expect_reports() {
	local seq=$1 fn=$2 i line wrong=0
	for i in $(seq 1 "$NODES"); do
		line=$(grep "^report $seq " "$(wout "e$i")")
		if ! $fn "$i" "$line"; then
			wrong=$((wrong + 1))
			[ "$wrong" -le 5 ] && echo "#   node $i: ${line:-no report}"
		fi
	done
	[ "$wrong" -eq 0 ]
}
# After the ring, node I holds exactly the record of its predecessor.
ring_report_ok() {
	local p=$(( ($1 + NODES - 2) % NODES + 1 ))
	[[ $2 == *" ring=$p all=0 bad=0 hdr=ok" ]]
}
# After the all-to-one, node 1 holds every node's record (which
# overwrote the ring's record of node NODES), the others only the ring's.
all_report_ok() {
	local p=$(( ($1 + NODES - 2) % NODES + 1 ))
	if [ "$1" = 1 ]; then
		[[ $2 == *" ring= all=$NODES bad=0 hdr=ok" ]]
	else
		[[ $2 == *" ring=$p all=0 bad=0 hdr=ok" ]]
	fi
}

phase ring ring_target
ask_reports
check "ring: every segment holds its predecessor's record, intact" \
    expect_reports 1 ring_report_ok
phase all one_target
# Right after the all-to-one node 1 holds a link to every node: the
# first idle interval starts at once, so that it ends with them open (on
# demand they close only after peer_idle_timeout).  What the exporters
# hold does not change meanwhile.
idle_interval busy "$BUSY_S"
ask_reports
check "all-to-one: node 1 holds all $NODES records, the others theirs" \
    expect_reports 2 all_report_ok
check_daemons "after the workload"

# ---- connect latency: the big cluster against the reference pair ----
# Paired rounds, the order alternating; every round is a new pair of
# nodes: one of the reference pairs, and two nodes half the big cluster
# apart.
lat_run() {	# lat_run NAME FROM TO
	worker "$1" "$2" lat "$3" "$SEG" "$LAT_COUNT"
	wait $! || true
	sed -n 's/^lat first_us=\([0-9]*\) median_us=\([0-9]*\) max_us=\([0-9]*\).*/\1 \2 \3/p' "$(wout "$1")"
}
lat_ok=0
for r in $(seq 1 "$LAT_ROUNDS"); do
	s=$(( (r - 1) * 37 % NODES + 1 ))
	t=$(( (s + NODES / 2 - 1) % NODES + 1 ))
	[ "$t" = "$s" ] && t=$(( s % NODES + 1 ))
	for which in $( [ $((r % 2)) = 1 ] && echo "ref big" || echo "big ref"); do
		if [ "$which" = ref ]; then
			from=$(ref_b "$r")
			out=$(lat_run "lat_ref$r" "$from" "$(ref_a "$r")")
		else
			out=$(lat_run "lat_big$r" "$s" "$t")
			from=$s
		fi
		if [ -z "$out" ]; then
			sed "s/^/#   lat_$which$r: /" "$(wout "lat_$which$r")"
			continue
		fi
		read -r first med max <<<"$out"
		fig "lat_${which}_first_us" "$first" "$from"
		fig "lat_${which}_us" "$med" "$from"
		fig "lat_${which}_max_us" "$max" "$from"
		lat_ok=$((lat_ok + 1))
	done
done
check "connect latency: $lat_ok of $(( LAT_ROUNDS * 2 )) runs of $LAT_COUNT connects" \
    test "$lat_ok" -eq $(( LAT_ROUNDS * 2 ))
echo "# connect+disconnect us, $NODES nodes: $(summary lat_big_us); first of a run: $(summary lat_big_first_us)"
echo "# connect+disconnect us, 2 nodes:  $(summary lat_ref_us); first of a run: $(summary lat_ref_first_us)"

# ---- idle ----
if [ "$PEERS" = file ]; then
	# On demand, every link closes once idle for peer_idle_timeout.
	td=$(now_ms)
	wait_until $(( IDLE_TIMEOUT_S * 3000 + 20000 )) all_links_gone
	td=$(( $(now_ms) - td ))
	check "on demand, every link closes once idle (${td} ms after the latency runs)" \
	    all_links_gone
	record links_gone_ms "$td"
	show_open_links
	idle_interval idle "$IDLE_S"
fi
check_daemons "after the idle intervals"
# Links the daemons declared down (not an idle close): none should be,
# in a cluster where no daemon or link failed.
for i in $(seq 1 "$NODES"); do
	fig links_lost "$(grep -Ec 'node [0-9]+ down:' "$(node_log "$i")")" "$i"
done
echo "# links declared down, per node: $(summary links_lost)"

# ---- the end ----
for i in $(seq 1 "$TOTAL"); do kill "${EXP_PID[$i]}" 2>/dev/null; done
bad=0
for i in $(seq 1 "$TOTAL"); do
	wait "${EXP_PID[$i]}" || bad=$((bad + 1))
done
EXP_PID=()
check "every exporter unpublishes and exits on SIGTERM ($bad failed)" test "$bad" -eq 0
# Every daemon exits cleanly on SIGTERM: all signalled, then each reaped.
# Nothing forks until all are reaped: a new child could take the pid of
# one that exited, and bash then forgets that one's status.
for i in $(seq 1 "$TOTAL"); do kill "${PID[$i]}" 2>/dev/null; done
bad=
for i in $(seq 1 "$TOTAL"); do
	wait "${PID[$i]}" || bad="$bad $i"
done
rm -f "$NET_DIR"/n*/pid
check "every rsmd exits cleanly on SIGTERM${bad:+ (not:$bad)}" test -z "$bad"
net_summary
