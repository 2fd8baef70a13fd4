/*
 * counter.c - a work queue on a shared counter of an rsm job
 * (rsm_job(3RSM), rsm_memseg_import_fetch_add64(3RSM)).
 *
 *   counter [TASKS]	(default 1000)
 *
 * Rank 0 exports a segment with a 64-bit "next task" counter, a result
 * slot per task and a done count per task.  Every rank (rank 0 too)
 * imports it and takes task after task with fetch-and-add on the
 * counter until the counter passes TASKS; for each task it puts a hash
 * of the task's index into the task's slot and adds one to the task's
 * done count, again with fetch-and-add, so that a task taken twice shows
 * as a count of 2 rather than as one overwritten slot.  Once every rank
 * has finished, rank 0 checks its own memory against one process: every
 * slot holds the hash of its index, every count is 1, and the counter
 * was taken TASKS times plus once per rank (the take that found nothing
 * left).  Rank 0 prints what was done; every rank exits 1 on a wrong
 * answer.  $RSM_JOB_CTLR names the controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsm/rsm_atomic.h"
#include "rsm/rsm_job.h"

/* Rank 0's segment: the counter, then the slots, then the done counts. */
#define NEXT_OFF	0
#define SLOT_OFF(t)	(8 + 8 * (off_t)(t))
#define DONE_OFF(n, t)	(8 + 8 * (off_t)(n) + 8 * (off_t)(t))

static uint32_t rank, nranks;
static int joined;

static void
die(const char *what, int rc)
{
	if (joined)
		fprintf(stderr, "counter: rank %u: %s: RSMERR %d\n", rank, what,
		    rc);
	else
		fprintf(stderr, "counter: %s: RSMERR %d\n", what, rc);
	exit(2);
}

/*
 * The work of task t: splitmix64's finalizer of t + 1, a bijection that
 * maps only 0 to 0, so a result is never 0, the value of an unwritten slot.
 */
