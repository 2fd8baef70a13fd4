/*
 * rsm_rmap_perf.c - remote map (rsm_memseg_import_map(3RSM) of another
 * node's segment) beside rsm's own get and putv on the same import, for
 * run-bench-net.sh.
 *
 *   rsm_rmap_perf [-c CTLR] export SEGID SIZE LIFETIME_S
 *	exports SIZE bytes (at least 64 MiB) through CTLR (default tcp0;
 *	verbs0 in run-bench-verbs.sh), as rsm_net_perf
 *   rsm_rmap_perf [-c CTLR] client [-r REPS] NODE SEGID
 *	one "key value" line per figure, each the median of REPS rounds:
 *	  rmap_fault_ns        a first touch of a page (a fault and its
 *	                       fetch of one batch), at random pages
 *	  get4k_ns, get64k_ns  a get of 4 KiB / 64 KiB at random offsets
 *	  rmap_seq_Bps         reading 64 MiB through a new map
 *	  get_seq_Bps          the same 64 MiB in gets of 1 MiB, into new
 *	                       memory (as the map's cache is)
 *	  rmap_seq_ro_Bps      reading 64 MiB through a new read-only map
 *	  rmap_write1_ns       the first store to a fetched page
 *	  rmap_close0_ns       close_barrier with nothing stored, 64 MiB
 *	                       resident
 *	  rmap_close1_ns       close_barrier after 8 B stored into 1 % of
 *	                       the pages
 *	  putv1_ns             a putv of the same bytes (16 per call) and
 *	                       the close barrier
 * The mapping's tracking mode is on stderr (RSM_DEBUG).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rsmapi.h>

#include "bench_util.h"

#define PROG		"rsm_rmap_perf"
#define SPAN		(64u * BENCH_MIB)
#define PG		4096u
#define NPAGES		(SPAN / PG)
#define FAULTS		256u		/* random first touches per round */
#define WRITES		4096u		/* first stores per round */
#define DIRTY		(NPAGES / 100)	/* 1 % of the pages */

struct client {
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	char		*buf;		/* BENCH_MIB for gets */
	uint64_t	 rng;
};

