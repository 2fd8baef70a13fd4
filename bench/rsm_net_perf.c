/*
 * rsm_net_perf.c - the pieces of the cluster benchmark (run-bench-net.sh):
 * tcp0 between two nodes beside a plain TCP socket on the same link.
 *
 *   rsm_net_perf sock-server ADDR PORT LIFETIME_S
 *	the plain-socket server (sock_baseline.c), one client at a time
 *   rsm_net_perf export SEGID SIZE LIFETIME_S
 *	exports SIZE bytes through tcp0, publishes them as SEGID, prints
 *	"ready", then lives until killed or LIFETIME_S pass
 *   rsm_net_perf client [-r REPS] [-o KEY] ADDR PORT NODE SEGID
 *	on the importing node: plain-socket and tcp0 figures, one
 *	"key value" line each, each the median of REPS repetitions; -o
 *	measures only the figures whose key starts with KEY (profiling)
 *   rsm_net_perf detect NODE SEGID MS
 *	imports the segment, prints "armed" once a barrier went through,
 *	then runs open/put 8 B/close every 200 us until one fails or MS
 *	pass: "rc=N at_us=REALTIME_US" (the time the failure was seen)
 *
 * Each of the client's figures is the median of REPS repetitions, each
 * running long enough (>= 50 ms) for the clock to be exact.  The
 * programs talk to the rsmd named by $RSM_DAEMON_SOCKET.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rsmapi.h>

#include "sock_baseline.h"

#define MIB		(1024u * 1024u)
#define SEG_SIZE	(16u * MIB)
#define STREAM_BYTES	(64u * MIB)	/* per plain-socket stream call */
#define PUTS_PER_BAR	16u		/* 1 MiB puts per explicit barrier */
#define MIN_REP_NS	50000000ull
#define MAX_REPS	31

struct client {
	struct sockb	 sock;
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	char		*buf;
	size_t		 len;
	unsigned	 next;		/* rotating 1 MiB slot of the segment */
	int		 reps;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
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
		fprintf(stderr, "rsm_net_perf: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* ---- timed operations: 0 or an RSMAPI error; *bytes moved ---- */

typedef int (*op_fn)(struct client *, uint64_t *);

static int
op_sock_rtt(struct client *c, uint64_t *bytes)
{
	*bytes = 8;
	return sockb_pingpong(&c->sock, 8) == 0 ? 0 : RSMERR_CONN_ABORTED;
}

static int
op_sock_to(struct client *c, uint64_t *bytes)
{
	*bytes = STREAM_BYTES;
	return sockb_stream_to(&c->sock, STREAM_BYTES) == 0 ? 0 :
	    RSMERR_CONN_ABORTED;
}

static int
op_sock_from(struct client *c, uint64_t *bytes)
{
	*bytes = STREAM_BYTES;
	return sockb_stream_from(&c->sock, STREAM_BYTES) == 0 ? 0 :
	    RSMERR_CONN_ABORTED;
}

/* Explicit barrier mode: open, one put, close (the put completed). */
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

/* Implicit mode (the default): one get, its data in the buffer. */
static int
op_get(struct client *c, uint64_t *bytes)
{
	off_t off = (off_t)(c->next++ % (SEG_SIZE / MIB)) * MIB;

	*bytes = c->len;
	return rsm_memseg_import_get(c->imp, c->len >= MIB ? off : 0, c->buf,
	    c->len);
}

/* Explicit mode: PUTS_PER_BAR puts of 1 MiB, then the close barrier. */
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
		    (off_t)(i % (SEG_SIZE / MIB)) * MIB, c->buf, MIB);
	crc = rsm_memseg_import_close_barrier(&c->bar);
	return rc != RSM_SUCCESS ? rc : crc;
}

/*
 * One repetition of fn: calls until MIN_REP_NS have passed; ns per call
 * and bytes per second.
 */
