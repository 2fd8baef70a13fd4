/*
 * rsm_atomic_perf.c - the cost of the extensions of <rsm/rsm_atomic.h>
 * beside the RSMAPI operations they replace, on one node: a 64-bit
 * fetch-add and cas against an 8-byte get (the round trip an atomic
 * needs on tcp0) and a get + put increment (what a program without
 * atomics does, unsafely); put_signal of 64 bytes against a put of 64
 * bytes followed by rsm_intr_signal_post.
 *
 * The process exports one segment (shm0) and imports it through each
 * controller; the figures of one controller are taken in paired rounds
 * (every operation once per round, in turn), each the median over the
 * rounds of the mean of -n operations, and printed with their ratio to
 * the get.  Run it through run-bench.sh (make bench-atomic).
 *
 * usage: rsm_atomic_perf [-n OPS] [-r ROUNDS] [CTLR ...] (default shm0 tcp0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rsmapi.h>
#include <rsm/rsm_atomic.h>

#include "bench_util.h"

#define SEGID	0x4a7000u
#define NOPS	6

static const char *op_name[NOPS] = {
	"get64", "fetch_add64", "cas64", "get+put incr", "put64B+post",
	"put_signal64B",
};

static rsm_memseg_export_handle_t g_exp;

/* Drain the exporter's events (posts of the signal figures). */
static void
drain(void)
{
	while (rsm_intr_signal_wait(g_exp, 0) == RSM_SUCCESS)
		;
}

static int
one(rsm_memseg_import_handle_t im, int op, uint64_t *v, char *msg)
{
	uint64_t old;

	switch (op) {
	case 0:
		return rsm_memseg_import_get64(im, 0, v, 1);
	case 1:
		return rsm_memseg_import_fetch_add64(im, 8, 1, &old);
	case 2:
		return rsm_memseg_import_cas64(im, 16, old = *v, *v + 1, v);
	case 3: {
		int rc = rsm_memseg_import_get64(im, 24, &old, 1);

		old++;
		return rc != RSM_SUCCESS ? rc :
		    rsm_memseg_import_put64(im, 24, &old, 1);
	}
	case 4: {
		int rc = rsm_memseg_import_put(im, 64, msg, 64);

		return rc != RSM_SUCCESS ? rc : rsm_intr_signal_post(im, 0);
	}
	default:
		return rsm_memseg_import_put_signal(im, 64, msg, 64, 0);
	}
}

static int
run_ctlr(char *ctlr, long nops, long rounds)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	rsmapi_barrier_t bar;
	double fig[NOPS][BENCH_MAX_REPS], med[NOPS];
	char msg[64];
	uint64_t v = 0;
	long r, i;
	int op, rc;

	memset(msg, 7, sizeof(msg));
	if ((rc = rsm_get_controller(ctlr, &c)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(c, 1, SEGID, RSM_PERM_RDWR,
	    &im)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT,
	    &bar)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_atomic_perf: %s: import: %d\n", ctlr, rc);
		return -1;
	}
	/* Warm up: the data path opens on first use. */
	for (op = 0; op < NOPS; op++)
		if ((rc = one(im, op, &v, msg)) != RSM_SUCCESS) {
			fprintf(stderr, "rsm_atomic_perf: %s: %s: %d\n", ctlr,
			    op_name[op], rc);
			return -1;
		}
	drain();
	for (r = 0; r < rounds; r++) {
		for (op = 0; op < NOPS; op++) {
			uint64_t t0 = rsm_now_ns();

			for (i = 0; i < nops; i++)
				if ((rc = one(im, op, &v, msg)) !=
				    RSM_SUCCESS) {
					fprintf(stderr, "rsm_atomic_perf: %s:"
					    " %s: %d\n", ctlr, op_name[op], rc);
					return -1;
				}
			fig[op][r] = (double)(rsm_now_ns() - t0) / 1e3 /
			    (double)nops;
			drain();
		}
	}
	printf("%s: median of %ld rounds of %ld operations, us each "
	    "(ratio to get64)\n", ctlr, rounds, nops);
	for (op = 0; op < NOPS; op++) {
		med[op] = bench_median(fig[op], (int)rounds);
		printf("  %-14s %9.3f  (%.2fx)\n", op_name[op], med[op],
		    med[op] / med[0]);
	}
	printf("  put_signal / (put + post): %.2f\n", med[5] / med[4]);
	(void)rsm_memseg_import_destroy_barrier(&bar);
	(void)rsm_memseg_import_disconnect(im);
	(void)rsm_release_controller(c);
	return 0;
}

int
main(int argc, char **argv)
{
	static char *def[] = { "shm0", "tcp0" };
	rsmapi_controller_handle_t c;
	rsm_memseg_id_t id = SEGID;
	long nops = 2000, rounds = 11;
	size_t size = (size_t)sysconf(_SC_PAGESIZE);
	char **ctlrs = def;
	int ch, n = 2, i, bad = 0;
	void *mem;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		switch (ch) {
		case 'n':
			nops = bench_number("rsm_atomic_perf", optarg, 1,
			    10000000);
			break;
		case 'r':
			rounds = bench_number("rsm_atomic_perf", optarg, 1,
			    BENCH_MAX_REPS);
			break;
		default:
			fprintf(stderr, "usage: rsm_atomic_perf [-n OPS] "
			    "[-r ROUNDS] [CTLR ...]\n");
			return 2;
		}
	}
	if (optind < argc) {
		ctlrs = argv + optind;
		n = argc - optind;
	}
	if ((mem = bench_map(size, 0)) == NULL ||
	    rsm_get_controller("shm0", &c) != RSM_SUCCESS ||
	    rsm_memseg_export_create(c, &g_exp, mem, size, 0) !=
	    RSM_SUCCESS ||
	    rsm_memseg_export_publish(g_exp, &id, NULL, 0) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_atomic_perf: cannot export\n");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (run_ctlr(ctlrs[i], nops, rounds) != 0)
			bad = 1;
	(void)rsm_memseg_export_unpublish(g_exp);
	(void)rsm_memseg_export_destroy(g_exp);
	return bad;
}
