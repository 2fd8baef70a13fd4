/*
 * rsm_perf.c - how close rsm's shared-memory path comes to plain memcpy,
 * and how fast the daemon handles the control path.
 *
 *   rsm_perf [-r REPS] [-n SEGMENTS] [-w WORKERS] [-t MS]
 *
 * Talks to the rsmd named by $RSM_DAEMON_SOCKET (run-bench.sh starts a
 * private one).  Each figure is the median of REPS timed repetitions, each
 * repetition running long enough (>= 30 ms) for the clock to be exact;
 * memcpy of the same sizes is measured in the same run as the baseline.
 * Targets are printed beside the results with PASS or MISS: a benchmark
 * reports, it does not fail, so the exit status is non-zero only when the
 * benchmark itself could not run.
 *
 * The connect-rate test loads the daemon from WORKERS processes: this
 * program re-executes itself as "rsm_perf --connect-worker", because a
 * forked child would share the parent's daemon connection.  Its peer, in
 * the same run, is as many processes making plain request/reply round
 * trips with one epoll server over AF_UNIX SOCK_SEQPACKET
 * (unix_baseline.h): the least one request through a daemon costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rsmapi.h>

#include "bench_util.h"
#include "rsmadm.h"
#include "rsm_err.h"
#include "sock_baseline.h"
#include "unix_baseline.h"

extern char **environ;

#define MIB		BENCH_MIB
#define BIG_SEG		(16u * MIB)	/* largest transfer measured */
#define MIN_REP_NS	30000000ull	/* a repetition lasts at least this */
#define SCALE_BUDGET_NS	30000000000ull	/* the 10,000-segment test gives up after 30 s */
#define MAX_REPS	BENCH_MAX_REPS

/* Targets, printed with the results. */
#define TGT_PUT8_NS		100.0
#define TGT_BW_RATIO		0.80
#define TGT_CONNECT_US		200.0
#define TGT_SEGMENTS		10000u
#define TGT_CONNECTS_PER_S	50000.0

struct bench {
	rsmapi_controller_handle_t	ctlr;
	rsm_node_id_t			node;
	size_t				page;
	/* The segment put/get go to, exported and imported by this process. */
	char				*seg_mem;
	rsm_memseg_export_handle_t	exp;
	rsm_memseg_id_t			segid;
	rsm_memseg_import_handle_t	imp;
	rsmapi_barrier_t		bar;
	/* A second segment, for publish/unpublish. */
	char				*pub_mem;
	rsm_memseg_export_handle_t	pub_exp;
	/* Local buffers, and the length of the operation being timed. */
	char				*src, *dst;
	size_t				len;
	int				reps;
	/* tcp0: the same segment through the data server, and plain TCP. */
	rsmapi_controller_handle_t	tctlr;
	rsm_memseg_import_handle_t	timp;
	rsmapi_barrier_t		tbar;
	struct sockb			sock;
};

/* Called through a volatile pointer so the baseline is a real memcpy call. */
static void *(*volatile memcpy_call)(void *, const void *, size_t) = memcpy;

/* ---- the timed operations; each returns an RSMAPI code ---- */

typedef int (*op_fn)(struct bench *);

static int
op_put(struct bench *b)
{
	return rsm_memseg_import_put(b->imp, 0, b->src, b->len);
}

static int
op_get(struct bench *b)
{
	return rsm_memseg_import_get(b->imp, 0, b->dst, b->len);
}

static int
op_memcpy(struct bench *b)
{
	memcpy_call(b->dst, b->src, b->len);
	__asm__ __volatile__("" ::: "memory");
	return RSM_SUCCESS;
}

static int
op_connect(struct bench *b)
{
	rsm_memseg_import_handle_t h;
	int rc;

	rc = rsm_memseg_import_connect(b->ctlr, b->node, b->segid,
	    RSM_PERM_RDWR, &h);
	if (rc != RSM_SUCCESS)
		return rc;
	return rsm_memseg_import_disconnect(h);
}

