#!/usr/bin/env bash
# test_job_srun.sh - every program of examples/job, started by Slurm's
# srun --mpi=pmix across 2 and then 4 namespace nodes (one rsmd and one
# slurmd each, one rank per node, then two ranks on each of two nodes),
# bootstrapping through PMIx: each must exit 0 (its answer checked
# against one process), say so, and name the rsm node of every rank as
# its own node's rsmd reports it.  job_barrier checks that barriers hold
# every rank.  Skipped (77) without root, ip netns, or Slurm (srun,
# sinfo, slurmd, slurmctld, munged, and srun's pmix plugin).
#
# The cluster is private to the test: one munged (in the machine's own
# namespace; its socket is a file, reached from every namespace), a
# slurm.conf in the scratch directory (SLURM_CONF), slurmctld in node
# 1's namespace under host name n1, and slurmd -N nI in node I's
# namespace under host name nI, so a rank finds its node's rsmd from its
# host name (job_lib.sh's wrapper), as under mpirun.  srun, sinfo run in
# node 1's namespace.  Nothing of the machine's own Slurm or munge is
# used or started.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/job_lib.sh"

net_require
for c in srun sinfo slurmd slurmctld munged; do
	command -v "$c" >/dev/null || {
		echo "SKIP: no $c (slurmd slurmctld slurm-client munge)"
		exit 77
	}
done

SLURM_PIDS=()
slurm_logs() {
	local f
	for f in "$SD/munge/munged.log" "$SD/slurmctld.log" "$SD"/n*/slurmd.log; do
		echo "---- $f"
		tail -"${NET_LOG_LINES:-30}" "$f" 2>/dev/null
	done
}
slurm_teardown() {
	local i pid
	# The logs, on a failure (not on a skip).
	case $1:$NET_FAIL in
	0:0 | 77:0) ;;
	*) slurm_logs ;;
	esac
	# slurmstepd and the tasks leave slurmd's process group: every
	# process still in a node's namespace is one this test started.
	for pid in "${SLURM_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	for i in $(seq 1 "$NET_N"); do
		for pid in $(ip netns pids "$(node_ns "$i")" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for pid in "${SLURM_PIDS[@]}"; do
		{ wait "$pid"; } 2>/dev/null
	done
	SLURM_PIDS=()
}

net_setup 4 || { echo "network setup failed"; exit 1; }
SD=$NET_DIR/slurm
# Before lib.sh's teardown; bash's notes of the jobs it kills are noise.
trap 'rc=$?; slurm_teardown $rc 2>/dev/null; net_teardown; exit $rc' EXIT
job_files
for i in 1 2 3 4; do
	node_conf "$i"
	node_spawn "$i"
done

# munge: a key of our own, and a socket in the scratch directory.
mkdir -p "$SD/munge" "$SD/state" "$SD/tmp"
# munged wants its socket's folder searchable by all, its key private.
chmod 755 "$SD/munge"
head -c 1024 /dev/urandom >"$SD/munge/munge.key"
chmod 400 "$SD/munge/munge.key"
MUNGE_SOCK=$SD/munge/munge.sock
munged -F --num-threads=10 --key-file="$SD/munge/munge.key" --socket="$MUNGE_SOCK" \
    --pid-file="$SD/munge/munged.pid" --log-file="$SD/munge/munged.log" \
    --seed-file="$SD/munge/munged.seed" >>"$SD/munge/munged.out" 2>&1 &
SLURM_PIDS+=($!)

