/*
 * stats.h - the counters rsmd keeps for rsmadm stats: per segment and per
 * import (data operations it serves, connects, revocations, errors by
 * code), per peer daemon (frames, bytes, round trips) and for the whole
 * node (refusals by code, malformed tcp0 frames).
 *
 * The counters are plain data embedded in the records they describe
 * (struct reg_segment, struct reg_import, struct peer), so the registry
 * counts without any I/O and its unit test links nothing more; the
 * increments are inline.  stats.c holds the rest: the round-trip window's
 * percentiles, and copying counters into STATS entries (handle_stats.c).
 *
 * Only what rsmd itself does is counted.  shm0 loads, stores and copies
 * and verbs0 RDMA never pass through the daemon (the NIC executes them),
 * nor do ucx0's puts and gets, which libucp serves inside the worker.
 */
#ifndef RSMD_STATS_H
#define RSMD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_proto.h"

/*
 * IMPORT entries one STATS stream carries at most: the stream is queued
 * whole, and control.c bounds a client's output queue by it.
 */
#define RSMD_STATS_IMPORTS_MAX	512u

/* Errors by code: the first RSM_STATS_ERRS distinct codes, then "other". */
struct stats_errs {
	uint32_t	 code[RSM_STATS_ERRS];	/* 0: unused */
	uint64_t	 count[RSM_STATS_ERRS];
	uint64_t	 other;
};

/* What one segment, or one import of it, has seen. */
struct stats_data {
	uint64_t	 ops[RSM_STATS_NOPS];	/* by RSM_STATS_OP_* */
	uint64_t	 bytes[RSM_STATS_NOPS];
	uint64_t	 connects;
	uint64_t	 disconnects;
	uint64_t	 revocations;
	struct stats_errs errs;
};

/* The latest RSM_STATS_RTT_WINDOW round trips, a ring. */
struct stats_rtt {
	uint64_t	 us[RSM_STATS_RTT_WINDOW];
	uint32_t	 n;		/* samples held, at most the window */
	uint32_t	 next;		/* where the next one goes */
};

/* One peer daemon's link, over every link to it since rsmd started. */
struct stats_peer {
	uint64_t	 frames_tx;
	uint64_t	 frames_rx;
	uint64_t	 bytes_tx;	/* frame bytes before sealing */
	uint64_t	 bytes_rx;	/* frame bytes after opening */
	struct stats_rtt rtt;
};

/* The whole node: every refusal, whatever it named. */
struct stats_node {
	uint64_t	 connects;
	uint64_t	 disconnects;
	uint64_t	 revocations;
	struct stats_errs errs;
	/*
	 * tcp0 frames that broke the protocol and cost their connection
	 * (serve_tcp_conn.c): refused with no RSMERR_* said to anyone, so
	 * counted apart from errs.
	 */
	uint64_t	 malformed;
};

static inline void
stats_err(struct stats_errs *e, int code)
{
	unsigned i;

	if (code <= 0 || code > (int)RSM_STATS_CODE_MAX)
		return;
	for (i = 0; i < RSM_STATS_ERRS; i++) {
		if (e->code[i] == (uint32_t)code || e->code[i] == 0) {
			e->code[i] = (uint32_t)code;
			e->count[i]++;
			return;
		}
	}
	e->other++;
}

static inline void
stats_op(struct stats_data *d, unsigned op, uint64_t bytes)
{
	if (op >= RSM_STATS_NOPS)
		return;
	d->ops[op]++;
	d->bytes[op] += bytes;
}

static inline void
stats_peer_frame(struct stats_peer *p, int tx, size_t len)
{
	if (tx) {
		p->frames_tx++;
		p->bytes_tx += len;
	} else {
		p->frames_rx++;
		p->bytes_rx += len;
	}
}

/* ---- stats.c ---- */

/* Record one round trip in the window, the oldest one leaving. */
void	 stats_rtt_add(struct stats_rtt *, uint64_t us);
/*
 * p50, p90, p99 and the largest of the window into out[0..3] (all 0 when
 * it is empty): nearest rank, so each is one of the samples.  Returns the
 * number of samples.
 */
uint32_t stats_rtt_percentiles(const struct stats_rtt *, uint64_t out[4]);
/*
 * The nearest-rank pct-th percentile (1..100) of n sorted values: the
 * smallest value at or above which pct percent of them lie.
 */
uint64_t stats_percentile(const uint64_t *sorted, size_t n, unsigned pct);

/* Copy counters into a STATS entry. */
void	 stats_errs_wire(const struct stats_errs *, struct rsm_msg_stats *);
void	 stats_data_wire(const struct stats_data *, struct rsm_msg_stats *);

#endif /* RSMD_STATS_H */