static uint64_t
work(uint64_t t)
{
	uint64_t z = t + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
main(int argc, char **argv)
{
	long ntasks = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
	const char *cname = getenv("RSM_JOB_CTLR");
	size_t bytes, page = (size_t)sysconf(_SC_PAGESIZE);
	rsm_memseg_import_handle_t q;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsmapi_barrier_t bar;
	rsm_job_seg_t *segs;
	rsm_job_t job;
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	uint64_t *mem, *taken, t, old, mine[2] = { 0, 0 }, sum = 0, ref = 0;
	uint64_t bad = 0, *verdicts;
	long missing = 0, twice = 0, wrong = 0;
	int launcher, rc;
	uint32_t r;

	if (ntasks < 1) {
		fprintf(stderr, "usage: counter [TASKS]\n");
		return 2;
	}
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	joined = 1;
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &nranks);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	/*
	 * rsm_job_export is collective, so every rank exports; only rank
	 * 0's segment is used, the others export one page.
	 */
	bytes = rank == 0 ? (size_t)DONE_OFF(ntasks, ntasks) : page;
	bytes = (bytes + page - 1) / page * page;
	/* Anonymous pages start zeroed: the counter, no slot, no count. */
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	segs = calloc(nranks, sizeof(*segs));
	taken = calloc(nranks, 2 * sizeof(*taken));
	verdicts = calloc(nranks, sizeof(*verdicts));
	if (mem == MAP_FAILED || segs == NULL || taken == NULL ||
	    verdicts == NULL)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	if ((rc = rsm_job_export(job, ctlr, mem, bytes, &seg, segs)) != 0)
		die("rsm_job_export", rc);
	if (segs[0].size < (size_t)DONE_OFF(ntasks, ntasks)) {
		if (rank == 0)
			fprintf(stderr, "counter: rank 0's segment is too small\n");
		return 2;
	}
	if ((rc = rsm_memseg_import_connect(ctlr, segs[0].node, segs[0].segid,
	    RSM_PERM_RDWR, &q)) != 0)
		die("connect to rank 0", rc);
	/* Put in the default (implicit) barrier mode needs a barrier. */
	if ((rc = rsm_memseg_import_init_barrier(q, RSM_BAR_DEFAULT, &bar)) != 0)
		die("init_barrier", rc);

	for (;;) {
		if ((rc = rsm_memseg_import_fetch_add64(q, NEXT_OFF, 1, &t)) != 0)
			die("taking a task", rc);
		if (t >= (uint64_t)ntasks)
			break;
		uint64_t v = work(t);

		if ((rc = rsm_memseg_import_put(q, SLOT_OFF(t), &v,
		    sizeof(v))) != 0)
			die("putting a result", rc);
		/* Same import, so the put reaches the segment first. */
		if ((rc = rsm_memseg_import_fetch_add64(q, DONE_OFF(ntasks, t),
		    1, &old)) != 0)
			die("counting a task done", rc);
		if (old != 0) {
			fprintf(stderr, "counter: rank %u: task %" PRIu64
			    " was already done %" PRIu64 " times\n", rank, t, old);
			mine[1]++;
		}
		mine[0]++;
	}

	/* Once every rank is here, every result is in rank 0's memory. */
	if ((rc = rsm_job_allgather(job, mine, sizeof(mine), taken)) != 0)
		die("allgather", rc);
	if (rank == 0) {
		uint64_t *slot = mem + SLOT_OFF(0) / 8;
		uint64_t *done = mem + DONE_OFF(ntasks, 0) / 8;

		for (t = 0; t < (uint64_t)ntasks; t++) {
			ref += work(t);
			sum += slot[t];
			if (done[t] == 0)
				missing++;
			else if (done[t] > 1)
				twice++;
			if (done[t] != 0 && slot[t] != work(t))
				wrong++;
		}
		/* Each rank's last take found nothing left. */
		if (missing || twice || wrong || sum != ref ||
		    mem[NEXT_OFF / 8] != (uint64_t)ntasks + nranks)
			bad = 1;
		for (r = 0, t = 0; r < nranks; r++) {
			t += taken[2 * r];
			if (taken[2 * r + 1] != 0)
				bad = 1;
		}
		if (t != (uint64_t)ntasks)
			bad = 1;
	}
	/* Every rank learns rank 0's verdict, and exits with it. */
	if ((rc = rsm_job_allgather(job, &bad, sizeof(bad), verdicts)) != 0)
		die("allgather", rc);
	bad = verdicts[0];
	rsm_job_launcher(job, &launcher);
	if (rank == 0) {
		printf("counter: %u ranks on nodes", nranks);
		for (r = 0; r < nranks; r++) {
			rsm_node_id_t nd;

			rsm_job_node(job, r, &nd);
			printf("%s%u", r ? "," : " ", nd);
		}
		printf(" (started by %s), %ld tasks, taken", how[launcher],
		    ntasks);
		for (r = 0; r < nranks; r++)
			printf("%s%" PRIu64, r ? "," : " ", taken[2 * r]);
		printf(", sum 0x%016" PRIx64 ": %s\n", sum,
		    bad ? "DIFFERS from one process" : "equal to one process");
		if (bad)
			printf("counter: %ld tasks not done, %ld done twice, %ld "
			    "wrong, counter %" PRIu64 " (expected %" PRIu64
			    "), sum expected 0x%016" PRIx64 "\n", missing, twice,
			    wrong, mem[NEXT_OFF / 8], (uint64_t)ntasks + nranks,
			    ref);
	}

	/* Nobody has used rank 0's segment since the first allgather. */
	rsm_memseg_import_destroy_barrier(&bar);
	rsm_memseg_import_disconnect(q);
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	munmap(mem, bytes);
	free(segs);
	free(taken);
	free(verdicts);
	return bad != 0;
}
