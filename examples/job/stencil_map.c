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
 * With --compare a second grid, exported too, takes the same steps with
 * halos by put as in stencil.c, a step of one grid after a step of the
 * other, so that both meet the same job barriers (whose cost may vary
 * along a run); rank 0 prints both times.  The time of a step is from
 * its start to the end of its last job barrier; that of its exchange is
 * from the end of its first job barrier to the start of the second
 * (the copy of the new rows and the halos), the slowest rank's.
 *
 * At the end every rank compares its band with the same computation done
 * by one process, which is bitwise equal because each point is computed
 * by the same expression.  Rank 0 prints what was done; every rank exits
 * 1 on a wrong answer.  $RSM_JOB_CTLR names the controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rsm/rsm_job.h"

#include "heat.h"

/* What this rank writes in one neighbour's segment: its ghost row. */
struct halo {
	rsm_memseg_import_handle_t im;	/* NULL: no neighbour on that side */
	rsmapi_barrier_t bar;		/* of the map */
	size_t off;			/* of the ghost row in the segment */
	double *row;			/* the ghost row in the mapping */
};

/* One grid: this rank's band and its halos, by map or by put. */
struct grid {
	int map;
	double *cur, *tmp;		/* cur is exported */
	size_t bytes;
	rsm_memseg_export_handle_t seg;
	struct halo up, down;
	double t_step, t_xchg;		/* seconds, over all steps */
	uint64_t halos;			/* rows sent */
};

static uint32_t rank, nranks;
static int joined;
static rsm_job_t job;
static rsmapi_controller_handle_t ctlr;
static size_t ny, w, first, n;

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

/*
 * Connects to rank r for the ghost row number ghost of its segment (of
 * segs, as rsm_job_export gave them); by map, maps only the page(s)
 * holding it, so that a remote map fetches no more than it must.
 */
static void
halo_open(struct halo *h, const rsm_job_seg_t *segs, uint32_t r, size_t ghost,
    int map)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), moff;
	void *addr = NULL;
	int rc;

	if ((rc = rsm_memseg_import_connect(ctlr, segs[r].node, segs[r].segid,
	    RSM_PERM_RDWR, &h->im)) != 0)
		die(r < rank ? "connect to the rank above" :
		    "connect to the rank below", rc);
	h->off = ghost * w * sizeof(double);
	if (!map)
		return;
	moff = h->off / page * page;
	if ((rc = rsm_memseg_import_map(h->im, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, (off_t)moff, h->off - moff + w * sizeof(double))) != 0)
		die("map a neighbour's ghost row", rc);
	h->row = (double *)((char *)addr + (h->off - moff));
	if ((rc = rsm_memseg_import_init_barrier(h->im, RSM_BAR_DEFAULT,
	    &h->bar)) != 0)
		die("init_barrier", rc);
}

static void
halo_close(struct halo *h, int map)
{
	if (h->im == NULL)
		return;
	if (map) {
		rsm_memseg_import_destroy_barrier(&h->bar);
		rsm_memseg_import_unmap(h->im);
	}
	rsm_memseg_import_disconnect(h->im);
}

/*
 * The grid's band of the starting grid start_grid, exported, and its
 * halos to the neighbours.  The export is collective, so once it returns
 * every rank's starting band is in place, ghost rows included: a store
 * through a map (whose first touch fetches the page) comes later.
 */
static void
grid_open(struct grid *g, const double *start_grid, int map)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), ufirst, un;
	rsm_job_seg_t *segs = calloc(nranks, sizeof(*segs));
	int rc;

	memset(g, 0, sizeof(*g));
	g->map = map;
	g->bytes = ((n + 2) * w * sizeof(double) + page - 1) / page * page;
	g->cur = mmap(NULL, g->bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->tmp = calloc((n + 2) * w, sizeof(double));
	if (g->cur == MAP_FAILED || g->tmp == NULL || segs == NULL)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);
	memcpy(g->cur, start_grid + (first - 1) * w,
	    (n + 2) * w * sizeof(double));
	memcpy(g->tmp, g->cur, (n + 2) * w * sizeof(double));
	if ((rc = rsm_job_export(job, ctlr, g->cur, g->bytes, &g->seg,
	    segs)) != 0)
		die("rsm_job_export", rc);
	/* The last ghost row of the rank above, the first of the rank below. */
	if (rank > 0) {
		heat_band(rank - 1, nranks, ny, &ufirst, &un);
		halo_open(&g->up, segs, rank - 1, un + 1, map);
	}
	if (rank + 1 < nranks)
		halo_open(&g->down, segs, rank + 1, 0, map);
	free(segs);
}