static int
op_publish(struct bench *b)
{
	rsm_memseg_id_t id = 0;
	int rc;

	rc = rsm_memseg_export_publish(b->pub_exp, &id, NULL, 0);
	if (rc != RSM_SUCCESS)
		return rc;
	return rsm_memseg_export_unpublish(b->pub_exp);
}

/* tcp0, implicit mode: each call is a request and its reply. */
static int
op_tcp_put(struct bench *b)
{
	return rsm_memseg_import_put(b->timp, 0, b->src, b->len);
}

static int
op_tcp_get(struct bench *b)
{
	return rsm_memseg_import_get(b->timp, 0, b->dst, b->len);
}

/* The same exchanges over a plain loopback socket. */
static int
op_sock_put(struct bench *b)
{
	return sockb_send_acked(&b->sock, b->len) == 0 ? RSM_SUCCESS :
	    RSMERR_CONN_ABORTED;
}

static int
op_sock_get(struct bench *b)
{
	return (b->len <= 8 ? sockb_pingpong(&b->sock, b->len) :
	    sockb_fetch(&b->sock, b->len)) == 0 ? RSM_SUCCESS :
	    RSMERR_CONN_ABORTED;
}

/*
 * Median nanoseconds per call of fn over b->reps repetitions, after one
 * untimed warm-up (page faults, implicit mapping).  Calls are made in
 * batches between clock reads.  Returns 0, or the first RSMAPI error.
 */
static int
time_op(struct bench *b, op_fn fn, unsigned batch, double *ns_per_op)
{
	double per[MAX_REPS];
	uint64_t t0, t, n;
	unsigned i;
	int r, rc;

	for (i = 0; i < batch; i++)
		if ((rc = fn(b)) != RSM_SUCCESS)
			return rc;
	for (r = 0; r < b->reps; r++) {
		n = 0;
		t0 = rsm_now_ns();
		do {
			for (i = 0; i < batch; i++)
				if ((rc = fn(b)) != RSM_SUCCESS)
					return rc;
			n += batch;
			t = rsm_now_ns();
		} while (t - t0 < MIN_REP_NS);
		per[r] = (double)(t - t0) / (double)n;
	}
	*ns_per_op = bench_median(per, b->reps);
	return RSM_SUCCESS;
}

/* ---- the table ---- */

static int misses;

/* base: what the baseline column holds in this table. */
static void
table_header(const char *base)
{
	printf("%-34s %14s %14s %9s  %-18s %s\n", "test", "rsm", base,
	    "ratio", "target", "result");
	printf("%-34s %14s %14s %9s  %-18s %s\n", "----", "---", "------",
	    "-----", "------", "------");
}

static void
row(const char *test, const char *rsm, const char *base, const char *ratio,
    const char *target, int verdict)
{
	const char *v = verdict > 0 ? "PASS" : verdict == 0 ? "MISS" : "";

	if (verdict == 0)
		misses++;
	printf("%-34s %14s %14s %9s  %-18s %s\n", test, rsm, base, ratio,
	    target, v);
	fflush(stdout);
}

static void
error_row(const char *test, int rc, const char *target)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "error %s", rsm_err_name(rc));
	printf("%-34s %s\n", test, msg);
	if (target[0] != '\0')
		misses++;
	fflush(stdout);
}

/* ---- latency and bandwidth ---- */

