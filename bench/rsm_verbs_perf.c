/*
 * rsm_verbs_perf.c - the rsm side of the verbs benchmark
 * (run-bench-verbs.sh): put/get through controller verbsN between two
 * nodes on one RDMA device.
 *
 *   rsm_verbs_perf export CTLR SEGID SIZE LIFETIME_S
 *	exports SIZE bytes through CTLR, publishes them as SEGID, prints
 *	"ready", then lives until killed or LIFETIME_S pass
 *   rsm_verbs_perf client [-r REPS] [-t MS] CTLR NODE SEGID
 *	imports the segment through CTLR and prints one "key value" line
 *	per figure, each the median of REPS repetitions of at least MS
 *	milliseconds (default 5 and 200):
 *	  rsm_put8_close_ns  explicit mode: open barrier, 8 B put, close
 *	  rsm_get8_ns        implicit mode: one 8 B get
 *	  rsm_put_bw_Bps     explicit mode: 16 puts of 1 MiB, close
 *	  rsm_get_bw_Bps     implicit mode: one 1 MiB get
 *
 * The programs talk to the rsmd named by $RSM_DAEMON_SOCKET.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rsmapi.h>

#define MIB		(1024u * 1024u)
#define SEG_SLOTS	16u		/* 1 MiB slots the puts rotate over */
#define PUTS_PER_BAR	16u
#define MAX_REPS	31

struct client {
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	char		*buf;
	size_t		 len;
	unsigned	 next;
};

typedef int (*op_fn)(struct client *, uint64_t *);

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static long
number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "rsm_verbs_perf: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static int
op_put_close(struct client *c, uint64_t *bytes)
{
	int rc, crc;

	*bytes = c->len;
	if ((rc = rsm_memseg_import_open_barrier(&c->bar)) != RSM_SUCCESS)
		return rc;
	rc = rsm_memseg_import_put(c->imp, 0, c->buf, c->len);
	crc = rsm_memseg_import_close_barrier(&c->bar);
	return rc != RSM_SUCCESS ? rc : crc;
}

static int
op_get(struct client *c, uint64_t *bytes)
{
	off_t off = (off_t)(c->next++ % SEG_SLOTS) * MIB;

	*bytes = c->len;
	return rsm_memseg_import_get(c->imp, c->len >= MIB ? off : 0, c->buf,
	    c->len);
}

static int
op_put_stream(struct client *c, uint64_t *bytes)
{
	unsigned i;
	int rc, crc;

	*bytes = (uint64_t)PUTS_PER_BAR * MIB;
	if ((rc = rsm_memseg_import_open_barrier(&c->bar)) != RSM_SUCCESS)
		return rc;
	for (i = 0; i < PUTS_PER_BAR && rc == RSM_SUCCESS; i++)
		rc = rsm_memseg_import_put(c->imp,
		    (off_t)(i % SEG_SLOTS) * MIB, c->buf, MIB);
	crc = rsm_memseg_import_close_barrier(&c->bar);
	return rc != RSM_SUCCESS ? rc : crc;
}

static int
time_rep(struct client *c, op_fn fn, uint64_t min_ns, double *ns_per_op,
    double *bytes_per_s)
{
	uint64_t t0, t, n = 0, bytes = 0, b;
	int rc;

	t0 = now_ns();
	do {
		if ((rc = fn(c, &b)) != 0)
			return rc;
		n++;
		bytes += b;
		t = now_ns();
	} while (t - t0 < min_ns);
	*ns_per_op = (double)(t - t0) / (double)n;
	*bytes_per_s = (double)bytes * 1e9 / (double)(t - t0);
	return 0;
}

struct figure {
	const char	*key;
	op_fn		 fn;
	size_t		 len;
	int		 explicit_mode;
	int		 rate;
};

