/*
 * rsm_ratelimit.h - "may I log this now?" for messages a peer can provoke
 * at will (refused connections, malformed frames), so a flood cannot fill
 * the log: at most `burst` lines in each window of `window_ms`
 * milliseconds (windows aligned on multiples of window_ms), and the count
 * of lines held back, reported with the next line let through.
 *
 * Not locked: one limiter belongs to one thread (rsmd's loop).
 */
#ifndef RSM_RATELIMIT_H
#define RSM_RATELIMIT_H

#include <stdint.h>

struct rsm_ratelimit {
	uint64_t	 window_ms;	/* length of a window */
	unsigned	 burst;		/* lines let through per window */
	uint64_t	 window;	/* the current window: now_ms / window_ms */
	unsigned	 count;		/* lines let through in it */
	unsigned	 dropped;	/* held back since the last let through */
};

#define RSM_RATELIMIT_INIT(window_ms, burst)	{ (window_ms), (burst), 0, 0, 0 }

/*
 * 1 when a line may be logged at now_ms (rsm_now_ms()), else 0 and the
 * line counts as dropped.  On 1, *dropped (when not NULL) is how many
 * were held back since the last line let through, for a "N more not
 * logged" line; they are then forgotten.
 */
int	 rsm_ratelimit_allow(struct rsm_ratelimit *, uint64_t now_ms,
	    unsigned *dropped);

#endif /* RSM_RATELIMIT_H */