static void
latency_rows(struct bench *b, double memcpy_ns)
{
	static const struct {
		const char *name;
		op_fn fn;
		rsm_barrier_mode_t mode;
		int target;
	} tests[] = {
		{ "put 8 B, implicit barrier", op_put,
		    RSM_BARRIER_MODE_IMPLICIT, 1 },
		{ "put 8 B, explicit mode", op_put,
		    RSM_BARRIER_MODE_EXPLICIT, 1 },
		{ "get 8 B, implicit barrier", op_get,
		    RSM_BARRIER_MODE_IMPLICIT, 0 },
		{ "get 8 B, explicit mode", op_get,
		    RSM_BARRIER_MODE_EXPLICIT, 0 },
	};
	char rsm[32], base[32], ratio[32], tgt[32];
	size_t i;
	double ns;
	int rc, crc;

	b->len = 8;
	snprintf(base, sizeof(base), "%.1f ns", memcpy_ns);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		snprintf(tgt, sizeof(tgt), tests[i].target ? "< %.0f ns" : "",
		    TGT_PUT8_NS);
		rc = rsm_memseg_import_set_mode(b->imp, tests[i].mode);
		if (rc != RSM_SUCCESS) {
			error_row(tests[i].name, rc, tgt);
			continue;
		}
		/* Explicit mode: the application brackets the whole run. */
		if (tests[i].mode == RSM_BARRIER_MODE_EXPLICIT &&
		    (rc = rsm_memseg_import_open_barrier(&b->bar)) !=
		    RSM_SUCCESS) {
			error_row(tests[i].name, rc, tgt);
			continue;
		}
		rc = time_op(b, tests[i].fn, 1000, &ns);
		if (tests[i].mode == RSM_BARRIER_MODE_EXPLICIT) {
			crc = rsm_memseg_import_close_barrier(&b->bar);
			if (rc == RSM_SUCCESS)
				rc = crc;
		}
		if (rc != RSM_SUCCESS) {
			error_row(tests[i].name, rc, tgt);
			continue;
		}
		snprintf(rsm, sizeof(rsm), "%.1f ns", ns);
		snprintf(ratio, sizeof(ratio), "%.1fx", ns / memcpy_ns);
		row(tests[i].name, rsm, base, ratio, tgt,
		    tests[i].target ? ns < TGT_PUT8_NS : -1);
	}
	rc = rsm_memseg_import_set_mode(b->imp, RSM_BARRIER_MODE_IMPLICIT);
	if (rc != RSM_SUCCESS)
		error_row("set_mode implicit", rc, "");
}

static void
bandwidth_rows(struct bench *b)
{
	static const size_t sizes[] = { 4096, 64 * 1024, MIB, BIG_SEG };
	static const char *const names[] = { "4 KiB", "64 KiB", "1 MiB",
	    "16 MiB" };
	char test[64], rsm[32], base[32], ratio[32], tgt[32];
	double mc_ns, ns, gbs, mc_gbs;
	unsigned batch;
	size_t i;
	int k, rc, has_target;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		b->len = sizes[i];
		batch = sizes[i] >= MIB ? 1 : (unsigned)(MIB / sizes[i]);
		has_target = sizes[i] == MIB;
		snprintf(tgt, sizeof(tgt), has_target ? ">= %.0f%% memcpy" :
		    "", TGT_BW_RATIO * 100);
		if ((rc = time_op(b, op_memcpy, batch, &mc_ns)) != 0)
			continue;
		mc_gbs = (double)sizes[i] / mc_ns;
		snprintf(base, sizeof(base), "%.2f GB/s", mc_gbs);
		for (k = 0; k < 2; k++) {
			snprintf(test, sizeof(test), "%s %s bandwidth",
			    k == 0 ? "put" : "get", names[i]);
			rc = time_op(b, k == 0 ? op_put : op_get, batch, &ns);
			if (rc != RSM_SUCCESS) {
				error_row(test, rc, tgt);
				continue;
			}
			gbs = (double)sizes[i] / ns;
			snprintf(rsm, sizeof(rsm), "%.2f GB/s", gbs);
			snprintf(ratio, sizeof(ratio), "%.0f%%",
			    100.0 * gbs / mc_gbs);
			row(test, rsm, base, ratio, tgt,
			    has_target ? gbs / mc_gbs >= TGT_BW_RATIO : -1);
		}
	}
}

/*
 * tcp0 beside plain TCP on 127.0.0.1, same run: 8-byte put (implicit
 * barrier: the put and its reply, i.e. put + close barrier) and get
 * latency, 1 MiB put and get bandwidth.  No targets yet: these figures
 * are the baseline later work is measured against.
 */
