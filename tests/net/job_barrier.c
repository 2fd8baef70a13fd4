/*
 * job_barrier.c - rsm_job_barrier(3RSM) holds every rank until all have
 * reached it, checked through files in a folder that all ranks share
 * (the nodes of tests/net are namespaces of one machine).  In round i
 * every rank writes i to its file, waits at a barrier, reads every
 * rank's file, which must say i, and waits at a second barrier before
 * the next round writes.  One rank a round is late by a few ms, so that
 * a barrier that does not wait lets the others read its old round.
 * Rank 0 prints the count of wrong reads of all ranks; exit 1 if any.
 *
 * usage: job_barrier DIR [ROUNDS]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rsm/rsm_job.h"

static const char *dir;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "job_barrier: %s: %d\n", what, rc);
	exit(2);
}

/* Rank r's file says round, replaced whole (rename), never half written. */
static void
publish(uint32_t r, long round)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rank%" PRIu32, dir, r);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp, errno);
	fprintf(f, "%ld\n", round);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path, errno);
}

/* Rank r's round, or -1 when it has none yet. */
static long
seen(uint32_t r)
{
	char path[4096];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "%s/rank%" PRIu32, dir, r);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	const struct timespec late = { 0, 3 * 1000 * 1000 };
	long rounds = argc > 2 ? atol(argv[2]) : 50, i;
	uint32_t rank, size, r;
	uint64_t wrong = 0, *all, total = 0;
	rsm_job_t job;
	int rc;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: job_barrier DIR [ROUNDS]\n");
		return 2;
	}
	dir = argv[1];
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &size);
	if ((all = calloc(size, sizeof(*all))) == NULL)
		die("out of memory", ENOMEM);
	for (i = 0; i < rounds; i++) {
		if ((uint32_t)(i % size) == rank)
			nanosleep(&late, NULL);
		publish(rank, i);
		if ((rc = rsm_job_barrier(job)) != 0)
			die("barrier", rc);
		for (r = 0; r < size; r++)
			if (seen(r) != i)
				wrong++;
		if ((rc = rsm_job_barrier(job)) != 0)
			die("barrier", rc);
	}
	if ((rc = rsm_job_allgather(job, &wrong, sizeof(wrong), all)) != 0)
		die("allgather", rc);
	for (r = 0; r < size; r++)
		total += all[r];
	if (rank == 0)
		printf("job_barrier: %" PRIu32 " ranks, %ld rounds of 2 barriers, "
		    "%" PRIu64 " wrong reads\n", size, rounds, total);
	free(all);
	rsm_job_finalize(job);
	return total == 0 ? 0 : 1;
}