static int
time_rep(struct client *c, op_fn fn, double *ns_per_op, double *bytes_per_s)
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
	} while (t - t0 < MIN_REP_NS);
	*ns_per_op = (double)(t - t0) / (double)n;
	*bytes_per_s = (double)bytes * 1e9 / (double)(t - t0);
	return 0;
}

static int
import_seg(const char *node_s, const char *segid_s,
    rsm_memseg_import_handle_t *imp, rsmapi_barrier_t *bar)
{
	rsmapi_controller_handle_t ctlr;
	int rc;

	if ((rc = rsm_get_controller("tcp0", &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr,
	    (rsm_node_id_t)number(node_s, 0, 64),
	    (rsm_memseg_id_t)number(segid_s, 1, 0x7fffffff), RSM_PERM_RDWR,
	    imp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_init_barrier(*imp, RSM_BAR_DEFAULT, bar)) !=
	    RSM_SUCCESS)
		return rc;
	return RSM_SUCCESS;
}

/* ---- client ---- */

struct figure {
	const char	*key;
	op_fn		 fn;
	size_t		 len;
	int		 explicit_mode;
	int		 rate;		/* print bytes/s, else ns per call */
};

static int
client(int argc, char **argv)
{
	static const struct figure figs[] = {
		{ "sock_rtt8_ns", op_sock_rtt, 8, 0, 0 },
		{ "sock_stream_to_Bps", op_sock_to, 0, 0, 1 },
		{ "sock_stream_from_Bps", op_sock_from, 0, 0, 1 },
		{ "rsm_put8_close_ns", op_put_close, 8, 1, 0 },
		{ "rsm_get8_ns", op_get, 8, 0, 0 },
		{ "rsm_put_bw_Bps", op_put_stream, MIB, 1, 1 },
		{ "rsm_get_bw_Bps", op_get, MIB, 0, 1 },
	};
	enum { NFIGS = sizeof(figs) / sizeof(figs[0]) };
	double ns[NFIGS][MAX_REPS], bps[NFIGS][MAX_REPS];
	int err[NFIGS] = { 0 };
	struct client c;
	const char *only = "";
	size_t i;
	int ch, r, rc;

	memset(&c, 0, sizeof(c));
	c.reps = 5;
	while ((ch = getopt(argc, argv, "o:r:")) != -1) {
		if (ch == 'o')
			only = optarg;
		else if (ch == 'r')
			c.reps = (int)number(optarg, 1, MAX_REPS);
		else
			return 2;
	}
	argc -= optind;
	argv += optind;
	if (argc != 4) {
		fprintf(stderr, "usage: rsm_net_perf client [-r REPS] [-o KEY] "
		    "ADDR PORT NODE SEGID\n");
		return 2;
	}
	c.buf = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.buf == MAP_FAILED)
		return 1;
	memset(c.buf, 0x5a, MIB);	/* fault the pages in before timing */
	if (sockb_connect(&c.sock, argv[0], (int)number(argv[1], 1, 65535),
	    MIB) != 0) {
		fprintf(stderr, "rsm_net_perf: plain socket to %s:%s: %s\n",
		    argv[0], argv[1], strerror(errno));
		return 1;
	}
	if ((rc = import_seg(argv[2], argv[3], &c.imp, &c.bar)) !=
	    RSM_SUCCESS) {
		fprintf(stderr, "rsm_net_perf: import of %s on node %s: %d\n",
		    argv[3], argv[2], rc);
		return 1;
	}
	/*
	 * Repetitions interleave the figures (one of each per round), so
	 * a noisy stretch of the machine weighs on all of them alike.
	 */
	for (r = -1; r < c.reps; r++) {
		for (i = 0; i < NFIGS; i++) {
			uint64_t b;

			if (strncmp(figs[i].key, only, strlen(only)) != 0 ||
			    err[i] != 0)
				continue;
			c.len = figs[i].len;
			rc = rsm_memseg_import_set_mode(c.imp,
			    figs[i].explicit_mode ? RSM_BARRIER_MODE_EXPLICIT :
			    RSM_BARRIER_MODE_IMPLICIT);
			/* Round -1 warms up: page faults, the data stream. */
			if (rc == RSM_SUCCESS)
				rc = r < 0 ? figs[i].fn(&c, &b) :
				    time_rep(&c, figs[i].fn, &ns[i][r],
				    &bps[i][r]);
			if (rc != RSM_SUCCESS)
				err[i] = rc;
		}
	}
	for (i = 0; i < NFIGS; i++) {
		if (strncmp(figs[i].key, only, strlen(only)) != 0)
			continue;
		if (err[i] != 0) {
			printf("%s error %d\n", figs[i].key, err[i]);
			continue;
		}
		qsort(ns[i], (size_t)c.reps, sizeof(double), cmp_double);
		qsort(bps[i], (size_t)c.reps, sizeof(double), cmp_double);
		printf("%s %.1f\n", figs[i].key, figs[i].rate ?
		    bps[i][c.reps / 2] : ns[i][c.reps / 2]);
	}
	fflush(stdout);
	sockb_stop(&c.sock);
	(void)rsm_memseg_import_destroy_barrier(&c.bar);
	(void)rsm_memseg_import_disconnect(c.imp);
	return 0;
}

