/*
 * ring.c - a token passed around the ranks of an rsm job (rsm_job(3RSM)).
 *
 *   ring [LAPS]	(default 100)
 *
 * Each rank exports one page whose first word is its mailbox and imports
 * the mailbox of its right neighbour (rank + 1, modulo the size).  Rank 0
 * starts with the token 0; a rank that holds the token puts token + 1
 * into its neighbour's mailbox with rsm_memseg_import_put_signal, which
 * wakes the neighbour's rsm_intr_signal_wait only once the value is
 * visible, so the receiver reads its own memory with no further
 * synchronisation.  After LAPS laps the token has made LAPS x size hops,
 * which is what one process counting the hops gets.  Every rank checks
 * each token it receives; rank 0 prints what was done; every rank exits
 * 1 on a wrong answer.  $RSM_JOB_CTLR names the controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rsm/rsm_atomic.h"
#include "rsm/rsm_job.h"

/* A token that does not come within this time is lost: fail, never hang. */
#define WAIT_MS	10000

static uint32_t rank, nranks;
static int joined;

static void
die(const char *what, int rc)
{
	if (joined)
		fprintf(stderr, "ring: rank %u: %s: RSMERR %d\n", rank, what, rc);
	else
		fprintf(stderr, "ring: %s: RSMERR %d\n", what, rc);
	exit(2);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Waits for the token in my mailbox; checks it is the expected one. */
static uint64_t
receive(rsm_memseg_export_handle_t seg, volatile uint64_t *box,
    uint64_t expected, uint64_t *bad)
{
	uint64_t v;
	int rc;

	if ((rc = rsm_intr_signal_wait(seg, WAIT_MS)) != 0)
		die("waiting for the token", rc);
	v = *box;
	if (v != expected) {
		fprintf(stderr, "ring: rank %u: token %" PRIu64 ", expected %"
		    PRIu64 "\n", rank, v, expected);
		(*bad)++;
	}
	return v;
}

int
main(int argc, char **argv)
{
	long laps = argc > 1 ? strtol(argv[1], NULL, 0) : 100;
	const char *cname = getenv("RSM_JOB_CTLR");
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	rsm_memseg_import_handle_t right;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsm_job_seg_t *segs;
	rsm_job_t job;
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	volatile uint64_t *box;
	uint64_t token = 0, bad = 0, *bads;
	double t0, us;
	int launcher, rc;
	uint32_t r, next;
	long lap;

	if (laps < 1) {
		fprintf(stderr, "usage: ring [LAPS]\n");
		return 2;
	}
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	joined = 1;
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &nranks);
	next = (rank + 1) % nranks;
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	/* An exported range is whole pages. */
	box = mmap(NULL, page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	segs = calloc(nranks, sizeof(*segs));
	bads = calloc(nranks, sizeof(*bads));
	if (box == MAP_FAILED || segs == NULL || bads == NULL)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	if ((rc = rsm_job_export(job, ctlr, (void *)box, page, &seg, segs)) != 0)
		die("rsm_job_export", rc);
	/* A job of one passes the token to itself. */
	if ((rc = rsm_memseg_import_connect(ctlr, segs[next].node,
	    segs[next].segid, RSM_PERM_RDWR, &right)) != 0)
		die("connect to the right neighbour", rc);
	/* Start the clock when every rank is ready: the time is the ring's. */
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);

	/*
	 * A mailbox is written once per lap, and the next write can only
	 * come after its owner has passed the token on, so it is read
	 * before it is overwritten.
	 */
	t0 = now_us();
	for (lap = 0; lap < laps; lap++) {
		if (rank != 0)
			token = receive(seg, box, (uint64_t)lap * nranks + rank,
			    &bad);
		token++;
		if ((rc = rsm_memseg_import_put_signal(right, 0, &token,
		    sizeof(token), 0)) != 0)
			die("put_signal to the right neighbour", rc);
		if (rank == 0)
			token = receive(seg, box, (uint64_t)(lap + 1) * nranks,
			    &bad);
	}
	us = now_us() - t0;

	if ((rc = rsm_job_allgather(job, &bad, sizeof(bad), bads)) != 0)
		die("allgather", rc);
	bad = 0;
	for (r = 0; r < nranks; r++)
		bad += bads[r];
	/* Rank 0 received the token last: it has made every hop. */
	if (rank == 0 && token != (uint64_t)laps * nranks)
		bad++;
	rsm_job_launcher(job, &launcher);
	if (rank == 0) {
		printf("ring: %u ranks on nodes", nranks);
		for (r = 0; r < nranks; r++) {
			rsm_node_id_t nd;

			rsm_job_node(job, r, &nd);
			printf("%s%u", r ? "," : " ", nd);
		}
		printf(" (started by %s), %ld laps, final token %" PRIu64
		    ", %.1f us per hop: %s\n", how[launcher], laps, token,
		    us / ((double)laps * nranks),
		    bad ? "DIFFERS from one process" : "equal to one process");
		for (r = 0; r < nranks; r++)
			if (bads[r] != 0)
				printf("ring: rank %u received %" PRIu64
				    " wrong tokens\n", r, bads[r]);
	}

	/* Disconnect before anyone destroys what others import. */
	rsm_memseg_import_disconnect(right);
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	munmap((void *)box, page);
	free(segs);
	free(bads);
	return bad != 0;
}
