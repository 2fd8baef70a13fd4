# remote_lib.sh - drive remote_probe processes on the nodes of a lib.sh
# cluster: each one reads a command per line and answers one line, through
# a pair of FIFOs, so a test can talk to several of them at once.
#
# probe_start NAME NODE ARGS...  start one on NODE, its first line in
#                                $P_LAST (not in a subshell: it keeps fds)
# probe_say NAME COMMAND         send a command, print its answer line
# probe_kill9 NAME / probe_quit NAME

PROBE=${PROBE:-$NET_BIN/remote_probe}
declare -A P_W P_R P_PID
P_LAST=

# probe_exec NODE CMD...: replaces the calling (background) subshell with
# CMD run on NODE, so that $! is the probe itself (kill -9 reaches it).
# Tests whose nodes share one namespace (tests/vm) override it.
probe_exec() { local n=$1; shift; exec ip netns exec "$(node_ns "$n")" "$@"; }

# probe_start NAME NODE ARGS...: the probe's first line in $P_LAST, read
# within $P_START_WAIT seconds (default 30).
probe_start() {
	local name=$1 node=$2 w r
	shift 2
	rm -f "$NET_DIR/$name.in" "$NET_DIR/$name.out"
	mkfifo "$NET_DIR/$name.in" "$NET_DIR/$name.out"
	# $P_AS (e.g. setpriv) runs inside: ip netns exec needs root.
	RSM_DAEMON_SOCKET=$(node_sock "$node") probe_exec "$node" ${P_AS:-} \
	    "$PROBE" "$@" <"$NET_DIR/$name.in" >"$NET_DIR/$name.out" \
	    2>>"$NET_DIR/$name.err" &
	P_PID[$name]=$!
	exec {w}>"$NET_DIR/$name.in"
	exec {r}<"$NET_DIR/$name.out"
	P_W[$name]=$w
	P_R[$name]=$r
	P_LAST=
	read -r -t "${P_START_WAIT:-30}" -u "$r" P_LAST
}

# The answer to one command (empty after 60 s or once the probe is gone).
probe_say() {
	P_LAST=
	echo "$2" >&"${P_W[$1]}" 2>/dev/null || return 1
	read -r -t 60 -u "${P_R[$1]}" P_LAST
	echo "$P_LAST"
}

# Send without reading the answer (probe_read collects it).
probe_send() { echo "$2" >&"${P_W[$1]}"; }
probe_read() { P_LAST=; read -r -t 60 -u "${P_R[$1]}" P_LAST; echo "$P_LAST"; }

probe_close() {
	local name=$1
	exec {P_W[$name]}>&- {P_R[$name]}<&-
	{ wait "${P_PID[$name]}"; } 2>/dev/null
	rm -f "$NET_DIR/$name.in" "$NET_DIR/$name.out"
}

probe_quit() { probe_send "$1" quit 2>/dev/null; probe_close "$1"; }
probe_kill9() { kill -9 "${P_PID[$1]}" 2>/dev/null; probe_close "$1"; }

# rc=N of an answer line; sum=HEX of it.
rc_of()  { sed -n 's/^rc=\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$1"; }
sum_of() { sed -n 's/.*sum=\([0-9a-f]*\).*/\1/p' <<<"$1"; }
at_of()  { sed -n 's/.*at=\([0-9]*\).*/\1/p' <<<"$1"; }
# check_rc DESCRIPTION WANT ANSWER
check_rc() { check "$1 (rc $(rc_of "$3"), want $2)" test "$(rc_of "$3")" = "$2"; }

rsmd_fds() { node_fds "$1"; }
# A counter from "rsmadm status" of node I (e.g. imports, clients).
status_of() {
	adm "$1" status | awk -v k="$2:" '$1 == k { print $2 }'
}

# same_sum WHAT IMPORTER EXPORTER: the importer's answer must be rc=0
# with the exporter's checksum; otherwise a "#" line and one more $bad.
same_sum() {
	if [ "$(rc_of "$2")" != 0 ] || [ "$(sum_of "$2")" != "$(sum_of "$3")" ]
	then echo "# $1: $2 / exporter $3"; bad=$((bad + 1)); fi
}

# probe_checksums LAST LEN...: between the probes imp (importer) and exp
# (exporter), for each LEN at offset 4093 (at 0 when LEN is LAST, the
# whole segment): put and get, and from 64 B up putv, getv and a barrier
# put, each compared with the exporter's checksum of the range.  Each
# error or mismatch is a "#" line; their number is left in $bad.
probe_checksums() {
	local last=$1 len off a b seed=1
	shift
	bad=0
	for len in "$@"; do
		off=$(( len == last ? 0 : 4093 ))
		seed=$((seed + 1))
		a=$(probe_say imp "put $off $len $seed")
		b=$(probe_say exp "sum $off $len")
		same_sum "put $len" "$a" "$b"
		seed=$((seed + 1))
		probe_say exp "fill $off $len $seed" >/dev/null
		b=$(probe_say exp "sum $off $len")
		a=$(probe_say imp "get $off $len")
		same_sum "get $len" "$a" "$b"
		[ "$len" -lt 64 ] && continue
		seed=$((seed + 1))
		a=$(probe_say imp "putv $off $len $seed 7")
		b=$(probe_say exp "sum $off $len")
		same_sum "putv $len" "$a" "$b"
		seed=$((seed + 1))
		probe_say exp "fill $off $len $seed" >/dev/null
		b=$(probe_say exp "sum $off $len")
		a=$(probe_say imp "getv $off $len 5")
		same_sum "getv $len" "$a" "$b"
		seed=$((seed + 1))
		a=$(probe_say imp "bput $off $len $seed")
		b=$(probe_say exp "sum $off $len")
		same_sum "barrier put $len" "$a" "$b"
	done
}
