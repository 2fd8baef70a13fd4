/*
 * rsm_verbs_perf.c - the rsm side of the verbs benchmark
 * (run-bench-verbs.sh): put/get through controller verbsN between two
 * nodes on one RDMA device.
 *
 *   rsm_verbs_perf export CTLR SEGID SIZE LIFETIME_S
 *	exports SIZE bytes through CTLR, publishes them as SEGID, prints
 *	"ready", then lives until killed or LIFETIME_S pass
 *   rsm_verbs_perf client [-o KEY] [-r REPS] [-t MS] CTLR NODE SEGID
 *	imports the segment through CTLR and prints one "key value" line
 *	per figure, each the median of REPS repetitions of at least MS
 *	milliseconds (default 5 and 200); -o measures only the figures
 *	whose key starts with KEY (the script runs each right after the
 *	perftest figure it is compared with):
 *	  rsm_put8_close_ns  explicit mode: open barrier, 8 B put, close
 *	  rsm_get8_ns        implicit mode: one 8 B get
 *	  rsm_put_bw_Bps     explicit mode: 16 puts of 1 MiB, close
 *	  rsm_get_bw_Bps     implicit mode: one 1 MiB get
 *
 * The programs talk to the rsmd named by $RSM_DAEMON_SOCKET.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rsmapi.h>

#include "bench_util.h"

#define PROG	"rsm_verbs_perf"

static int
client(int argc, char **argv)
{
	static const struct bench_figure figs[] = {
		{ "rsm_put8_close_ns", bench_op_put_close, 8, 1, 0 },
		{ "rsm_get8_ns", bench_op_get, 8, 0, 0 },
		{ "rsm_put_bw_Bps", bench_op_put_stream, BENCH_MIB, 1, 1 },
		{ "rsm_get_bw_Bps", bench_op_get, BENCH_MIB, 0, 1 },
	};
	struct bench_imp c;
	uint64_t min_ns = 200000000ull;
	const char *only = "";
	int ch, rc, reps = 5;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "o:r:t:")) != -1) {
		if (ch == 'o')
			only = optarg;
		else if (ch == 'r')
			reps = (int)bench_number(PROG, optarg, 1,
			    BENCH_MAX_REPS);
		else if (ch == 't')
			min_ns = (uint64_t)bench_number(PROG, optarg, 1,
			    60000) * 1000000ull;
		else
			return 2;
	}
	argc -= optind;
	argv += optind;
	if (argc != 3) {
		fprintf(stderr, "usage: rsm_verbs_perf client [-o KEY] "
		    "[-r REPS] [-t MS] CTLR NODE SEGID\n");
		return 2;
	}
	if ((c.buf = bench_map(BENCH_MIB, 0x5a)) == NULL)
		return 1;
	if ((rc = bench_import(PROG, argv[0], argv[1], argv[2], &c.imp,
	    &c.bar)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_verbs_perf: import of %s on node %s "
		    "through %s: %d\n", argv[2], argv[1], argv[0], rc);
		return 1;
	}
	bench_run_figures(&c, figs, sizeof(figs) / sizeof(figs[0]), reps,
	    min_ns, only);
	(void)rsm_memseg_import_destroy_barrier(&c.bar);
	(void)rsm_memseg_import_disconnect(c.imp);
	return 0;
}

static int
exporter(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	return bench_export(PROG, argv[0], argv[1], argv[2],
	    (long)BENCH_SEG_SLOTS * BENCH_MIB, argv[3]);
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
	    "LIFETIME_S | client [-o KEY] [-r REPS] [-t MS] CTLR NODE "
	    "SEGID\n");
	return 2;
}