/* Puts row into the ghost row of h, inside a barrier, as stencil.c. */
static void
put_row(struct halo *h, double *row, const char *what)
{
	rsmapi_barrier_t b;
	int rc;

	if ((rc = rsm_memseg_import_init_barrier(h->im, RSM_BAR_DEFAULT,
	    &b)) != 0 ||
	    (rc = rsm_memseg_import_open_barrier(&b)) != 0 ||
	    (rc = rsm_memseg_import_put(h->im, (off_t)h->off, row,
	    w * sizeof(double))) != 0 ||
	    (rc = rsm_memseg_import_close_barrier(&b)) != 0)
		die(what, rc);
	rsm_memseg_import_destroy_barrier(&b);
}

/* Stores row into the ghost row of h through its mapping. */
static void
store_row(struct halo *h, const double *row)
{
	memcpy(h->row, row, w * sizeof(double));
}

/*
 * Sends what was stored through the mapping of h to the neighbour's
 * memory and waits until it is there (for a same-node map, a fence).
 * No open barrier, neither here nor before the stores: it would drop the
 * cached ghost page, and the next store would fetch it again, a round
 * trip for bytes this rank never reads.
 */
static void
send_row(struct halo *h, const char *what)
{
	int rc;

	if ((rc = rsm_memseg_import_close_barrier(&h->bar)) != 0)
		die(what, rc);
}

/* One step of grid g, its halos exchanged, timed. */
static void
grid_step(struct grid *g)
{
	double t0 = now(), t1;

	heat_step(g->tmp, g->cur, n, w);
	/*
	 * Nobody reads my ghost rows once all have stepped: a store through
	 * a same-node map changes them at once, a put or a store through a
	 * remote map when its barrier closes.
	 */
	job_barrier();
	t1 = now();
	memcpy(g->cur + w, g->tmp + w, n * w * sizeof(double));
	if (g->map) {
		/* Both rows stored first, then each sent. */
		if (g->up.im != NULL)
			store_row(&g->up, g->cur + w);
		if (g->down.im != NULL)
			store_row(&g->down, g->cur + n * w);
		if (g->up.im != NULL)
			send_row(&g->up, "close_barrier to the rank above");
		if (g->down.im != NULL)
			send_row(&g->down, "close_barrier to the rank below");
	} else {
		if (g->up.im != NULL)
			put_row(&g->up, g->cur + w, "halo put to the rank above");
		if (g->down.im != NULL)
			put_row(&g->down, g->cur + n * w,
			    "halo put to the rank below");
	}
	g->halos += (g->up.im != NULL) + (g->down.im != NULL);
	g->t_xchg += now() - t1;
	/*
	 * Every halo is in its owner's memory before anyone steps again;
	 * each rank then reads its ghost rows in its own exported memory,
	 * never through a mapping, so it needs no open barrier.
	 */
	job_barrier();
	g->t_step += now() - t0;
}

/* The largest difference between the band of g and the same rows of ref. */
static double
grid_diff(const struct grid *g, const double *ref)
{
	double maxdiff = 0;

	for (size_t i = w; i < (n + 1) * w; i++) {
		double d = g->cur[i] - ref[(first - 1) * w + i];

		if (d < 0)
			d = -d;
		if (d > maxdiff)
			maxdiff = d;
	}
	return maxdiff;
}

static void
grid_close(struct grid *g)
{
	halo_close(&g->up, g->map);
	halo_close(&g->down, g->map);
	/* Everyone disconnected before anyone destroys what others import. */
	job_barrier();
	rsm_memseg_export_unpublish(g->seg);
	rsm_memseg_export_destroy(g->seg);
	munmap(g->cur, g->bytes);
	free(g->tmp);
}

/* Figures each rank gives rank 0. */
enum { F_DIFF_MAP, F_DIFF_PUT, F_STEP_MAP, F_XCHG_MAP, F_STEP_PUT, F_XCHG_PUT,
	F_N };

