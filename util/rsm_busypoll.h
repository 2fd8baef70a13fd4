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
 * turn ends the poll, and no poll starts for a while: the caller sleeps
 * as it would without polling.
 */
#ifndef RSM_BUSYPOLL_H
#define RSM_BUSYPOLL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rsm_clock.h"

/*
 * A yield that kept the CPU away longer than this: it was wanted.  Above
 * what the peer being polled for does in a turn (a reply and the next
 * request: tens of microseconds here), below a time slice of a task that
 * never yields (0.75-3 ms).
 */
#define RSM_BUSYPOLL_WANTED_NS	200000u
/*
 * And for this long after, no polling at all: on a CPU shared with a task
 * that never yields, finding out costs a time slice (milliseconds), which
 * should not be paid again at every request.
 */
#define RSM_BUSYPOLL_BACKOFF_NS	100000000u

/* One poller's memory of contention (zeroed: none). */
struct rsm_busypoll {
	_Atomic uint64_t off_until;	/* no polling before this time */
};

/* Whether to start polling at now (ns): not while backing off. */
static inline int
rsm_busypoll_allowed(struct rsm_busypoll *b, uint64_t now)
{
	return now >= atomic_load_explicit(&b->off_until,
	    memory_order_relaxed);
}

/*
 * Yield once: 1 when the CPU went to somebody else for a while, and then
 * polling stays off for RSM_BUSYPOLL_BACKOFF_NS.
 */
static inline int
rsm_busypoll_turn(struct rsm_busypoll *b)
{
	uint64_t t0 = rsm_now_ns(), t1;

	(void)sched_yield();
	t1 = rsm_now_ns();
	if (t1 - t0 <= RSM_BUSYPOLL_WANTED_NS)
		return 0;
	atomic_store_explicit(&b->off_until, t1 + RSM_BUSYPOLL_BACKOFF_NS,
	    memory_order_relaxed);
	return 1;
}

#endif /* RSM_BUSYPOLL_H */
