/*
 * rsm_busypoll.h - one turn of a busy poll: give the CPU away for a moment
 * and tell whether somebody took it.
 *
 * rsmd (busy_poll_us) and tcp0's reply waits (RSM_BUSY_POLL_US) poll for
 * a while before they sleep, because a wake-up on another CPU costs more
 * than a short round trip on a VM.  That only pays while the poller has a
 * CPU to itself: when the yield of a turn comes back late, another task
 * ran meanwhile (a faulting thread, the daemon, an application that keeps
 * every core busy), and polling on would take its CPU time and, on an
 * oversubscribed node, make every request wait for a time slice.  Such a
 * turn ends the poll: the caller sleeps as it would without polling.
 */
#ifndef RSM_BUSYPOLL_H
#define RSM_BUSYPOLL_H

#include <sched.h>
#include <stdint.h>

#include "rsm_clock.h"

/* A yield that kept the CPU away longer than this: it was wanted. */
#define RSM_BUSYPOLL_WANTED_NS	20000u

/* Yield once: 1 when the CPU went to somebody else for a while. */
static inline int
rsm_busypoll_turn(void)
{
	uint64_t t0 = rsm_now_ns();

	(void)sched_yield();
	return rsm_now_ns() - t0 > RSM_BUSYPOLL_WANTED_NS;
}

#endif /* RSM_BUSYPOLL_H */