static uint64_t
rnd(struct client *c)
{
	/* xorshift64: deterministic, cheap, good enough to scatter. */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static volatile uint64_t sink;

static int
map(struct client *c, char **p)
{
	void *a = NULL;
	int rc = rsm_memseg_import_map(c->imp, &a, RSM_MAP_NONE, RSM_PERM_RDWR,
	    0, SPAN);

	*p = a;
	return rc;
}

/* First touches of FAULTS random pages, each in a 64 KiB window of its own. */
static int
fig_fault(struct client *c, double *ns)
{
	double v[FAULTS];
	char *p;
	unsigned i, w[SPAN / (64 * 1024)], nw = SPAN / (64 * 1024);
	int rc;

	if ((rc = map(c, &p)) != RSM_SUCCESS)
		return rc;
	for (i = 0; i < nw; i++)
		w[i] = i;
	for (i = nw - 1; i > 0; i--) {	/* shuffle the windows */
		unsigned j = (unsigned)(rnd(c) % (i + 1)), t = w[i];

		w[i] = w[j];
		w[j] = t;
	}
	for (i = 0; i < FAULTS; i++) {
		size_t off = (size_t)w[i] * 64 * 1024 + (rnd(c) % 16) * PG;
		uint64_t t0 = rsm_now_ns();

		sink += *(volatile uint64_t *)(void *)(p + off);
		v[i] = (double)(rsm_now_ns() - t0);
	}
	*ns = bench_median(v, FAULTS);
	return rsm_memseg_import_unmap(c->imp);
}

static int
fig_get(struct client *c, size_t len, double *ns)
{
	double v[FAULTS];
	unsigned i;
	int rc;

	for (i = 0; i < FAULTS; i++) {
		off_t off = (off_t)((rnd(c) % (SPAN / len)) * len);
		uint64_t t0 = rsm_now_ns();

		if ((rc = rsm_memseg_import_get(c->imp, off, c->buf, len)) !=
		    RSM_SUCCESS)
			return rc;
		v[i] = (double)(rsm_now_ns() - t0);
	}
	*ns = bench_median(v, FAULTS);
	return RSM_SUCCESS;
}

/*
 * The same 64 MiB into local memory by gets of 1 MiB: into new memory,
 * as a map's cache is, so that both pay for the pages they fill.
 */
static int
fig_get_seq(struct client *c, double *bps)
{
	char *dst = mmap(NULL, SPAN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = rsm_now_ns();
	unsigned i;
	int rc = RSM_SUCCESS;

	if (dst == MAP_FAILED)
		return RSMERR_INSUFFICIENT_MEM;
	for (i = 0; i < SPAN / BENCH_MIB && rc == RSM_SUCCESS; i++)
		rc = rsm_memseg_import_get(c->imp, (off_t)i * BENCH_MIB,
		    dst + (size_t)i * BENCH_MIB, BENCH_MIB);
	*bps = (double)SPAN * 1e9 / (double)(rsm_now_ns() - t0);
	munmap(dst, SPAN);
	return rc;
}

/* 64 MiB read through a new read-only map: no twins to take. */
static int
fig_seq_ro(struct client *c, double *bps)
{
	const volatile uint64_t *q;
	void *a = NULL;
	uint64_t t0, s = 0;
	size_t i;
	int rc;

	if ((rc = rsm_memseg_import_map(c->imp, &a, RSM_MAP_NONE,
	    RSM_PERM_READ, 0, SPAN)) != RSM_SUCCESS)
		return rc;
	q = a;
	t0 = rsm_now_ns();
	for (i = 0; i < SPAN / 8; i++)
		s += q[i];
	*bps = (double)SPAN * 1e9 / (double)(rsm_now_ns() - t0);
	sink += s;
	return rsm_memseg_import_unmap(c->imp);
}

/*
 * A new map read from end to end, then (resident) the first stores, the
 * clean close, and the close of 1 % dirty pages.
 */
static int
fig_map_rest(struct client *c, double *seq, double *write1, double *close0,
    double *close1)
{
	const volatile uint64_t *q;
	uint64_t t0, s = 0;
	char *p;
	size_t i;
	int rc;

	if ((rc = map(c, &p)) != RSM_SUCCESS)
		return rc;
	/* Opened once: a later open would drop the clean pages. */
	if ((rc = rsm_memseg_import_open_barrier(&c->bar)) != RSM_SUCCESS)
		goto out;
	q = (const volatile uint64_t *)(void *)p;
	t0 = rsm_now_ns();
	for (i = 0; i < SPAN / 8; i++)
		s += q[i];
	*seq = (double)SPAN * 1e9 / (double)(rsm_now_ns() - t0);
	sink += s;
	/* The close barrier that follows sends these WRITES bytes. */
	t0 = rsm_now_ns();
	for (i = 0; i < WRITES; i++)
		((volatile char *)p)[i * (NPAGES / WRITES) * PG + 8] ^= 1;
	*write1 = (double)(rsm_now_ns() - t0) / WRITES;
	if ((rc = rsm_memseg_import_close_barrier(&c->bar)) != RSM_SUCCESS)
		goto out;
	/* Nothing stored since. */
	t0 = rsm_now_ns();
	rc = rsm_memseg_import_close_barrier(&c->bar);
	*close0 = (double)(rsm_now_ns() - t0);
	if (rc != RSM_SUCCESS)
		goto out;
	for (i = 0; i < DIRTY; i++)
		((volatile uint64_t *)(void *)p)[(i * 100 * PG + 16) / 8] += 1;
	t0 = rsm_now_ns();
	rc = rsm_memseg_import_close_barrier(&c->bar);
	*close1 = (double)(rsm_now_ns() - t0);
out:
	(void)rsm_memseg_import_unmap(c->imp);
	return rc;
}

/* The 1 % dirty bytes of fig_map_rest, sent by putv, then the barrier. */
static int
fig_putv(struct client *c, double *ns)
{
	rsm_iovec_t iov[RSM_MAX_SGIOREQS];
	rsm_scat_gath_t sg;
	uint64_t t0 = rsm_now_ns();
	size_t i = 0, k;
	int rc;

	while (i < DIRTY) {
		for (k = 0; k < RSM_MAX_SGIOREQS && i < DIRTY; k++, i++) {
			iov[k].io_type = RSM_VA_TYPE;
			iov[k].local.vaddr = c->buf + 8 * k;
			iov[k].local_offset = 0;
			iov[k].remote_offset = i * 100 * PG + 16;
			iov[k].transfer_length = 8;
		}
		memset(&sg, 0, sizeof(sg));
		sg.io_request_count = k;
		sg.remote_handle = c->imp;
		sg.iovec = iov;
		if ((rc = rsm_memseg_import_putv(&sg)) != RSM_SUCCESS)
			return rc;
	}
	rc = rsm_memseg_import_close_barrier(&c->bar);
	*ns = (double)(rsm_now_ns() - t0);
	return rc;
}

#define NFIG 10
static const char *const keys[NFIG] = {
	"rmap_fault_ns", "get4k_ns", "get64k_ns", "rmap_seq_Bps",
	"get_seq_Bps", "rmap_write1_ns", "rmap_close0_ns", "rmap_close1_ns",
	"putv1_ns", "rmap_seq_ro_Bps",
};

static int
round_once(struct client *c, double *f)
{
	int rc;

	if ((rc = fig_fault(c, &f[0])) != RSM_SUCCESS ||
	    (rc = fig_get(c, 4096, &f[1])) != RSM_SUCCESS ||
	    (rc = fig_get(c, 65536, &f[2])) != RSM_SUCCESS ||
	    (rc = fig_map_rest(c, &f[3], &f[5], &f[6], &f[7])) !=
	    RSM_SUCCESS ||
	    (rc = fig_get_seq(c, &f[4])) != RSM_SUCCESS ||
	    (rc = fig_seq_ro(c, &f[9])) != RSM_SUCCESS)
		return rc;
	/* Explicit mode for the putv's barrier, as for the map's. */
	return fig_putv(c, &f[8]);
}

static char *ctlr_name = "tcp0";

static int
client(int argc, char **argv)
{
	double v[NFIG][BENCH_MAX_REPS], f[NFIG];
	struct client c;
	int ch, reps = 3, r, k, rc;

	memset(&c, 0, sizeof(c));
	c.rng = 0x9e3779b97f4a7c15ull;
	while ((ch = getopt(argc, argv, "r:")) != -1) {
		if (ch != 'r')
			return 2;
		reps = (int)bench_number(PROG, optarg, 1, BENCH_MAX_REPS);
	}
	argc -= optind;
	argv += optind;
	if (argc != 2) {
		fprintf(stderr, "usage: " PROG " client [-r REPS] NODE SEGID\n");
		return 2;
	}
	if ((c.buf = bench_map(BENCH_MIB, 0x5a)) == NULL)
		return 1;
	if ((rc = bench_import(PROG, ctlr_name, argv[0], argv[1], &c.imp,
	    &c.bar)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_set_mode(c.imp,
	    RSM_BARRIER_MODE_EXPLICIT)) != RSM_SUCCESS) {
		fprintf(stderr, PROG ": import of %s on node %s: %d\n",
		    argv[1], argv[0], rc);
		return 1;
	}
	/* A warm-up round: the data connections and the exporter's pages. */
	if ((rc = round_once(&c, f)) != RSM_SUCCESS) {
		fprintf(stderr, PROG ": %d\n", rc);
		return 1;
	}
	for (r = 0; r < reps; r++) {
		if ((rc = round_once(&c, f)) != RSM_SUCCESS) {
			fprintf(stderr, PROG ": round %d: %d\n", r, rc);
			return 1;
		}
		for (k = 0; k < NFIG; k++)
			v[k][r] = f[k];
	}
	for (k = 0; k < NFIG; k++)
		printf("%s %.1f\n", keys[k], bench_median(v[k], reps));
	(void)rsm_memseg_import_destroy_barrier(&c.bar);
	(void)rsm_memseg_import_disconnect(c.imp);
	return (int)(sink & 0);
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		ctlr_name = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return client(argc - 1, argv + 1);
	if (argc == 5 && strcmp(argv[1], "export") == 0)
		return bench_export(PROG, ctlr_name, argv[2], argv[3], SPAN,
		    argv[4]);
	fprintf(stderr, "usage: " PROG " [-c CTLR] export SEGID SIZE "
	    "LIFETIME_S | [-c CTLR] client [-r REPS] NODE SEGID\n");
	return 2;
}
