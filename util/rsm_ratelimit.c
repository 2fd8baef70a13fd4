/*
 * rsm_ratelimit.c - the log rate limiter (see rsm_ratelimit.h).
 */
#include "rsm_ratelimit.h"

#include <stddef.h>

int
rsm_ratelimit_allow(struct rsm_ratelimit *rl, uint64_t now_ms,
    unsigned *dropped)
{
	uint64_t w = rl->window_ms > 0 ? now_ms / rl->window_ms : now_ms;

	if (w != rl->window) {
		rl->window = w;
		rl->count = 0;
	}
	if (rl->count >= rl->burst) {
		rl->dropped++;
		return 0;
	}
	rl->count++;
	if (dropped != NULL)
		*dropped = rl->dropped;
	rl->dropped = 0;
	return 1;
}
