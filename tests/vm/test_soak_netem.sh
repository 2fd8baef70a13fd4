#!/usr/bin/env bash
# test_soak_netem.sh - the soak (tests/soak/soak.sh, see tests/soak/README)
# inside a guest (run-in-guest.sh) whose kernel has netem: the same
# cluster, workers and checks, and among the faults "netem" (SOAK_NETEM=1:
# a failure when tc cannot add it; SOAK_NETEM_PCT 30% of the faults),
# delay 5-50 ms with jitter and 1-20% loss on a node's link both ways for
# 0.5-4 s.  $SOAK_NETEM_FAULTS faults (default 25) on $SOAK_NODES nodes
# (default 3), 2-3 minutes with the boot on a quiet machine; `make soak
# NETEM=1 FAULTS=N` runs N.  Skipped (77) with RSM_SKIP_SOAK=1 or
# RSM_SKIP_VM=1, or when not root.
#
# Emulation on a shared host is slow and uneven: the workers pace their
# batches (SOAK_PACE_US 50 ms rather than 3), the driver's own deadlines
# are three times longer (SOAK_SLOW=3), and dead_after_ms is 2000 as in
# test_netem.sh, so that a stalled guest is not taken for a dead node
# every time.  The hang budget (SOAK_BUDGET_MS) is 15 s rather than 5: a
# loaded host freezes the whole guest for 5 s and more (rsmd's 2000 ms
# deadline seen firing after 4049 ms, six workers' calls on three nodes
# over 5 s within the same 2 s), and under 20% loss on both ends TCP's
# retransmission backoff takes a connect or a get legitimately past 5 s,
# within the transport's own bounds (a 5 s dial plus its HELLO, 10 s
# without progress on a socket).  A call stuck for good is still caught.
#
# Outside the guest this script re-runs itself through run-in-guest.sh
# (vm_lib.sh), bounded by the soak's chaos bound plus its recovery and
# checks.
set -u
if [ "${RSM_SKIP_SOAK:-0}" = 1 ]; then
	echo "SKIP: RSM_SKIP_SOAK=1"
	exit 77
fi
FAULTS=${SOAK_NETEM_FAULTS:-25}
case $FAULTS in ''|*[!0-9]*) echo "SOAK_NETEM_FAULTS: a number"; exit 2 ;; esac
# A fault takes 2-3 s of the driver's time in the guest (forks): the
# chaos phase's bound is 30 s + 3 s a fault rather than 0.6 s.
export SOAK_MAX_S=${SOAK_MAX_S:-$(( 30 + FAULTS * 3 ))}
VM_TIMEOUT=${RSM_VM_TIMEOUT:-$(( 420 + SOAK_MAX_S ))}
. "$(dirname "$0")/vm_lib.sh"
src=$(cd "$(dirname "$0")/.." && pwd)
export SOAK_NETEM=1 SOAK_NETEM_PCT=${SOAK_NETEM_PCT:-30} \
    SOAK_SLOW=${SOAK_SLOW:-3} SOAK_PACE_US=${SOAK_PACE_US:-50000} \
    SOAK_BUDGET_MS=${SOAK_BUDGET_MS:-15000} DEAD_AFTER_MS=${DEAD_AFTER_MS:-2000}
export SOAK_MAN=${SOAK_MAN:-$src/../man}
exec bash "$src/soak/soak.sh" -f "$FAULTS" -n "${SOAK_NODES:-3}"
