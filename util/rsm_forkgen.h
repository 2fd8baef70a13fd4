/*
 * rsm_forkgen.h - has this process forked since a connection was made?
 *
 * A transport connection made before fork() belongs to the parent (its
 * stream, queue pair and registrations); a child must not use it.  A
 * pthread_atfork child handler counts the forks, so the test on every
 * put/get is one relaxed load and a compare: cheaper than getpid(), a
 * system call since glibc 2.25, and safe before taking the connection's
 * lock, which a parent thread may have held at the fork.
 */
#ifndef RSM_FORKGEN_H
#define RSM_FORKGEN_H

#include <stdatomic.h>

/* Forks seen by this process; read through the functions below. */
extern _Atomic unsigned rsm_forkgen_count __attribute__((visibility("hidden")));

/*
 * Install the counting handler (once per process, thread safe) and
 * return the current generation, to keep with a new connection.
 */
unsigned	 rsm_forkgen_arm(void);

/* Whether the process forked since `gen` was returned by rsm_forkgen_arm. */
static inline int
rsm_forkgen_in_child(unsigned gen)
{
	return atomic_load_explicit(&rsm_forkgen_count,
	    memory_order_relaxed) != gen;
}

#endif /* RSM_FORKGEN_H */
