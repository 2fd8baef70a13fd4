/*
 * rsm_forkgen.c - the fork generation (see rsm_forkgen.h).
 */
#include "rsm_forkgen.h"

#include <pthread.h>

_Atomic unsigned rsm_forkgen_count;
static pthread_once_t forkgen_once = PTHREAD_ONCE_INIT;

static void
forkgen_child(void)
{
	atomic_fetch_add_explicit(&rsm_forkgen_count, 1, memory_order_relaxed);
}

static void
forkgen_install(void)
{
	(void)pthread_atfork(NULL, NULL, forkgen_child);
}

unsigned
rsm_forkgen_arm(void)
{
	(void)pthread_once(&forkgen_once, forkgen_install);
	return atomic_load_explicit(&rsm_forkgen_count, memory_order_relaxed);
}