static int
client(int argc, char **argv)
{
	static const struct figure figs[] = {
		{ "rsm_put8_close_ns", op_put_close, 8, 1, 0 },
		{ "rsm_get8_ns", op_get, 8, 0, 0 },
		{ "rsm_put_bw_Bps", op_put_stream, MIB, 1, 1 },
		{ "rsm_get_bw_Bps", op_get, MIB, 0, 1 },
	};
	enum { NFIGS = sizeof(figs) / sizeof(figs[0]) };
	double ns[NFIGS][MAX_REPS], bps[NFIGS][MAX_REPS];
	int err[NFIGS] = { 0 };
	rsmapi_controller_handle_t ctlr;
	struct client c;
	uint64_t min_ns = 200000000ull;
	size_t i;
	int ch, r, rc, reps = 5;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "r:t:")) != -1) {
		if (ch == 'r')
			reps = (int)number(optarg, 1, MAX_REPS);
		else if (ch == 't')
			min_ns = (uint64_t)number(optarg, 1, 60000) * 1000000ull;
		else
			return 2;
	}
	argc -= optind;
	argv += optind;
	if (argc != 3) {
		fprintf(stderr, "usage: rsm_verbs_perf client [-r REPS] "
		    "[-t MS] CTLR NODE SEGID\n");
		return 2;
	}
	c.buf = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.buf == MAP_FAILED)
		return 1;
	memset(c.buf, 0x5a, MIB);
	if ((rc = rsm_get_controller(argv[0], &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr,
	    (rsm_node_id_t)number(argv[1], 0, 64),
	    (rsm_memseg_id_t)number(argv[2], 1, 0x7fffffff), RSM_PERM_RDWR,
	    &c.imp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_init_barrier(c.imp, RSM_BAR_DEFAULT,
	    &c.bar)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_verbs_perf: import of %s on node %s "
		    "through %s: %d\n", argv[2], argv[1], argv[0], rc);
		return 1;
	}
	/* Rounds interleave the figures; round -1 connects and warms up. */
	for (r = -1; r < reps; r++) {
		for (i = 0; i < NFIGS; i++) {
			uint64_t b;

			if (err[i] != 0)
				continue;
			c.len = figs[i].len;
			rc = rsm_memseg_import_set_mode(c.imp,
			    figs[i].explicit_mode ? RSM_BARRIER_MODE_EXPLICIT :
			    RSM_BARRIER_MODE_IMPLICIT);
			if (rc == RSM_SUCCESS)
				rc = r < 0 ? figs[i].fn(&c, &b) :
				    time_rep(&c, figs[i].fn, min_ns, &ns[i][r],
				    &bps[i][r]);
			if (rc != RSM_SUCCESS)
				err[i] = rc;
		}
	}
	for (i = 0; i < NFIGS; i++) {
		if (err[i] != 0) {
			printf("%s error %d\n", figs[i].key, err[i]);
			continue;
		}
		qsort(ns[i], (size_t)reps, sizeof(double), cmp_double);
		qsort(bps[i], (size_t)reps, sizeof(double), cmp_double);
		printf("%s %.1f\n", figs[i].key, figs[i].rate ?
		    bps[i][reps / 2] : ns[i][reps / 2]);
	}
	fflush(stdout);
	(void)rsm_memseg_import_destroy_barrier(&c.bar);
	(void)rsm_memseg_import_disconnect(c.imp);
	return 0;
}

static int
exporter(int argc, char **argv)
{
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t exp;
	rsm_memseg_id_t id;
	size_t size;
	uint64_t end;
	char *mem;
	int rc;

	if (argc != 4)
		return 2;
	id = (rsm_memseg_id_t)number(argv[1], 1, 0x7fffffff);
	size = (size_t)number(argv[2], (long)SEG_SLOTS * MIB, 1l << 34);
	end = now_ns() + (uint64_t)number(argv[3], 1, 86400) * 1000000000ull;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 0x33, size);
	if ((rc = rsm_get_controller(argv[0], &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_create(ctlr, &exp, mem, size, 0)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_export_publish(exp, &id, NULL, 0)) !=
	    RSM_SUCCESS) {
		printf("rc=%d\n", rc);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (now_ns() < end)
		usleep(100000);
	(void)rsm_memseg_export_unpublish(exp);
	(void)rsm_memseg_export_destroy(exp);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return client(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return exporter(argc - 2, argv + 2);
	fprintf(stderr, "usage: rsm_verbs_perf export CTLR SEGID SIZE "
	    "LIFETIME_S | client [-r REPS] [-t MS] CTLR NODE SEGID\n");
	return 2;
}
