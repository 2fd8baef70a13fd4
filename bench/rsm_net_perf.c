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
#include <unistd.h>

#include <rsmapi.h>

#include "bench_util.h"
#include "sock_baseline.h"

#define PROG		"rsm_net_perf"
#define STREAM_BYTES	(64u * BENCH_MIB)	/* per plain-socket stream call */
#define MIN_REP_NS	50000000ull

/* ---- the plain-socket figures; c->aux is the socket ---- */

static int
op_sock_rtt(struct bench_imp *c, uint64_t *bytes)
{
	*bytes = 8;
	return sockb_pingpong(c->aux, 8) == 0 ? 0 : RSMERR_CONN_ABORTED;
}

static int
op_sock_to(struct bench_imp *c, uint64_t *bytes)
{
	*bytes = STREAM_BYTES;
	return sockb_stream_to(c->aux, STREAM_BYTES) == 0 ? 0 :
	    RSMERR_CONN_ABORTED;
}

static int
op_sock_from(struct bench_imp *c, uint64_t *bytes)
{
	*bytes = STREAM_BYTES;
	return sockb_stream_from(c->aux, STREAM_BYTES) == 0 ? 0 :
	    RSMERR_CONN_ABORTED;
}

/* ---- client ---- */

static int
client(int argc, char **argv)
{
	static const struct bench_figure figs[] = {
		{ "sock_rtt8_ns", op_sock_rtt, 8, 0, 0 },
		{ "sock_stream_to_Bps", op_sock_to, 0, 0, 1 },
		{ "sock_stream_from_Bps", op_sock_from, 0, 0, 1 },
		{ "rsm_put8_close_ns", bench_op_put_close, 8, 1, 0 },
		{ "rsm_get8_ns", bench_op_get, 8, 0, 0 },
		{ "rsm_put_bw_Bps", bench_op_put_stream, BENCH_MIB, 1, 1 },
		{ "rsm_get_bw_Bps", bench_op_get, BENCH_MIB, 0, 1 },
	};
	struct bench_imp c;
	struct sockb sock;
	const char *only = "";
	char *ctlr;
	int ch, rc, reps = 5;

	memset(&c, 0, sizeof(c));
	memset(&sock, 0, sizeof(sock));
	c.aux = &sock;
	while ((ch = getopt(argc, argv, "o:r:")) != -1) {
		if (ch == 'o')
			only = optarg;
		else if (ch == 'r')
			reps = (int)bench_number(PROG, optarg, 1,
			    BENCH_MAX_REPS);
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
	if ((c.buf = bench_map(BENCH_MIB, 0x5a)) == NULL)
		return 1;
	if (sockb_connect(&sock, argv[0],
	    (int)bench_number(PROG, argv[1], 1, 65535), BENCH_MIB) != 0) {
		fprintf(stderr, "rsm_net_perf: plain socket to %s:%s: %s\n",
		    argv[0], argv[1], strerror(errno));
		return 1;
	}
	/* $RSM_BENCH_CTLR: the importer's controller (ucx0 beside tcp0). */
	ctlr = getenv("RSM_BENCH_CTLR");
	if (ctlr == NULL || *ctlr == '\0')
		ctlr = "tcp0";
	if ((rc = bench_import(PROG, ctlr, argv[2], argv[3], &c.imp,
	    &c.bar)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_net_perf: import of %s on node %s: %d\n",
		    argv[3], argv[2], rc);
		return 1;
	}
	bench_run_figures(&c, figs, sizeof(figs) / sizeof(figs[0]), reps,
	    MIN_REP_NS, only);
	sockb_stop(&sock);
	(void)rsm_memseg_import_destroy_barrier(&c.bar);
	(void)rsm_memseg_import_disconnect(c.imp);
	return 0;
}

/* ---- detect: how soon the importer's next barrier sees a failure ---- */

static int
detect(int argc, char **argv)
{
	struct bench_imp c;
	uint64_t end, b;
	int rc;

	if (argc != 3)
		return 2;
	memset(&c, 0, sizeof(c));
	c.buf = calloc(1, 8);
	c.len = 8;
	if (c.buf == NULL)
		return 1;
	if ((rc = bench_import(PROG, "tcp0", argv[0], argv[1], &c.imp,
	    &c.bar)) == RSM_SUCCESS &&
	    (rc = rsm_memseg_import_set_mode(c.imp,
	    RSM_BARRIER_MODE_EXPLICIT)) == RSM_SUCCESS)
		rc = bench_op_put_close(&c, &b);
	if (rc != RSM_SUCCESS) {
		printf("rc=%d at_us=0\n", rc);
		return 1;
	}
	printf("armed\n");
	fflush(stdout);
	end = rsm_now_ns() +
	    (uint64_t)bench_number(PROG, argv[2], 1, 600000) * 1000000ull;
	do {
		if ((rc = bench_op_put_close(&c, &b)) != RSM_SUCCESS)
			break;
		usleep(200);
	} while (rsm_now_ns() < end);
	printf("rc=%d at_us=%" PRIu64 "\n", rc, bench_realtime_us());
	fflush(stdout);
	return 0;
}

/* ---- export: the segment, alive until killed ---- */

static int
exporter(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	return bench_export(PROG, "tcp0", argv[0], argv[1], 4096, argv[2]);
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "sock-server") == 0)
		return sockb_serve(argv[2],
		    (int)bench_number(PROG, argv[3], 1, 65535), BENCH_MIB,
		    (int)bench_number(PROG, argv[4], 1, 86400)) == 0 ? 0 : 1;
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