static void
tcp_rows(struct bench *b)
{
	static const struct {
		const char *name;
		op_fn rsm, sock;
		size_t len;
	} tests[] = {
		{ "tcp0 put 8 B + close barrier", op_tcp_put, op_sock_put, 8 },
		{ "tcp0 get 8 B", op_tcp_get, op_sock_get, 8 },
		{ "tcp0 put 1 MiB bandwidth", op_tcp_put, op_sock_put, MIB },
		{ "tcp0 get 1 MiB bandwidth", op_tcp_get, op_sock_get, MIB },
	};
	char rsm[32], base[32], ratio[32];
	double ns, sns;
	size_t i;
	int rc;

	printf("\n%-34s %14s %14s %9s\n", "tcp0 (daemon data server)", "rsm",
	    "plain TCP", "ratio");
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		b->len = tests[i].len;
		if ((rc = time_op(b, tests[i].rsm, tests[i].len > 8 ? 4 : 100,
		    &ns)) != RSM_SUCCESS) {
			error_row(tests[i].name, rc, "");
			continue;
		}
		if ((rc = time_op(b, tests[i].sock, tests[i].len > 8 ? 4 : 100,
		    &sns)) != RSM_SUCCESS) {
			error_row(tests[i].name, rc, "");
			continue;
		}
		if (tests[i].len > 8) {
			snprintf(rsm, sizeof(rsm), "%.2f GB/s",
			    (double)tests[i].len / ns);
			snprintf(base, sizeof(base), "%.2f GB/s",
			    (double)tests[i].len / sns);
			snprintf(ratio, sizeof(ratio), "%.0f%%", 100.0 * sns / ns);
		} else {
			snprintf(rsm, sizeof(rsm), "%.1f us", ns / 1000.0);
			snprintf(base, sizeof(base), "%.1f us", sns / 1000.0);
			snprintf(ratio, sizeof(ratio), "%.2fx", ns / sns);
		}
		row(tests[i].name, rsm, base, ratio, "", -1);
	}
}

