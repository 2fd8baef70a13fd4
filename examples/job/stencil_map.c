/*
 * stencil_map.c - the 2-D heat stencil of stencil.c over an rsm job
 * (rsm_job(3RSM)), its halo exchanged by stores through mappings.
 *
 *   stencil_map [--compare] [NX NY ITERS]	(default 128 128 100)
 *
 * The grid, its decomposition and its arithmetic are those of stencil.c:
 * NX x NY interior points, a fixed border (top row 1.0, the others 0.0),
 * each rank a band of rows exported with one ghost row above and below
 * (rsm_job_export).  Here a rank maps the ghost row it writes in each
 * neighbour's segment (rsm_memseg_import_map): of another node that is a
 * local cache whose stores a close barrier sends to the exporter (REMOTE
 * MAP in rsm_memseg_import_map(3RSM)); of the same node it is the
 * neighbour's memory itself.  After each Jacobi step it copies its first
 * row into the mapping of the rank above and its last row into that of
 * the rank below, closes the barrier of each, then waits at the job
 * barrier.  It reads its own ghost rows in its own memory, where the
 * neighbours' stores land, so it never loads through a mapping.
 *
 * With --compare the program first runs the same steps with puts, as
 * stencil.c does, and rank 0 prints both times per step; both results
 * are checked.  At the end every rank compares its band with the same
 * computation done by one process, which is bitwise equal because each
 * point is computed by the same expression.  Rank 0 prints what was done;
 * every rank exits 1 on a wrong answer.  $RSM_JOB_CTLR names the
 * controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rsm/rsm_job.h"

/* The ghost row this rank writes in one neighbour's segment. */
struct halo {
	rsm_memseg_import_handle_t im;	/* NULL: no neighbour on that side */
	rsmapi_barrier_t bar;
	double *row;			/* the ghost row in the mapping */
};

static uint32_t rank, nranks;
static int joined;
static rsm_job_t job;
static rsmapi_controller_handle_t ctlr;
static rsm_job_seg_t *segs;
static size_t ny, w, first, n;
static int iters;
static double *cur, *tmp;

static void
die(const char *what, int rc)
{
	if (joined)
		fprintf(stderr, "stencil_map: rank %u: %s: RSMERR %d\n", rank,
		    what, rc);
	else
		fprintf(stderr, "stencil_map: %s: RSMERR %d\n", what, rc);
	exit(2);
}

static void
job_barrier(void)
{
	int rc;

	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One Jacobi step of rows 1..rows of src (stride w) into dst. */
static void
step(double *dst, const double *src, size_t rows, size_t stride)
{
	size_t y, x;

	for (y = 1; y <= rows; y++)
		for (x = 1; x + 1 < stride; x++)
			dst[y * stride + x] = 0.25 * (src[(y - 1) * stride + x] +
			    src[(y + 1) * stride + x] + src[y * stride + x - 1] +
			    src[y * stride + x + 1]);
}

/* The first interior row of rank r and its number of rows. */
static void
band(uint32_t r, size_t *rfirst, size_t *rn)
{
	*rfirst = 1 + ny * r / nranks;
	*rn = ny * (r + 1) / nranks - ny * r / nranks;
}

static void
border(double *g, size_t rows)
{
	size_t x;

	memset(g, 0, rows * w * sizeof(*g));
	for (x = 0; x < w; x++)
		g[x] = 1.0;
}

/* This band of the starting grid ref, ghost rows included. */
static void
start(const double *ref)
{
	memcpy(cur, ref + (first - 1) * w, (n + 2) * w * sizeof(double));
	memcpy(tmp, cur, (n + 2) * w * sizeof(double));
}

static void
connect_to(uint32_t r, rsm_memseg_import_handle_t *im)
{
	int rc;

	if ((rc = rsm_memseg_import_connect(ctlr, segs[r].node, segs[r].segid,
	    RSM_PERM_RDWR, im)) != 0)
		die(r < rank ? "connect to the rank above" :
		    "connect to the rank below", rc);
}

/*
 * Connects to rank r and maps the page(s) holding its ghost row number
 * ghost: only those, so that a remote map fetches no more than it must.
 */
static void
map_ghost(uint32_t r, size_t ghost, struct halo *h)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t off = ghost * w * sizeof(double), moff = off / page * page;
	void *addr = NULL;
	int rc;

	connect_to(r, &h->im);
	if ((rc = rsm_memseg_import_map(h->im, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, (off_t)moff, off - moff + w * sizeof(double))) != 0)
		die("map a neighbour's ghost row", rc);
	h->row = (double *)((char *)addr + (off - moff));
	if ((rc = rsm_memseg_import_init_barrier(h->im, RSM_BAR_DEFAULT,
	    &h->bar)) != 0)
		die("init_barrier", rc);
}

