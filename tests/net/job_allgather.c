/*
 * job_allgather.c - many allgathers in a row, every value checked: each
 * rank gives (rank, round) in every round and must get exactly every
 * rank's value of that round, never an earlier round's.  Rank 0 prints
 * "job_allgather: N rounds of S ranks ok" and how long the first and the
 * last 100 rounds took (through PMIx every round is a key of its own, and
 * PMIx grows slower with every key kept); any wrong value exits 1 on the
 * rank that saw it.
 *
 * usage: job_allgather [ROUNDS]    (default 300, at least 200)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsm/rsm_job.h"
#include "rsm_clock.h"

struct val { uint32_t rank, round; };

int
main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 300;
	uint64_t t0, first = 0;
	uint32_t rank, size, r;
	struct val mine, *all;
	rsm_job_t job;
	long i;
	int rc;

	if (rounds < 200 || rounds > 1000000) {
		fprintf(stderr, "usage: job_allgather [ROUNDS >= 200]\n");
		return 2;
	}
	if ((rc = rsm_job_init(&job, 0)) != 0) {
		fprintf(stderr, "job_allgather: rsm_job_init: %d\n", rc);
		return 1;
	}
	(void)rsm_job_rank(job, &rank);
	(void)rsm_job_size(job, &size);
	if ((all = calloc(size, sizeof(*all))) == NULL)
		return 1;
	t0 = rsm_now_ns();
	for (i = 0; i < rounds; i++) {
		mine.rank = rank;
		mine.round = (uint32_t)i;
		memset(all, 0xff, size * sizeof(*all));
		if ((rc = rsm_job_allgather(job, &mine, sizeof(mine), all)) != 0) {
			fprintf(stderr, "job_allgather: rank %" PRIu32 ", round "
			    "%ld: rsm_job_allgather: %d\n", rank, i, rc);
			return 1;
		}
		for (r = 0; r < size; r++)
			if (all[r].rank != r || all[r].round != (uint32_t)i) {
				fprintf(stderr, "job_allgather: rank %" PRIu32
				    ", round %ld: rank %" PRIu32 "'s value is (%"
				    PRIu32 ", %" PRIu32 ")\n", rank, i, r,
				    all[r].rank, all[r].round);
				return 1;
			}
		if (i == 99)
			first = rsm_now_ns() - t0;
		if (i == rounds - 101)
			t0 = rsm_now_ns();
	}
	if (rank == 0)
		printf("job_allgather: %ld rounds of %" PRIu32 " ranks ok; "
		    "first 100: %.1f ms, last 100: %.1f ms\n", rounds, size,
		    (double)first / 1e6, (double)(rsm_now_ns() - t0) / 1e6);
	free(all);
	return rsm_job_finalize(job) == 0 ? 0 : 1;
}