static int
tcp_setup(struct bench *b)
{
	int rc;

	if ((rc = rsm_get_controller("tcp0", &b->tctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(b->tctlr, b->node, b->segid,
	    RSM_PERM_RDWR, &b->timp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_init_barrier(b->timp, RSM_BAR_DEFAULT,
	    &b->tbar)) != RSM_SUCCESS) {
		printf("tcp0: %s\n", rsm_err_name(rc));
		return -1;
	}
	if (sockb_start(&b->sock, MIB) != 0) {
		printf("tcp0: cannot set up the plain TCP baseline\n");
		return -1;
	}
	return 0;
}

static void
tcp_teardown(struct bench *b)
{
	sockb_stop(&b->sock);
	if (b->timp != NULL) {
		(void)rsm_memseg_import_destroy_barrier(&b->tbar);
		(void)rsm_memseg_import_disconnect(b->timp);
	}
	if (b->tctlr != NULL)
		(void)rsm_release_controller(b->tctlr);
}

static void
control_rows(struct bench *b)
{
	char rsm[32], tgt[32];
	double ns;
	int rc;

	snprintf(tgt, sizeof(tgt), "< %.0f us", TGT_CONNECT_US);
	if ((rc = time_op(b, op_connect, 10, &ns)) != RSM_SUCCESS)
		error_row("connect+disconnect", rc, tgt);
	else {
		snprintf(rsm, sizeof(rsm), "%.1f us", ns / 1000.0);
		row("connect+disconnect", rsm, "", "", tgt,
		    ns / 1000.0 < TGT_CONNECT_US);
	}
	if ((rc = time_op(b, op_publish, 10, &ns)) != RSM_SUCCESS)
		error_row("publish+unpublish", rc, "");
	else {
		snprintf(rsm, sizeof(rsm), "%.1f us", ns / 1000.0);
		row("publish+unpublish", rsm, "", "", "", -1);
	}
}

/* ---- scale: many segments, many connects ---- */

static int
cmp_segid(const void *a, const void *b)
{
	rsm_memseg_id_t x = *(const rsm_memseg_id_t *)a;
	rsm_memseg_id_t y = *(const rsm_memseg_id_t *)b;

	return (x > y) - (x < y);
}

/*
 * How many of the n segments published with ids[] the daemon lists as
 * published by this process.  Matched by segment id because the listing
 * also holds this process's long-lived test segment, which must not count.
 */
static long
count_listed(const rsm_memseg_id_t *ids, uint32_t n)
{
	const char *path = getenv(RSM_SOCKET_ENV);
	struct adm_segments l;
	struct adm_conn c;
	rsm_memseg_id_t *sorted, id;
	long count = 0;
	size_t i;

	if (path == NULL || *path == '\0')
		path = RSM_DEFAULT_SOCKET;
	if ((sorted = malloc((n ? n : 1) * sizeof(*sorted))) == NULL)
		return -1;
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_segid);
	if (adm_open(&c, path) != 0) {
		free(sorted);
		return -1;
	}
	/* Listing 10,000 entries may take longer than one request. */
	c.deadline_ms += 25000;
	if (adm_get_segments(&c, &l) != 0) {
		adm_close(&c);
		free(sorted);
		return -1;
	}
	adm_close(&c);
	for (i = 0; i < l.n; i++) {
		id = l.seg[i].segid;
		if (l.seg[i].owner_pid == (uint32_t)getpid() &&
		    l.seg[i].published &&
		    bsearch(&id, sorted, n, sizeof(*sorted), cmp_segid) != NULL)
			count++;
	}
	free(l.seg);
	free(sorted);
	return count;
}

struct worker {
	pid_t	pid;
	int	in;	/* its stdin: segment ids, then "go" */
	int	out;	/* its stdout: "ready", then the result */
};

/* Read one line from a worker within timeout_ms; 0 on success. */
static int
read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

static int
spawn_worker(struct worker *w, rsm_node_id_t node, int ms)
{
	posix_spawn_file_actions_t fa;
	int to_child[2], from_child[2], rc;
	char node_s[16], ms_s[16];
	char *argv[] = { "rsm_perf", "--connect-worker", node_s, ms_s, NULL };

	snprintf(node_s, sizeof(node_s), "%u", node);
	snprintf(ms_s, sizeof(ms_s), "%d", ms);
	if (pipe2(to_child, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(from_child, O_CLOEXEC) != 0) {
		close(to_child[0]);
		close(to_child[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
	posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
	rc = posix_spawn(&w->pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(to_child[0]);
	close(from_child[1]);
	if (rc != 0) {
		close(to_child[1]);
		close(from_child[0]);
		errno = rc;
		return -1;
	}
	w->in = to_child[1];
	w->out = from_child[0];
	return 0;
}

/*
 * Connects per second from nworkers processes at once, each cycling
 * connect+disconnect over the given segments for ms milliseconds.
 */
static int
connect_rate(struct bench *b, const rsm_memseg_id_t *ids, uint32_t n,
    int nworkers, int ms, double *rate, char *err, size_t errlen)
{
	struct worker w[64];
	char line[128];
	unsigned long long count, total = 0, elapsed, longest = 0;
	int i, started = 0, ok = 0, wrc;

	if (nworkers > 64)
		nworkers = 64;
	for (i = 0; i < nworkers; i++, started++) {
		if (spawn_worker(&w[i], b->node, ms) != 0) {
			snprintf(err, errlen, "spawn: %s", strerror(errno));
			goto out;
		}
		if (bench_write_all(w[i].in, &n, sizeof(n)) != 0 ||
		    bench_write_all(w[i].in, ids, n * sizeof(ids[0])) != 0) {
			snprintf(err, errlen, "worker did not take its ids");
			started++;
			goto out;
		}
	}
	for (i = 0; i < nworkers; i++) {
		if (read_line(w[i].out, line, sizeof(line), 10000) != 0 ||
		    strcmp(line, "ready") != 0) {
			snprintf(err, errlen, "worker: %.100s", line[0] ? line :
			    "no answer");
			goto out;
		}
	}
	for (i = 0; i < nworkers; i++)
		if (bench_write_all(w[i].in, "g", 1) != 0) {
			snprintf(err, errlen, "worker vanished");
			goto out;
		}
	for (i = 0; i < nworkers; i++) {
		line[0] = '\0';
		if (read_line(w[i].out, line, sizeof(line), ms + 10000) != 0 ||
		    sscanf(line, "%llu %llu %d", &count, &elapsed, &wrc) != 3) {
			snprintf(err, errlen, "worker: no result");
			goto out;
		}
		if (wrc != RSM_SUCCESS) {
			snprintf(err, errlen, "error %s", rsm_err_name(wrc));
			goto out;
		}
		total += count;
		if (elapsed > longest)
			longest = elapsed;
	}
	*rate = longest ? (double)total * 1e9 / (double)longest : 0;
	ok = 1;
out:
	for (i = 0; i < started; i++) {
		close(w[i].in);
		close(w[i].out);
		if (!ok)
			kill(w[i].pid, SIGTERM);
		while (waitpid(w[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return ok ? 0 : -1;
}

static void
scale_rows(struct bench *b, uint32_t nseg, int nworkers, int ms)
{
	rsm_memseg_export_handle_t *h;
	rsm_memseg_id_t *ids;
	char test[64], rsm[64], base[32], ratio[32], tgt[32], err[128];
	uint64_t t0, t1, td;
	uint32_t i, made = 0;
	long listed;
	double rate, peer;
	char *mem;
	int rc = RSM_SUCCESS;

	h = calloc(nseg, sizeof(*h));
	ids = calloc(nseg, sizeof(*ids));
	mem = mmap(NULL, (size_t)nseg * b->page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == NULL || ids == NULL || mem == MAP_FAILED) {
		printf("scale: out of memory\n");
		free(h);
		free(ids);
		return;
	}
	snprintf(test, sizeof(test), "publish %u segments", nseg);
	snprintf(tgt, sizeof(tgt), "%u listed", TGT_SEGMENTS);
	t0 = rsm_now_ns();
	for (i = 0; i < nseg; i++) {
		rc = rsm_memseg_export_create(b->ctlr, &h[i],
		    mem + (size_t)i * b->page, b->page, 0);
		if (rc != RSM_SUCCESS)
			break;
		ids[i] = 0;
		rc = rsm_memseg_export_publish(h[i], &ids[i], NULL, 0);
		if (rc != RSM_SUCCESS) {
			rsm_memseg_export_destroy(h[i]);
			break;
		}
		made++;
		if (rsm_now_ns() - t0 > SCALE_BUDGET_NS)
			break;
	}
	t1 = rsm_now_ns();
	listed = count_listed(ids, made);
	if (rc != RSM_SUCCESS)
		printf("%-34s stopped after %u: %s\n", test, made,
		    rsm_err_name(rc));
	snprintf(rsm, sizeof(rsm), "%.2f s", (double)(t1 - t0) / 1e9);
	snprintf(test, sizeof(test), "publish %u segments (%.0f us each)",
	    made, made ? (double)(t1 - t0) / 1e3 / made : 0.0);
	row(test, rsm, "", "", "", -1);
	snprintf(rsm, sizeof(rsm), "%ld", listed);
	row("  listed by rsmd", rsm, "", "", tgt,
	    listed >= (long)TGT_SEGMENTS && (uint32_t)listed == made);

	snprintf(tgt, sizeof(tgt), ">= %.0f/s", TGT_CONNECTS_PER_S);
	snprintf(test, sizeof(test), "connects/s (%d processes)", nworkers);
	if (made == 0)
		error_row(test, rc, tgt);
	else if (connect_rate(b, ids, made, nworkers, ms, &rate, err,
	    sizeof(err)) != 0) {
		printf("%-34s %s\n", test, err);
		misses++;
	} else {
		/* The peer right after, with as many processes for as long. */
		base[0] = ratio[0] = '\0';
		if (unixb_rate(nworkers, ms, &peer) == 0 && peer > 0) {
			snprintf(base, sizeof(base), "%.0f/s", peer);
			snprintf(ratio, sizeof(ratio), "%.0f%%",
			    100.0 * rate / peer);
		} else
			snprintf(base, sizeof(base), "(failed)");
		snprintf(rsm, sizeof(rsm), "%.0f/s", rate);
		row(test, rsm, base, ratio, tgt, rate >= TGT_CONNECTS_PER_S);
	}

	t0 = rsm_now_ns();
	for (i = 0; i < made; i++) {
		if ((rc = rsm_memseg_export_unpublish(h[i])) != RSM_SUCCESS)
			printf("unpublish: %s\n", rsm_err_name(rc));
		if ((rc = rsm_memseg_export_destroy(h[i])) != RSM_SUCCESS)
			printf("destroy: %s\n", rsm_err_name(rc));
	}
	td = rsm_now_ns() - t0;
	snprintf(test, sizeof(test), "unpublish+destroy %u (%.0f us each)",
	    made, made ? (double)td / 1e3 / made : 0.0);
	snprintf(rsm, sizeof(rsm), "%.2f s", (double)td / 1e9);
	row(test, rsm, "", "", "", -1);
	munmap(mem, (size_t)nseg * b->page);
	free(h);
	free(ids);
}

/* ---- worker process for the connect rate ---- */

static int
connect_worker(const char *node_s, const char *ms_s)
{
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t h;
	rsm_memseg_id_t *ids;
	rsm_node_id_t node = (rsm_node_id_t)strtoul(node_s, NULL, 10);
	uint64_t t0, t, budget = strtoull(ms_s, NULL, 10) * 1000000ull;
	unsigned long long count = 0;
	uint32_t n, i;
	char go;
	int rc;

	if (bench_read_all(0, &n, sizeof(n)) != 0 || n == 0 || n > 10000000)
		return 1;
	if ((ids = calloc(n, sizeof(*ids))) == NULL ||
	    bench_read_all(0, ids, n * sizeof(*ids)) != 0)
		return 1;
	if ((rc = rsm_get_controller("loopback", &ctlr)) != RSM_SUCCESS) {
		printf("%s\n", rsm_err_name(rc));
		return 1;
	}
	/* First contact with the daemon happens before the clock starts. */
	rc = rsm_memseg_import_connect(ctlr, node, ids[0], RSM_PERM_RDWR, &h);
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_import_disconnect(h);
	if (rc != RSM_SUCCESS) {
		printf("%s\n", rsm_err_name(rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (bench_read_all(0, &go, 1) != 0)
		return 1;
	i = (uint32_t)getpid() % n;
	t0 = rsm_now_ns();
	do {
		for (int k = 0; k < 64; k++) {
			rc = rsm_memseg_import_connect(ctlr, node, ids[i],
			    RSM_PERM_RDWR, &h);
			if (rc == RSM_SUCCESS)
				rc = rsm_memseg_import_disconnect(h);
			if (rc != RSM_SUCCESS)
				break;
			count++;
			if (++i == n)
				i = 0;
		}
		t = rsm_now_ns();
	} while (rc == RSM_SUCCESS && t - t0 < budget);
	printf("%llu %llu %d\n", count, (unsigned long long)(t - t0), rc);
	fflush(stdout);
	rsm_release_controller(ctlr);
	free(ids);
	return 0;
}

/* ---- setup ---- */

static int
setup(struct bench *b)
{
	rsmapi_controller_attr_t attr;
	rsm_topology_t *topo;
	int rc;

	if ((rc = rsm_get_controller("loopback", &b->ctlr)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_perf: rsm_get_controller: %s (is rsmd "
		    "running? $%s)\n", rsm_err_name(rc), RSM_SOCKET_ENV);
		return -1;
	}
	if ((rc = rsm_get_controller_attr(b->ctlr, &attr)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_perf: rsm_get_controller_attr: %s\n",
		    rsm_err_name(rc));
		return -1;
	}
	b->page = attr.attr_page_size;
	if ((rc = rsm_get_interconnect_topology(&topo)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_perf: rsm_get_interconnect_topology: "
		    "%s\n", rsm_err_name(rc));
		return -1;
	}
	b->node = topo->topology_hdr.local_nodeid;
	rsm_free_interconnect_topology(topo);

	b->seg_mem = bench_map(BIG_SEG, 0x5a);
	b->pub_mem = bench_map(b->page, 0x5a);
	b->src = bench_map(BIG_SEG, 0x5a);
	b->dst = bench_map(BIG_SEG, 0x5a);
	if (b->seg_mem == NULL || b->pub_mem == NULL || b->src == NULL ||
	    b->dst == NULL) {
		fprintf(stderr, "rsm_perf: out of memory\n");
		return -1;
	}
	rc = rsm_memseg_export_create(b->ctlr, &b->exp, b->seg_mem, BIG_SEG,
	    0);
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_export_publish(b->exp, &b->segid, NULL, 0);
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_export_create(b->ctlr, &b->pub_exp,
		    b->pub_mem, b->page, 0);
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_import_connect(b->ctlr, b->node, b->segid,
		    RSM_PERM_RDWR, &b->imp);
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_import_init_barrier(b->imp, RSM_BAR_DEFAULT,
		    &b->bar);
	if (rc != RSM_SUCCESS) {
		fprintf(stderr, "rsm_perf: setting up the test segment: %s\n",
		    rsm_err_name(rc));
		return -1;
	}
	return 0;
}

static void
teardown(struct bench *b)
{
	int rc;

	if ((rc = rsm_memseg_import_destroy_barrier(&b->bar)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_disconnect(b->imp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_unpublish(b->exp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_destroy(b->exp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_destroy(b->pub_exp)) != RSM_SUCCESS ||
	    (rc = rsm_release_controller(b->ctlr)) != RSM_SUCCESS)
		fprintf(stderr, "rsm_perf: teardown: %s\n", rsm_err_name(rc));
}

/* Ten thousand segments mean ten thousand memfds on each side. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: rsm_perf [-s] [-r REPS] [-n SEGMENTS] "
	    "[-w WORKERS] [-t MS]\n");
	exit(2);
}

/* Options are decimal here; a bad one gets the usage line. */
static long
number(const char *s, long lo, long hi)
{
	long v;

	if (bench_parse_long(s, 10, lo, hi, &v) != 0)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	struct bench b;
	uint32_t nseg = TGT_SEGMENTS;
	int ch, nworkers = 4, ms = 2000, scale_only = 0;
	double memcpy8;
	int rc;

	if (argc == 4 && strcmp(argv[1], "--connect-worker") == 0)
		return connect_worker(argv[2], argv[3]);

	memset(&b, 0, sizeof(b));
	b.reps = 5;
	while ((ch = getopt(argc, argv, "n:r:st:w:")) != -1) {
		switch (ch) {
		case 's':
			/* Only the segment and connect rows, for tuning them. */
			scale_only = 1;
			break;
		case 'n':
			nseg = (uint32_t)number(optarg, 1, 60000);
			break;
		case 'r':
			b.reps = (int)number(optarg, 1, MAX_REPS);
			break;
		case 't':
			ms = (int)number(optarg, 100, 60000);
			break;
		case 'w':
			nworkers = (int)number(optarg, 1, 64);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	raise_fd_limit();
	/* A worker that dies must not take the benchmark with it. */
	signal(SIGPIPE, SIG_IGN);
	if (setup(&b) != 0)
		return 1;

	printf("rsm_perf: shm path through the loopback controller, node %u; "
	    "median of %d repetitions\n\n", b.node, b.reps);
	if (scale_only) {
		table_header("plain socket");
		scale_rows(&b, nseg, nworkers, ms);
		teardown(&b);
		printf("\n%d target%s missed\n", misses,
		    misses == 1 ? "" : "s");
		return 0;
	}
	table_header("memcpy");
	b.len = 8;
	if ((rc = time_op(&b, op_memcpy, 1000, &memcpy8)) != 0)
		return 1;
	latency_rows(&b, memcpy8);
	bandwidth_rows(&b);
	if (tcp_setup(&b) == 0)
		tcp_rows(&b);
	tcp_teardown(&b);
	printf("\n");
	table_header("plain socket");
	control_rows(&b);
	scale_rows(&b, nseg, nworkers, ms);
	teardown(&b);
	printf("\n%d target%s missed\n", misses, misses == 1 ? "" : "s");
	return 0;
}
