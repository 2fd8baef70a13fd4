/*
 * stencil.c - a 2-D heat stencil over an rsm job (rsm_job(3RSM)).
 *
 *   stencil [NX NY ITERS]	(default 128 128 100)
 *
 * The grid has NX x NY interior points and a fixed border: the top row
 * is 1.0, the others 0.0.  Each rank owns a band of rows and exports it
 * with one ghost row above and below (rsm_job_export); after each Jacobi
 * step it puts its first row into the ghost row of the rank above and its
 * last row into the ghost row of the rank below, inside an explicit
 * barrier, then waits at the job barrier.  At the end every rank compares
 * its band with the same computation done by one process, which is
 * bitwise equal because each point is computed by the same expression.
 * Rank 0 prints what was done; every rank exits 1 on a wrong answer.
 * $RSM_JOB_CTLR names the controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsm/rsm_job.h"

#include "heat.h"

static uint32_t rank, nranks;
static int joined;

static void
die(const char *what, int rc)
{
	if (joined)
		fprintf(stderr, "stencil: rank %u: %s: RSMERR %d\n", rank, what, rc);
	else
		fprintf(stderr, "stencil: %s: RSMERR %d\n", what, rc);
	exit(2);
}

int
main(int argc, char **argv)
{
	size_t nx = argc > 1 ? strtoul(argv[1], NULL, 0) : 128;
	size_t ny = argc > 2 ? strtoul(argv[2], NULL, 0) : 128;
	int iters = argc > 3 ? atoi(argv[3]) : 100;
	const char *cname = getenv("RSM_JOB_CTLR");
	size_t w = nx + 2, first, n, bytes, page = (size_t)sysconf(_SC_PAGESIZE);
	rsm_memseg_import_handle_t up = NULL, down = NULL;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsm_job_seg_t *segs;
	rsm_job_t job;
	double *cur, *tmp, *ref, *rtmp, maxdiff = 0, *diffs, heat = 0;
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	int launcher;
	uint64_t puts = 0;
	uint32_t r;
	int rc, it, bad = 0;

	if (nx < 1 || ny < 1 || iters < 0) {
		fprintf(stderr, "usage: stencil [NX NY ITERS]\n");
		return 2;
	}
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	joined = 1;
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &nranks);
	if (ny < nranks) {
		if (rank == 0)
			fprintf(stderr, "stencil: %zu rows for %u ranks\n", ny, nranks);
		return 2;
	}
	heat_band(rank, nranks, ny, &first, &n);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	bytes = ((n + 2) * w * sizeof(double) + page - 1) / page * page;
	cur = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tmp = calloc((n + 2) * w, sizeof(double));
	ref = calloc((ny + 2) * w, sizeof(double));
	rtmp = calloc((ny + 2) * w, sizeof(double));
	segs = calloc(nranks, sizeof(*segs));
	diffs = calloc(nranks, sizeof(*diffs));
	if (cur == MAP_FAILED || !tmp || !ref || !rtmp || !segs || !diffs)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	/* The whole grid's start, and this band of it (ghost rows included). */
	heat_border(ref, ny + 2, w);
	memcpy(cur, ref + (first - 1) * w, (n + 2) * w * sizeof(double));
	memcpy(tmp, cur, (n + 2) * w * sizeof(double));

	if ((rc = rsm_job_export(job, ctlr, cur, bytes, &seg, segs)) != 0)
		die("rsm_job_export", rc);
	if (rank > 0 && (rc = rsm_memseg_import_connect(ctlr, segs[rank - 1].node,
	    segs[rank - 1].segid, RSM_PERM_RDWR, &up)) != 0)
		die("connect to the rank above", rc);
	if (rank + 1 < nranks && (rc = rsm_memseg_import_connect(ctlr,
	    segs[rank + 1].node, segs[rank + 1].segid, RSM_PERM_RDWR, &down)) != 0)
		die("connect to the rank below", rc);

	for (it = 0; it < iters; it++) {
		heat_step(tmp, cur, n, w);
		/* Nobody reads my ghost rows once all have stepped. */
		if ((rc = rsm_job_barrier(job)) != 0)
			die("barrier", rc);
		memcpy(cur + w, tmp + w, n * w * sizeof(double));
		if (up != NULL) {
			size_t ufirst, un;
			rsmapi_barrier_t b;

			heat_band(rank - 1, nranks, ny, &ufirst, &un);
			if ((rc = rsm_memseg_import_init_barrier(up,
			    RSM_BAR_DEFAULT, &b)) != 0 ||
			    (rc = rsm_memseg_import_open_barrier(&b)) != 0 ||
			    (rc = rsm_memseg_import_put(up, (off_t)((un + 1) * w *
			    sizeof(double)), cur + w, w * sizeof(double))) != 0 ||
			    (rc = rsm_memseg_import_close_barrier(&b)) != 0)
				die("halo put to the rank above", rc);
			rsm_memseg_import_destroy_barrier(&b);
			puts++;
		}
		if (down != NULL) {
			rsmapi_barrier_t b;

			if ((rc = rsm_memseg_import_init_barrier(down,
			    RSM_BAR_DEFAULT, &b)) != 0 ||
			    (rc = rsm_memseg_import_open_barrier(&b)) != 0 ||
			    (rc = rsm_memseg_import_put(down, 0, cur + n * w,
			    w * sizeof(double))) != 0 ||
			    (rc = rsm_memseg_import_close_barrier(&b)) != 0)
				die("halo put to the rank below", rc);
			rsm_memseg_import_destroy_barrier(&b);
			puts++;
		}
		/* Every halo has arrived before anyone steps again. */
		if ((rc = rsm_job_barrier(job)) != 0)
			die("barrier", rc);
	}

	/* The same steps by one process. */
	memcpy(rtmp, ref, (ny + 2) * w * sizeof(double));
	for (it = 0; it < iters; it++) {
		heat_step(rtmp, ref, ny, w);
		memcpy(ref + w, rtmp + w, ny * w * sizeof(double));
	}
	for (size_t i = w; i < (n + 1) * w; i++) {
		double d = cur[i] - ref[(first - 1) * w + i];

		if (d < 0)
			d = -d;
		if (d > maxdiff)
			maxdiff = d;
	}
	if ((rc = rsm_job_allgather(job, &maxdiff, sizeof(maxdiff), diffs)) != 0)
		die("allgather", rc);
	for (r = 0; r < nranks; r++)
		if (diffs[r] != 0)
			bad = 1;
	for (size_t i = w; i < (ny + 1) * w; i++)
		heat += ref[i];
	rsm_job_launcher(job, &launcher);
	if (rank == 0) {
		printf("stencil: %u ranks on nodes", nranks);
		for (r = 0; r < nranks; r++) {
			rsm_node_id_t nd;

			rsm_job_node(job, r, &nd);
			printf("%s%u", r ? "," : " ", nd);
		}
		printf(" (started by %s), %zux%zu points, %d steps, %" PRIu64
		    " halo puts from rank 0, heat %.6f: %s\n", how[launcher],
		    nx, ny, iters, puts, heat,
		    bad ? "DIFFERS from one process" : "equal to one process");
		for (r = 0; r < nranks; r++)
			if (diffs[r] != 0)
				printf("stencil: rank %u differs by up to %g\n", r,
				    diffs[r]);
	}

	/* Disconnect before anyone destroys what others import. */
	if (up != NULL)
		rsm_memseg_import_disconnect(up);
	if (down != NULL)
		rsm_memseg_import_disconnect(down);
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	munmap(cur, bytes);
	free(tmp);
	free(ref);
	free(rtmp);
	free(segs);
	free(diffs);
	return bad;
}