/* ---- detect: how soon the importer's next barrier sees a failure ---- */

static int
detect(int argc, char **argv)
{
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	struct client c;
	uint64_t end, b;
	int rc;

	if (argc != 3)
		return 2;
	memset(&c, 0, sizeof(c));
	c.buf = calloc(1, 8);
	c.len = 8;
	if (c.buf == NULL)
		return 1;
	if ((rc = import_seg(argv[0], argv[1], &imp, &bar)) == RSM_SUCCESS &&
	    (rc = rsm_memseg_import_set_mode(imp, RSM_BARRIER_MODE_EXPLICIT)) ==
	    RSM_SUCCESS) {
		c.imp = imp;
		c.bar = bar;
		rc = op_put_close(&c, &b);
	}
	if (rc != RSM_SUCCESS) {
		printf("rc=%d at_us=0\n", rc);
		return 1;
	}
	printf("armed\n");
	fflush(stdout);
	end = now_ns() + (uint64_t)number(argv[2], 1, 600000) * 1000000ull;
	do {
		if ((rc = op_put_close(&c, &b)) != RSM_SUCCESS)
			break;
		usleep(200);
	} while (now_ns() < end);
	printf("rc=%d at_us=%" PRIu64 "\n", rc, realtime_us());
	fflush(stdout);
	return 0;
}

/* ---- export: the segment, alive until killed ---- */

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

	if (argc != 3)
		return 2;
	id = (rsm_memseg_id_t)number(argv[0], 1, 0x7fffffff);
	size = (size_t)number(argv[1], 4096, 1l << 34);
	end = now_ns() + (uint64_t)number(argv[2], 1, 86400) * 1000000000ull;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 0x33, size);
	if ((rc = rsm_get_controller("tcp0", &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_create(ctlr, &exp, mem, size, 0)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_export_publish(exp, &id, NULL, 0)) !=
	    RSM_SUCCESS) {
		printf("rc=%d\n", rc);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	/* Bounded: a benchmark that lost track of us cannot leave us behind. */
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
	if (argc == 5 && strcmp(argv[1], "sock-server") == 0)
		return sockb_serve(argv[2], (int)number(argv[3], 1, 65535), MIB,
		    (int)number(argv[4], 1, 86400)) == 0 ? 0 : 1;
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return client(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "detect") == 0)
		return detect(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return exporter(argc - 2, argv + 2);
	fprintf(stderr, "usage: rsm_net_perf sock-server ADDR PORT LIFETIME_S |"
	    " export SEGID SIZE LIFETIME_S | client [-r REPS] ADDR PORT NODE "
	    "SEGID | detect NODE SEGID MS\n");
	return 2;
}