int
main(int argc, char **argv)
{
	int compare = argc > 1 && strcmp(argv[1], "--compare") == 0;
	int a = 1 + compare, iters;
	size_t nx = argc > a ? strtoul(argv[a], NULL, 0) : 128;
	const char *cname = getenv("RSM_JOB_CTLR");
	struct grid gm, gp;
	double *start_grid, *ref, *rtmp, *all, heat = 0;
	double mine[F_N] = { 0 }, top[F_N] = { 0 };
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	int launcher;
	uint32_t r;
	int rc, it, f, bad = 0;

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
	heat_band(rank, nranks, ny, &first, &n);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	start_grid = calloc((ny + 2) * w, sizeof(double));
	ref = calloc((ny + 2) * w, sizeof(double));
	rtmp = calloc((ny + 2) * w, sizeof(double));
	all = calloc((size_t)nranks * F_N, sizeof(double));
	if (!start_grid || !ref || !rtmp || !all)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	/* The whole grid's start; the grids of this rank start from it. */
	heat_border(start_grid, ny + 2, w);
	grid_open(&gm, start_grid, 1);
	if (compare)
		grid_open(&gp, start_grid, 0);

	job_barrier();
	for (it = 0; it < iters; it++) {
		if (compare)
			grid_step(&gp);
		grid_step(&gm);
	}

	/* The same steps by one process. */
	memcpy(ref, start_grid, (ny + 2) * w * sizeof(double));
	memcpy(rtmp, ref, (ny + 2) * w * sizeof(double));
	for (it = 0; it < iters; it++) {
		heat_step(rtmp, ref, ny, w);
		memcpy(ref + w, rtmp + w, ny * w * sizeof(double));
	}
	mine[F_DIFF_MAP] = grid_diff(&gm, ref);
	mine[F_STEP_MAP] = iters > 0 ? gm.t_step / iters : 0;
	mine[F_XCHG_MAP] = iters > 0 ? gm.t_xchg / iters : 0;
	if (compare) {
		mine[F_DIFF_PUT] = grid_diff(&gp, ref);
		mine[F_STEP_PUT] = iters > 0 ? gp.t_step / iters : 0;
		mine[F_XCHG_PUT] = iters > 0 ? gp.t_xchg / iters : 0;
	}
	if ((rc = rsm_job_allgather(job, mine, sizeof(mine), all)) != 0)
		die("allgather", rc);
	for (r = 0; r < nranks; r++)
		for (f = 0; f < F_N; f++) {
			if (all[r * F_N + f] > top[f])
				top[f] = all[r * F_N + f];
			if ((f == F_DIFF_MAP || f == F_DIFF_PUT) &&
			    all[r * F_N + f] != 0)
				bad = 1;
		}
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
		    " halo rows stored through maps from rank 0, %.1f us/step"
		    " (exchange %.1f us), heat %.6f: %s\n", how[launcher], nx, ny,
		    iters, gm.halos, top[F_STEP_MAP] * 1e6, top[F_XCHG_MAP] * 1e6,
		    heat, bad ? "DIFFERS from one process" : "equal to one process");
		if (compare)
			printf("stencil_map: per step, halos by put %.1f us "
			    "(exchange %.1f us), by map %.1f us (exchange %.1f "
			    "us): map/put %.2f (exchange %.2f)\n",
			    top[F_STEP_PUT] * 1e6, top[F_XCHG_PUT] * 1e6,
			    top[F_STEP_MAP] * 1e6, top[F_XCHG_MAP] * 1e6,
			    top[F_STEP_PUT] > 0 ?
			    top[F_STEP_MAP] / top[F_STEP_PUT] : 0,
			    top[F_XCHG_PUT] > 0 ?
			    top[F_XCHG_MAP] / top[F_XCHG_PUT] : 0);
		for (r = 0; r < nranks; r++) {
			if (all[r * F_N + F_DIFF_MAP] != 0)
				printf("stencil_map: rank %u differs by up to %g "
				    "with maps\n", r, all[r * F_N + F_DIFF_MAP]);
			if (all[r * F_N + F_DIFF_PUT] != 0)
				printf("stencil_map: rank %u differs by up to %g "
				    "with puts\n", r, all[r * F_N + F_DIFF_PUT]);
		}
	}

	if (compare)
		grid_close(&gp);
	grid_close(&gm);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	free(start_grid);
	free(ref);
	free(rtmp);
	free(all);
	return bad;
}