static void
unmap_ghost(struct halo *h)
{
	if (h->im == NULL)
		return;
	rsm_memseg_import_destroy_barrier(&h->bar);
	rsm_memseg_import_unmap(h->im);
	rsm_memseg_import_disconnect(h->im);
}

/* Puts row into the ghost row at byte offset off of im, as stencil.c. */
static void
put_row(rsm_memseg_import_handle_t im, size_t off, double *row,
    const char *what)
{
	rsmapi_barrier_t b;
	int rc;

	if ((rc = rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, &b)) != 0 ||
	    (rc = rsm_memseg_import_open_barrier(&b)) != 0 ||
	    (rc = rsm_memseg_import_put(im, (off_t)off, row,
	    w * sizeof(double))) != 0 ||
	    (rc = rsm_memseg_import_close_barrier(&b)) != 0)
		die(what, rc);
	rsm_memseg_import_destroy_barrier(&b);
}

/*
 * The steps of stencil.c, halos by put, on connections of their own so
 * that nothing of the mapped run is shared; the seconds per step.
 */
static double
run_put(void)
{
	rsm_memseg_import_handle_t up = NULL, down = NULL;
	size_t ufirst = 0, un = 0;
	double t0;
	int it;

	if (rank > 0) {
		connect_to(rank - 1, &up);
		band(rank - 1, &ufirst, &un);
	}
	if (rank + 1 < nranks)
		connect_to(rank + 1, &down);
	job_barrier();
	t0 = now();
	for (it = 0; it < iters; it++) {
		step(tmp, cur, n, w);
		/* Nobody reads my ghost rows once all have stepped. */
		job_barrier();
		memcpy(cur + w, tmp + w, n * w * sizeof(double));
		if (up != NULL)
			put_row(up, (un + 1) * w * sizeof(double), cur + w,
			    "halo put to the rank above");
		if (down != NULL)
			put_row(down, 0, cur + n * w, "halo put to the rank below");
		/* Every halo has arrived before anyone steps again. */
		job_barrier();
	}
	t0 = iters > 0 ? (now() - t0) / iters : 0;
	if (up != NULL)
		rsm_memseg_import_disconnect(up);
	if (down != NULL)
		rsm_memseg_import_disconnect(down);
	return t0;
}

/* The same steps, halos by stores through the mappings; seconds per step. */
static double
run_map(struct halo *up, struct halo *down, uint64_t *stores)
{
	struct halo *hs[2] = { up, down };
	double t0;
	int it, i, rc;

	/*
	 * Drop whatever a mapping caches of a neighbour (nothing on the first
	 * run), so that no page holds bytes older than the exporter's: only
	 * bytes that differ from the cached copy travel at a close barrier.
	 */
	for (i = 0; i < 2; i++)
		if (hs[i]->im != NULL &&
		    (rc = rsm_memseg_import_open_barrier(&hs[i]->bar)) != 0)
			die("open_barrier", rc);
	/*
	 * Every rank has (re)set its band, ghost rows included, before anyone
	 * stores into them or fetches a page of them.
	 */
	job_barrier();
	t0 = now();
	for (it = 0; it < iters; it++) {
		step(tmp, cur, n, w);
		/*
		 * Nobody reads my ghost rows once all have stepped: a store
		 * through a same-node map changes them at once, and one of
		 * another node does at the close barrier below.
		 */
		job_barrier();
		memcpy(cur + w, tmp + w, n * w * sizeof(double));
		if (up->im != NULL)
			memcpy(up->row, cur + w, w * sizeof(double));
		if (down->im != NULL)
			memcpy(down->row, cur + n * w, w * sizeof(double));
		/*
		 * Send the stores to the neighbours' memory and wait until they
		 * are there (for a same-node map, a fence).  No open barrier
		 * per step: it would drop the cached ghost page, and the next
		 * step's store would fetch it again, a round trip for bytes
		 * this rank never reads.
		 */
		for (i = 0; i < 2; i++) {
			if (hs[i]->im == NULL)
				continue;
			if ((rc = rsm_memseg_import_close_barrier(&hs[i]->bar)) != 0)
				die(i ? "close_barrier to the rank below" :
				    "close_barrier to the rank above", rc);
			(*stores)++;
		}
		/*
		 * Every halo is in its owner's memory before anyone steps
		 * again; each rank then reads its ghost rows in its own
		 * exported memory, never through a mapping.
		 */
		job_barrier();
	}
	return iters > 0 ? (now() - t0) / iters : 0;
}

/* The largest difference between this band and the same rows of ref. */
static double
band_diff(const double *ref)
{
	double maxdiff = 0;

	for (size_t i = w; i < (n + 1) * w; i++) {
		double d = cur[i] - ref[(first - 1) * w + i];

		if (d < 0)
			d = -d;
		if (d > maxdiff)
			maxdiff = d;
	}
	return maxdiff;
}

