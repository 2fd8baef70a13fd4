# job_lib.sh - rsm jobs (rsm_job(3RSM)) on a lib.sh cluster: by mpirun
# across the namespaces, or by hand with RSM_JOB_RANK/SIZE/ROOT.
#
# Node I's namespace gets the host name nI (unshare --uts), which is also
# the name of its folder under $NET_DIR, so a rank finds its node's rsmd
# from its host name alone (job_wrap).  mpirun runs in node 1's namespace
# and reaches the others through an agent instead of ssh (job_agent):
# Open MPI calls it as AGENT HOST COMMAND..., and it runs the command in
# that host's namespace under that host name.
JOB_BIN=${JOB_BIN:-$(cd "$NET_BIN/../../examples/job" && pwd)}
JOB_TIMEOUT_S=${JOB_TIMEOUT_S:-60}
# The launcher (mpirun, or oshrun) and extra arguments it is given
# (--mca ..., -x ...), for the benchmark's several paths.
JOB_LAUNCH=${JOB_LAUNCH:-mpirun}
JOB_MPI_ARGS=()

# job_files: the agent and the wrapper, in $NET_DIR.
job_files() {
	cat >"$NET_DIR/agent" <<AGENT
#!/bin/sh
host=\$1
shift
exec ip netns exec "$NET_TAG-\$host" unshare --uts sh -c "hostname \$host; \$*"
AGENT
	cat >"$NET_DIR/wrap" <<WRAP
#!/bin/sh
# The rank's rsmd is the one of the node its host name names.
RSM_DAEMON_SOCKET=$NET_DIR/\$(hostname)/rsmd.sock
export RSM_DAEMON_SOCKET
exec "\$@"
WRAP
	chmod 755 "$NET_DIR/agent" "$NET_DIR/wrap"
}

# job_mpirun NODES PER_NODE PROGRAM [ARGS]: one mpirun job over nodes
# 1..NODES, PER_NODE ranks on each; its output on stdout, its status.
job_mpirun() {
	local nodes=$1 per=$2 hosts= i
	shift 2
	for i in $(seq 1 "$nodes"); do
		hosts="$hosts${hosts:+,}n$i:$per"
	done
	on_node 1 unshare --uts sh -c 'hostname n1; exec "$@"' sh \
	    timeout "$JOB_TIMEOUT_S" "$JOB_LAUNCH" --allow-run-as-root --oversubscribe \
	    --host "$hosts" -np $((nodes * per)) --bind-to none \
	    --mca plm_rsh_agent "$NET_DIR/agent" \
	    --mca oob_tcp_if_include "$NET_SUBNET.0/$NET_PREFIX" \
	    --mca btl_tcp_if_include "$NET_SUBNET.0/$NET_PREFIX" \
	    "${JOB_MPI_ARGS[@]}" "$NET_DIR/wrap" "$@" 2>&1
}

# job_rank_bg I RANK SIZE OUT PROGRAM [ARGS]: rank RANK of SIZE by hand
# on node I, rank 0 listening on node 1; output to OUT; pid in $!.
job_rank_bg() {
	local i=$1 r=$2 s=$3 out=$4
	shift 4
	on_node "$i" unshare --uts sh -c 'hostname "n$0"; exec "$@"' "$i" \
	    env RSM_JOB_RANK="$r" RSM_JOB_SIZE="$s" \
	    RSM_JOB_ROOT="$(node_addr 1):7801" \
	    timeout "$JOB_TIMEOUT_S" "$NET_DIR/wrap" "$@" >"$out" 2>&1 &
}

# node_list N PER: the nodes of N nodes x PER ranks in rank order
# ("1,1,2,2" for 2 x 2), as the examples print them.
node_list() {
	local i k l=
	for i in $(seq 1 "$1"); do
		for k in $(seq 1 "$2"); do
			l="$l${l:+,}$i"
		done
	done
	echo "$l"
}

# job_suite LAUNCH NAME: what every launcher must run, through the
# function LAUNCH (called as LAUNCH NODES PER PROGRAM ARGS..., e.g.
# job_mpirun) of the launcher NAME: each examples/job program on 2 and 4
# nodes (exit 0, rank 0 names the nodes, started by PMIx, equal to one
# process); 300 allgathers in a row, every value checked (after init an
# exchange is puts into rsm segments and a barrier, job/job_xchg.c);
# stencil and stencil_map with 2 ranks on each of 2 nodes (two clients
# of one node's PMIx server, ranks of one node importing from it); and
# job_barrier on 4 x 1 and 2 x 2: no rank passes a barrier early.
job_suite() {
	local launch=$1 lname=$2 nodes p name out rc t0 dt nl bd
	local progs
	progs=$(find "$JOB_BIN" -maxdepth 1 -type f -perm -u+x ! -name '*.*' | sort)
	check "examples/job has programs" test -n "$progs"
	for nodes in 2 4; do
		nl=$(node_list "$nodes" 1)
		for p in $progs; do
			name=$(basename "$p")
			t0=$(now_ms)
			out=$("$launch" "$nodes" 1 "$p")
			rc=$?
			dt=$(( $(now_ms) - t0 ))
			echo "$out" | sed "s/^/# /"
			check "$name under $lname on $nodes nodes exits 0 ($dt ms)" \
			    test "$rc" = 0
			check "$name on $nodes nodes: rank 0 reports nodes $nl and the right answer" \
			    eval 'echo "$out" | grep -q "^$name: $nodes ranks on nodes $nl (started by PMIx).*equal to one process"'
		done
	done
	for nodes in 2 4; do
		out=$("$launch" "$nodes" 1 "$NET_BIN/job_allgather" 300)
		rc=$?
		echo "$out" | sed "s/^/# /"
		check "300 allgathers on $nodes nodes, every value right" eval \
		    'test "$rc" = 0 && echo "$out" | grep -q "^job_allgather: 300 rounds of $nodes ranks ok"'
	done
	for name in stencil stencil_map; do
		out=$("$launch" 2 2 "$JOB_BIN/$name" 64 64 20)
		rc=$?
		echo "$out" | sed "s/^/# /"
		check "$name with 2 ranks per node on 2 nodes exits 0" test "$rc" = 0
		check "and names nodes 1,1,2,2" \
		    eval 'echo "$out" | grep -q "^$name: 4 ranks on nodes 1,1,2,2 (started by PMIx).*equal to one process"'
	done
	for layout in "4 1" "2 2"; do
		set -- $layout
		bd=$NET_DIR/barrier.$1x$2
		mkdir -p "$bd"
		out=$("$launch" "$1" "$2" "$NET_BIN/job_barrier" "$bd" 50)
		rc=$?
		echo "$out" | sed "s/^/# /"
		check "job_barrier on $1 nodes x $2: no rank passes a barrier early" \
		    eval '[ "$rc" = 0 ] && echo "$out" | grep -q "^job_barrier: 4 ranks, 50 rounds of 2 barriers, 0 wrong reads"'
	done
}
