/*
 * rmap_int.h - the parts of a remote map (rmap.h) that its two files
 * share: rmap.c keeps the cache (fetch, eviction, write-back, life),
 * rmap_track.c talks to userfaultfd and finds the stores (which
 * write-protection the kernel offers, and what it reports written).
 * Nothing outside librsm/rmap*.c includes this.
 */
#ifndef RSM_RMAP_INT_H
#define RSM_RMAP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rmap.h"

#pragma GCC visibility push(hidden)

/*
 * How the stores of a writable map are found (rmap_track.c):
 * RMAP_TRACK_WP_ASYNC (Linux 6.7): pages are mapped write-protected, the
 * kernel lifts the protection itself at the first store and PAGEMAP_SCAN
 * reports the written pages; RMAP_TRACK_WP_SYNC (5.19): the same
 * protection, but the first store to a page faults to the handler, which
 * marks the page written and lifts it; RMAP_TRACK_TWINS: every resident
 * page is compared with its twin at each write-back.  All three send only
 * the bytes that differ from the twin.
 */
enum rmap_track {
	RMAP_TRACK_NONE,	/* a read-only map */
	RMAP_TRACK_TWINS,
	RMAP_TRACK_WP_SYNC,
	RMAP_TRACK_WP_ASYNC,
};

/*
 * A writable map's per-page marks: RMAP_WRITTEN, stored into since the
 * last write-back (synchronous tracking); RMAP_PUSH, to be compared and
 * sent by the write-back under way.
 */
#define RMAP_WRITTEN	0x1u
#define RMAP_PUSH	0x2u

struct rsm_rmap {
	pthread_mutex_t	 mtx;		/* everything below but refs/dead */
	_Atomic unsigned refs;
	_Atomic int	 dead;		/* revoked: zero pages, barriers fail */
	_Atomic int	 stopping;	/* the handler is to end */
	const struct rsm_transport_ops *ops;
	struct rsm_xport_seg xs;	/* the map's own data path */
	pid_t		 pid;		/* the process that made it */
	size_t		 pg, npages, seg_off, len;
	char		*app;		/* the application's view (registered) */
	char		*fill;		/* the same memfd, for the handler */
	char		*twin;		/* page contents as fetched; NULL: read-only */
	char		*scratch;	/* one page: a stable copy being diffed */
	struct rsm_xport_iov *runs;	/* changed bytes queued (in twins) */
	size_t		 nruns, runs_max;
	/*
	 * Pages queued as masked entries (spans in twins), when the data
	 * path takes them (ops->putm); NULL: runs only.  Their masks are
	 * pg / 8 bytes each in `masks`, slot for slot.
	 */
	struct rsm_xport_mput *mputs;
	size_t		 nmputs, mputs_max;
	uint8_t		*masks;
	unsigned char	*resident;	/* per page: 0 absent, 1, 2 staged */
	unsigned char	*written;	/* per page: RMAP_WRITTEN, RMAP_PUSH */
	unsigned char	*hot;		/* per page: dropped by the last refresh */
	size_t		 nresident, cap_pages, ra_min, ra_max;
	size_t		 ra, next_seq;	/* readahead and where it continues */
	size_t		 hand;		/* eviction clock */
	int		 memfd, uffd, stopfd;
	int		 user_only;	/* UFFD_USER_MODE_ONLY */
	int		 via_daemon;	/* made through the daemon's device */
	int		 (*uffd_dev_fn)(void);
	int		 uffd_dev;	/* that device, once asked for; -1 */
	enum rmap_track	 track;
	int		 no_continue_wp; /* CONTINUE cannot protect (< 6.3) */
	int		 pagemap_fd;	/* RMAP_TRACK_WP_ASYNC */
	int		 err;		/* a put of a write-back failed */
	/* Counts, told at close with RSM_DEBUG. */
	uint64_t	 n_faults, n_wp_faults, n_fetches, n_fetched;
	uint64_t	 n_pushed, n_evicted, n_masked;
	int		 closed;
	int		 thread_up;
	pthread_t	 thread;
};

/* ---- rmap_track.c ---- */

/*
 * A userfaultfd registered over the application's view, with the best
 * write tracking the kernel offers a writable map (RSM_MAP_TRACK=twin or
 * wp-sync asks for less).  RSM_SUCCESS or RSMERR_MAP_FAILED.
 */
int	 rmap_uffd_setup(struct rsm_rmap *r);
/* Wake whoever waits in a fault on pages [lo, hi). */
void	 rmap_uffd_wake(struct rsm_rmap *r, size_t lo, size_t hi);
/*
 * Lock held.  Map pages [lo, hi) of the memfd for the application and
 * wake their waiters: write-protected (`wp`) where tracking protects,
 * when their bytes equal their twins; else writable, and then counted
 * as written.
 */
void	 rmap_map_pages(struct rsm_rmap *r, size_t lo, size_t hi, int wp);
/*
 * Lock held.  A write-protect fault on page p (RMAP_TRACK_WP_SYNC): the
 * page is written from now on; lift the protection and wake the writer.
 */
void	 rmap_wp_fault(struct rsm_rmap *r, size_t p);
/*
 * Lock held.  Mark RMAP_PUSH in r->written every page the tracking
 * reports written since the last write-back, protecting each again
 * before its bytes are copied, so that a store racing with the copy
 * marks it for the next one.  0, or -1 when the tracking has nothing to
 * say (twins) or the kernel refused (the caller then compares every
 * resident page).
 */
int	 rmap_collect_written(struct rsm_rmap *r);
/*
 * The first page from p whose marks have `bit`, or r->npages: most pages
 * have none, so they are skipped a word at a time.
 */
size_t	 rmap_next_marked(const struct rsm_rmap *r, size_t p, unsigned bit);
/* A page leaves the cache: it is no longer written. */
void	 rmap_forget(struct rsm_rmap *r, size_t lo, size_t hi);

#pragma GCC visibility pop

#endif /* RSM_RMAP_INT_H */