int
main(int argc, char **argv)
{
	int compare = argc > 1 && strcmp(argv[1], "--compare") == 0;
	int a = 1 + compare;
	size_t nx = argc > a ? strtoul(argv[a], NULL, 0) : 128;
	const char *cname = getenv("RSM_JOB_CTLR");
	size_t bytes, ufirst, un, page = (size_t)sysconf(_SC_PAGESIZE);
	struct halo up = { 0 }, down = { 0 };
	rsm_memseg_export_handle_t seg;
	double *start_grid, *ref, *rtmp, *diffs, heat = 0;
	double diff[2] = { 0, 0 }, tput = 0, tmap;
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	int launcher;
	uint64_t stores = 0;
	uint32_t r;
	int rc, it, bad = 0;

	ny = argc > a + 1 ? strtoul(argv[a + 1], NULL, 0) : 128;
	iters = argc > a + 2 ? atoi(argv[a + 2]) : 100;
	if (nx < 1 || ny < 1 || iters < 0 || argc > a + 3) {
		fprintf(stderr, "usage: stencil_map [--compare] [NX NY ITERS]\n");
		return 2;
	}
	w = nx + 2;
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	joined = 1;
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &nranks);
	if (ny < nranks) {
		if (rank == 0)
			fprintf(stderr, "stencil_map: %zu rows for %u ranks\n", ny,
			    nranks);
		return 2;
	}
	band(rank, &first, &n);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	bytes = ((n + 2) * w * sizeof(double) + page - 1) / page * page;
	cur = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tmp = calloc((n + 2) * w, sizeof(double));
	start_grid = calloc((ny + 2) * w, sizeof(double));
	ref = calloc((ny + 2) * w, sizeof(double));
	rtmp = calloc((ny + 2) * w, sizeof(double));
	segs = calloc(nranks, sizeof(*segs));
	diffs = calloc(2 * nranks, sizeof(*diffs));
	if (cur == MAP_FAILED || !tmp || !start_grid || !ref || !rtmp || !segs ||
	    !diffs)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	/* The whole grid's start, and this band of it. */
	border(start_grid, ny + 2);
	start(start_grid);

	if ((rc = rsm_job_export(job, ctlr, cur, bytes, &seg, segs)) != 0)
		die("rsm_job_export", rc);
	/* The last ghost row of the rank above, the first of the rank below. */
	if (rank > 0) {
		band(rank - 1, &ufirst, &un);
		map_ghost(rank - 1, un + 1, &up);
	}
	if (rank + 1 < nranks)
		map_ghost(rank + 1, 0, &down);

	/* The same steps by one process. */
	memcpy(ref, start_grid, (ny + 2) * w * sizeof(double));
	memcpy(rtmp, ref, (ny + 2) * w * sizeof(double));
	for (it = 0; it < iters; it++) {
		step(rtmp, ref, ny, w);
		memcpy(ref + w, rtmp + w, ny * w * sizeof(double));
	}

	if (compare) {
		tput = run_put();
		diff[1] = band_diff(ref);
		start(start_grid);
	}
	tmap = run_map(&up, &down, &stores);
	diff[0] = band_diff(ref);

	if ((rc = rsm_job_allgather(job, diff, sizeof(diff), diffs)) != 0)
		die("allgather", rc);
	for (r = 0; r < 2 * nranks; r++)
		if (diffs[r] != 0)
			bad = 1;
	for (size_t i = w; i < (ny + 1) * w; i++)
		heat += ref[i];
	rsm_job_launcher(job, &launcher);
	if (rank == 0) {
		printf("stencil_map: %u ranks on nodes", nranks);
		for (r = 0; r < nranks; r++) {
			rsm_node_id_t nd;

			rsm_job_node(job, r, &nd);
			printf("%s%u", r ? "," : " ", nd);
		}
		printf(" (started by %s), %zux%zu points, %d steps, %" PRIu64
		    " halo rows stored through maps from rank 0, %.1f us/step,"
		    " heat %.6f: %s\n", how[launcher], nx, ny, iters, stores,
		    tmap * 1e6, heat,
		    bad ? "DIFFERS from one process" : "equal to one process");
		if (compare)
			printf("stencil_map: halos by put %.1f us/step, by map "
			    "%.1f us/step: map/put %.2f\n", tput * 1e6, tmap * 1e6,
			    tput > 0 ? tmap / tput : 0);
		for (r = 0; r < nranks; r++) {
			if (diffs[2 * r] != 0)
				printf("stencil_map: rank %u differs by up to %g "
				    "with maps\n", r, diffs[2 * r]);
			if (diffs[2 * r + 1] != 0)
				printf("stencil_map: rank %u differs by up to %g "
				    "with puts\n", r, diffs[2 * r + 1]);
		}
	}

	/* Disconnect before anyone destroys what others import. */
	unmap_ghost(&up);
	unmap_ghost(&down);
	job_barrier();
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	munmap(cur, bytes);
	free(tmp);
	free(start_grid);
	free(ref);
	free(rtmp);
	free(segs);
	free(diffs);
	return bad;
}
