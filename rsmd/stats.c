/*
 * stats.c - the parts of the counters that are more than an increment
 * (stats.h): round-trip percentiles, and copying counters to the wire.
 * No I/O, no daemon state: tests/unit/test_stats links it alone.
 */
#include <stdlib.h>
#include <string.h>

#include "stats.h"

void
stats_rtt_add(struct stats_rtt *r, uint64_t us)
{
	r->us[r->next] = us;
	r->next = (r->next + 1) % RSM_STATS_RTT_WINDOW;
	if (r->n < RSM_STATS_RTT_WINDOW)
		r->n++;
}

uint64_t
stats_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	if (pct == 0)
		pct = 1;
	if (pct > 100)
		pct = 100;
	/* Nearest rank: ceil(pct / 100 * n), counted from 1. */
	rank = ((size_t)pct * n + 99) / 100;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t
stats_rtt_percentiles(const struct stats_rtt *r, uint64_t out[4])
{
	uint64_t v[RSM_STATS_RTT_WINDOW];
	uint32_t n = r->n <= RSM_STATS_RTT_WINDOW ? r->n :
	    RSM_STATS_RTT_WINDOW;

	memset(out, 0, 4 * sizeof(out[0]));
	if (n == 0)
		return 0;
	/* While the ring is not full its samples are us[0 .. n). */
	memcpy(v, r->us, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	out[0] = stats_percentile(v, n, 50);
	out[1] = stats_percentile(v, n, 90);
	out[2] = stats_percentile(v, n, 99);
	out[3] = v[n - 1];
	return n;
}

void
stats_errs_wire(const struct stats_errs *e, struct rsm_msg_stats *st)
{
	unsigned i, k = 0;

	for (i = 0; i < RSM_STATS_ERRS; i++) {
		if (e->code[i] == 0 || e->count[i] == 0)
			continue;
		st->err[k].code = e->code[i];
		st->err[k++].count = e->count[i];
	}
	st->errors_other = e->other;
}

void
stats_data_wire(const struct stats_data *d, struct rsm_msg_stats *st)
{
	memcpy(st->ops, d->ops, sizeof(st->ops));
	memcpy(st->bytes, d->bytes, sizeof(st->bytes));
	st->connects = d->connects;
	st->disconnects = d->disconnects;
	st->revocations = d->revocations;
	stats_errs_wire(&d->errs, st);
}
