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