export SLURM_CONF=$SD/slurm.conf
{
	echo "ClusterName=rsm$$"
	echo "SlurmctldHost=n1($(node_addr 1))"
	echo "SlurmUser=root"
	echo "SlurmdUser=root"
	echo "AuthType=auth/munge"
	echo "CredType=cred/munge"
	echo "AuthInfo=socket=$MUNGE_SOCK"
	echo "StateSaveLocation=$SD/state"
	echo "SlurmctldPidFile=$SD/slurmctld.pid"
	echo "SlurmctldLogFile=$SD/slurmctld.log"
	echo "SlurmdSpoolDir=$SD/%n/spool"
	echo "SlurmdPidFile=$SD/%n/slurmd.pid"
	echo "SlurmdLogFile=$SD/%n/slurmd.log"
	echo "TmpFS=$SD/tmp"
	echo "SlurmctldPort=6817"
	echo "SlurmdPort=6818"
	echo "ProctrackType=proctrack/linuxproc"
	echo "TaskPlugin=task/none"
	echo "MpiDefault=none"
	echo "SelectType=select/linear"
	echo "SchedulerType=sched/builtin"
	echo "SwitchType=switch/none"
	echo "JobAcctGatherType=jobacct_gather/none"
	echo "AccountingStorageType=accounting_storage/none"
	echo "ReturnToService=2"
	echo "SlurmdParameters=config_overrides"
	echo "MessageTimeout=10"
	echo "SlurmdTimeout=30"
	echo "SlurmctldDebug=info"
	echo "SlurmdDebug=info"
	echo "KillWait=1"
	echo "InactiveLimit=0"
	echo "MinJobAge=5"
	for i in 1 2 3 4; do
		echo "NodeName=n$i NodeAddr=$(node_addr "$i") CPUs=2 State=UNKNOWN"
	done
	echo "PartitionName=rsm Nodes=n[1-4] Default=YES MaxTime=INFINITE State=UP"
} >"$SLURM_CONF"
# slurmd loads a cgroup plugin whatever the other plugins are; ip netns
# exec mounts a /sys of its own, without the machine's cgroup mounts,
# where autodetection fails.  With none of its controllers used, cgroup
# v1 needs nothing mounted.
echo "CgroupPlugin=cgroup/v1" >"$SD/cgroup.conf"
for i in 1 2 3 4; do
	mkdir -p "$SD/n$i/spool" "$SD/n$i/tmp"
done

if ! srun --mpi=list 2>&1 | grep -q pmix; then
	echo "SKIP: srun has no pmix plugin (slurm-wlm-basic-plugins)"
	srun --mpi=list 2>&1 | sed 's/^/# /'
	exit 77
fi

check "munged starts" wait_until 5000 test -S "$MUNGE_SOCK"
# Not through on_node: $! must be the daemon itself (ip netns exec,
# unshare without --fork and sh's exec all exec it).
ip netns exec "$(node_ns 1)" unshare --uts sh -c \
    'hostname n1; exec slurmctld -D -i' >>"$SD/slurmctld.out" 2>&1 &
SLURM_PIDS+=($!)
# The pmix plugin makes a folder per job step under TmpFS, named by
# step alone, for the ranks of its node: one TmpFS for all nodes of one
# machine would be one folder for all.  Each slurmd has its own mounted
# over it, in the mount namespace of its ip netns exec.
for i in 1 2 3 4; do
	ip netns exec "$(node_ns "$i")" unshare --uts sh -c \
	    "hostname n$i && mount --bind '$SD/n$i/tmp' '$SD/tmp' &&
	    exec slurmd -D -N n$i" >>"$SD/n$i/slurmd.out" 2>&1 &
	SLURM_PIDS+=($!)
done

for i in 1 2 3 4; do
	check "node $i starts" wait_until 5000 eval "adm $i status >/dev/null"
done
for i in 1 2 3 4; do
	check "node $i sees the others up" wait_until 8000 all_up "$i"
done
# sinfo from node 1's namespace, where slurmctld listens.
idle_nodes() {
	on_node 1 sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle"' | wc -l
}
t0=$(now_ms)
wait_until 30000 eval '[ "$(idle_nodes)" = 4 ]'
up=$?
on_node 1 sinfo -N 2>&1 | sed 's/^/# /'
check "slurmctld and 4 slurmd: every node idle in sinfo ($(( $(now_ms) - t0 )) ms)" \
    test "$up" = 0
# No job can run without them.
[ "$up" = 0 ] || { net_summary; exit 1; }

# job_srun NODES PER_NODE PROGRAM [ARGS]: one srun job over nodes
# 1..NODES, PER_NODE ranks on each (ranks in node order); its output on
# stdout, its status.
job_srun() {
	local nodes=$1 per=$2
	shift 2
	on_node 1 timeout "$JOB_TIMEOUT_S" srun --mpi=pmix -p rsm \
	    -w "n[1-$nodes]" -N "$nodes" -n $((nodes * per)) \
	    --ntasks-per-node="$per" "$NET_DIR/wrap" "$@" 2>&1
}

# What every launcher must run (job_lib.sh).
job_suite job_srun srun

for i in 1 2 3 4; do
	node_stop "$i"
done
net_summary
