/*
 * soak_worker.c - one process of the soak workload (tests/soak/soak.sh).
 *
 *   soak_worker export SEGID NNODES STATS SEED
 *	exports a segment through tcp0, writes a header with a random
 *	incarnation, publishes it to nodes 1..NNODES (0666), waits for the
 *	importers' signals and posts some of its own; re-exports whenever
 *	its handle dies (rsmd died).
 *   soak_worker import CTLR NODE SEGID SLOT STATS SEED
 *	imports (NODE, SEGID) through CTLR (tcp0, or shm0 for a segment of
 *	this node, which adds a map), writes checksummed, numbered records
 *	into region SLOT with put, putv (and through the map) between
 *	explicit barriers, reads them back with get, getv (and through the
 *	map) and checks them, posts a signal after each acknowledged batch;
 *	reconnects after any error.
 *   soak_worker report STATS...
 *	sums the counters of the given stats files, one "key value" line
 *	each (see report()).
 *
 * Counters live in the STATS file, mapped shared, so that they survive a
 * kill -9 of the worker.  Every RSMAPI call is timed: one that takes
 * longer than $SOAK_BUDGET_MS (default 5000) beyond its own timeout is a
 * hang, reported by a watchdog thread while the call is still running.
 * SIGTERM stops a worker cleanly: an importer first reads back every
 * record it remembers, then both give back every handle and exit 0.
 *
 * A record is remembered once the close_barrier after its write
 * succeeded, together with the exporter's incarnation it was written to;
 * while the importer keeps meeting that incarnation (the exporter lived)
 * every remembered record must read back exactly.  A record whose write
 * failed is forgotten: its bytes are unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_err.h"

/* The segment: a header page, then one region per importer slot. */
#define SEG_MAGIC	0x314745534b414f53ull	/* "SOAKSEG1" */
#define REC_MAGIC	0x52454331u		/* "1CER" */
#define MAX_SLOTS	9			/* slot 0: same node; 1..8 */
#define REGION		32768
#define RECSZ		256
#define NPOS		(REGION / RECSZ)
#define HDRSZ		4096
#define SEGSZ		(HDRSZ + MAX_SLOTS * REGION)
#define MAX_BATCH	4

/* The RSMAPI functions the workload calls, by their man page names. */
#define FN_LIST(X) \
	X(rsm_get_controller) X(rsm_release_controller) \
	X(rsm_memseg_export_create) X(rsm_memseg_export_destroy) \
	X(rsm_memseg_export_publish) X(rsm_memseg_export_unpublish) \
	X(rsm_memseg_import_connect) X(rsm_memseg_import_disconnect) \
	X(rsm_memseg_import_map) X(rsm_memseg_import_unmap) \
	X(rsm_memseg_import_init_barrier) X(rsm_memseg_import_destroy_barrier) \
	X(rsm_memseg_import_set_mode) X(rsm_memseg_import_open_barrier) \
	X(rsm_memseg_import_close_barrier) \
	X(rsm_memseg_import_put) X(rsm_memseg_import_putv) \
	X(rsm_memseg_import_get) X(rsm_memseg_import_getv) \
	X(rsm_intr_signal_post) X(rsm_intr_signal_wait) \
	X(map_write) X(map_read)

#define FN_ENUM(n) FN_##n,
enum fn { FN_LIST(FN_ENUM) FN_MAX };
#define FN_NAME(n) #n,
static const char *const fn_names[FN_MAX] = { FN_LIST(FN_NAME) };

/* Return codes 0..ERR_SLOTS-2 by number; anything else in the last slot. */
#define ERR_SLOTS	136
#define ERR_OTHER	(ERR_SLOTS - 1)

#define STATS_MAGIC	0x5354414b414f53ull

struct stats {
	uint64_t magic;
	uint64_t pid;
	uint64_t calls[FN_MAX];
	uint64_t errs[FN_MAX][ERR_SLOTS];
	uint64_t undocumented;		/* codes not in rsmapi.h */
	uint64_t acked;			/* records acknowledged by close_barrier */
	uint64_t verified;		/* remembered records read back intact */
	uint64_t corrupt;
	uint64_t hangs;
	uint64_t slowest_ms;
	uint64_t connects;		/* successful (re)connects or exports */
	uint64_t incarnations;		/* exporter incarnations met */
	uint64_t forgotten;		/* remembered records of a dead exporter */
	uint64_t signals;		/* events received */
	uint64_t stopped;		/* 1 once a SIGTERM stop completed */
	/* The call in progress, for the watchdog: 0 when none. */
	_Atomic uint64_t call_since_ms;
	_Atomic uint64_t call_allow_ms;
	_Atomic uint32_t call_fn;
	_Atomic uint32_t call_flagged;
};

static struct stats *st;
static uint64_t budget_ms = 5000;
/* $SOAK_INJECT: "corrupt" or "hang", to see the checks fail (README). */
static const char *inject = "";
static atomic_int stopping;
static uint64_t rng;
static const char *who = "worker";

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The log's clock: the driver prints its faults on the same one. */
static uint64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
rnd(void)
{
	/* xorshift64*: reproducible from the seed the driver passes. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned
rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Pacing of the workload (not a wait for anything). */
static void
pace_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void
event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line of the worker's log, with its name and the monotonic time. */
static void
event(const char *fmt, ...)
{
	va_list ap;

	printf("%" PRIu64 " %s[%d] ", realtime_ms(), who, (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
call_begin(enum fn f, unsigned allow_ms)
{
	atomic_store(&st->call_fn, (uint32_t)f);
	atomic_store(&st->call_allow_ms, allow_ms);
	atomic_store(&st->call_flagged, 0);
	atomic_store(&st->call_since_ms, now_ms());
}

/* Counts the call and its result; flags it when it overran its budget. */
static int
call_end(enum fn f, int rc)
{
	uint64_t t0 = atomic_load(&st->call_since_ms);
	uint64_t dt = now_ms() - t0;
	uint64_t allow = atomic_load(&st->call_allow_ms);

	atomic_store(&st->call_since_ms, 0);
	if (dt > st->slowest_ms)
		st->slowest_ms = dt;
	if (dt > allow + budget_ms &&
	    atomic_exchange(&st->call_flagged, 1) == 0) {
		st->hangs++;
		event("HANG %s returned %s after %" PRIu64 " ms",
		    fn_names[f], rsm_err_name(rc), dt);
	}
	st->calls[f]++;
	if (rc != RSM_SUCCESS) {
		const char *name = rsm_err_name(rc);

		if (rc < 0 || rc >= ERR_OTHER ||
		    strncmp(name, "unknown", 7) == 0) {
			st->errs[f][ERR_OTHER]++;
			st->undocumented++;
			event("UNDOCUMENTED %s returned %d", fn_names[f], rc);
		} else
			st->errs[f][rc]++;
	}
	return rc;
}

/* Every RSMAPI call of the workload goes through this. */
#define CALL(f, allow, expr) \
	(call_begin(FN_##f, (allow)), call_end(FN_##f, (expr)))

/*
 * The watchdog: every 100 ms it looks at the call in progress, and it is
 * the one thread that takes SIGTERM (blocked everywhere else, so that no
 * RSMAPI call is interrupted by it).
 */
static void *
watchdog(void *arg)
{
	sigset_t *set = arg;
	struct timespec tick = { 0, 100 * 1000000 };

	for (;;) {
		uint64_t t0, allow;

		if (sigtimedwait(set, NULL, &tick) == SIGTERM)
			atomic_store(&stopping, 1);
		t0 = atomic_load(&st->call_since_ms);
		allow = atomic_load(&st->call_allow_ms);
		if (t0 != 0 && now_ms() - t0 > allow + budget_ms &&
		    atomic_exchange(&st->call_flagged, 1) == 0) {
			st->hangs++;
			event("HANG %s still running after %" PRIu64 " ms",
			    fn_names[atomic_load(&st->call_fn)],
			    now_ms() - t0);
		}
	}
	return NULL;
}

static struct stats *
stats_open(const char *path, int create)
{
	struct stats *s;
	int fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC : O_RDONLY,
	    0644);

	if (fd < 0)
		return NULL;
	if (create && ftruncate(fd, sizeof(*s)) != 0) {
		close(fd);
		return NULL;
	}
	s = mmap(NULL, sizeof(*s), create ? PROT_READ | PROT_WRITE : PROT_READ,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED)
		return NULL;
	return s;
}

static void
start(const char *path, const char *seed)
{
	static sigset_t set;
	pthread_t t;
	const char *b = getenv("SOAK_BUDGET_MS");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (b != NULL && *b != '\0')
		budget_ms = strtoull(b, NULL, 0);
	if ((b = getenv("SOAK_INJECT")) != NULL)
		inject = b;
	rng = strtoull(seed, NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
	if ((st = stats_open(path, 1)) == NULL) {
		perror(path);
		exit(3);
	}
	st->magic = STATS_MAGIC;
	st->pid = (uint64_t)getpid();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, watchdog, &set) != 0)
		exit(3);
}

/* FNV-1a, 64 bits. */
static uint64_t
fnv(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct hdr {
	uint64_t magic;
	uint64_t incarnation;
};

struct rec {
	uint32_t magic;
	uint32_t pos;
	uint64_t writer;
	uint64_t seq;
	uint8_t payload[RECSZ - 32];
	uint64_t sum;			/* of every byte before it */
};

_Static_assert(sizeof(struct rec) == RECSZ, "a record fills its place");

/* ---- exporter ---- */

static int
exporter(int argc, char **argv)
{
	rsmapi_access_entry_t acl[MAX_SLOTS];
	rsmapi_controller_handle_t c = NULL;
	rsm_memseg_export_handle_t h = NULL;
	rsm_memseg_id_t segid, id;
	struct hdr *hd;
	unsigned n, i;
	char *mem;
	int rc;

	if (argc != 4)
		return 2;
	who = "exporter";
	segid = (rsm_memseg_id_t)strtoul(argv[0], NULL, 0);
	n = (unsigned)strtoul(argv[1], NULL, 0);
	if (n < 1 || n > MAX_SLOTS - 1)
		return 2;
	start(argv[2], argv[3]);
	for (i = 0; i < n; i++) {
		acl[i].ae_node = i + 1;
		acl[i].ae_permission = 0666;
	}
	mem = mmap(NULL, SEGSZ, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 3;
	hd = (struct hdr *)mem;
	hd->magic = SEG_MAGIC;
	/* What importers tell this exporter's life by. */
	hd->incarnation = rnd() ^ ((uint64_t)getpid() << 32) ^ now_ms();
	event("incarnation %016" PRIx64, hd->incarnation);

	while (!atomic_load(&stopping)) {
		if (c == NULL && CALL(rsm_get_controller, 0,
		    rsm_get_controller("tcp0", &c)) != RSM_SUCCESS) {
			c = NULL;
			pace_us(50000);
			continue;
		}
		if (h == NULL) {
			rc = CALL(rsm_memseg_export_create, 0,
			    rsm_memseg_export_create(c, &h, mem, SEGSZ, 0));
			if (rc != RSM_SUCCESS) {
				h = NULL;
				/* A daemon that died needs a new controller. */
				(void)CALL(rsm_release_controller, 0,
				    rsm_release_controller(c));
				c = NULL;
				pace_us(50000);
				continue;
			}
			id = segid;
			rc = CALL(rsm_memseg_export_publish, 0,
			    rsm_memseg_export_publish(h, &id, acl, n));
			if (rc != RSM_SUCCESS) {
				(void)CALL(rsm_memseg_export_destroy, 0,
				    rsm_memseg_export_destroy(h));
				h = NULL;
				pace_us(50000);
				continue;
			}
			st->connects++;
			event("published %#x", segid);
		}
		rc = CALL(rsm_intr_signal_wait, 100,
		    rsm_intr_signal_wait(h, 100));
		if (rc == RSM_SUCCESS) {
			st->signals++;
			/* Now and then wake the importers back. */
			if (rnd_below(16) == 0 && CALL(rsm_intr_signal_post, 0,
			    rsm_intr_signal_post(h, 0)) != RSM_SUCCESS)
				rc = RSMERR_CONN_ABORTED;
			else
				continue;
		}
		if (rc == RSMERR_TIMEOUT)
			continue;
		event("export handle lost (%s), exporting again",
		    rsm_err_name(rc));
		(void)CALL(rsm_memseg_export_unpublish, 0,
		    rsm_memseg_export_unpublish(h));
		(void)CALL(rsm_memseg_export_destroy, 0,
		    rsm_memseg_export_destroy(h));
		h = NULL;
		(void)CALL(rsm_release_controller, 0, rsm_release_controller(c));
		c = NULL;
	}
	if (h != NULL) {
		(void)CALL(rsm_memseg_export_unpublish, 0,
		    rsm_memseg_export_unpublish(h));
		(void)CALL(rsm_memseg_export_destroy, 0,
		    rsm_memseg_export_destroy(h));
	}
	if (c != NULL)
		(void)CALL(rsm_release_controller, 0, rsm_release_controller(c));
	st->stopped = 1;
	event("stopped");
	return 0;
}

/* ---- importer ---- */

struct known {
	uint64_t seq;
	uint64_t sum;
	uint64_t conn;			/* the connection it was written on */
	int valid;
};

static struct {
	const char *ctlr;
	rsm_node_id_t node;
	rsm_memseg_id_t segid;
	unsigned slot;
	int shm;			/* same node through shm0: map too */
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t h;
	rsmapi_barrier_t bar;
	int have_bar;
	char *map;
	uint64_t writer, seq, incarnation;
	uint64_t conn;			/* connections made so far */
	uint64_t lost_ms[8];		/* when connection N%8 was lost... */
	int lost_rc[8];			/* ...and by which error */
	int last_rc;
	struct known known[NPOS];
	struct rec out[MAX_BATCH], in[MAX_BATCH];
} im;

static off_t
rec_off(unsigned pos)
{
	return (off_t)(HDRSZ + (size_t)im.slot * REGION + (size_t)pos * RECSZ);
}

static void
rec_make(struct rec *r, unsigned pos)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->magic = REC_MAGIC;
	r->pos = pos;
	r->writer = im.writer;
	r->seq = ++im.seq;
	for (i = 0; i < sizeof(r->payload); i++)
		r->payload[i] = (uint8_t)(r->seq * 131u + i * 7u + pos);
	r->sum = fnv(r, offsetof(struct rec, sum));
}

static void
forget_all(void)
{
	unsigned i;

	for (i = 0; i < NPOS; i++) {
		if (im.known[i].valid)
			st->forgotten++;
		im.known[i].valid = 0;
	}
}

static void
teardown(void)
{
	if (im.h != NULL) {
		im.lost_ms[im.conn % 8] = realtime_ms();
		im.lost_rc[im.conn % 8] = im.last_rc;
		if (im.map != NULL)
			(void)CALL(rsm_memseg_import_unmap, 0,
			    rsm_memseg_import_unmap(im.h));
		if (im.have_bar)
			(void)CALL(rsm_memseg_import_destroy_barrier, 0,
			    rsm_memseg_import_destroy_barrier(&im.bar));
		(void)CALL(rsm_memseg_import_disconnect, 0,
		    rsm_memseg_import_disconnect(im.h));
	}
	im.h = NULL;
	im.map = NULL;
	im.have_bar = 0;
}

/* Reads [off, off+len) between barriers: 0 when both succeeded. */
static int
read_range(off_t off, void *dst, size_t len, int how)
{
	int rc, rc2;

	if ((rc = CALL(rsm_memseg_import_open_barrier, 0,
	    rsm_memseg_import_open_barrier(&im.bar))) != RSM_SUCCESS)
		return rc;
	if (how == 2 && im.map != NULL) {
		memcpy(dst, im.map + off, len);
		rc = CALL(map_read, 0, RSM_SUCCESS);
	} else
		rc = CALL(rsm_memseg_import_get, 0,
		    rsm_memseg_import_get(im.h, off, dst, len));
	rc2 = CALL(rsm_memseg_import_close_barrier, 0,
	    rsm_memseg_import_close_barrier(&im.bar));
	return rc != RSM_SUCCESS ? rc : rc2;
}

static int
connect_import(void)
{
	struct hdr hd;
	void *addr = NULL;
	int rc;

	if (im.c == NULL && CALL(rsm_get_controller, 0,
	    rsm_get_controller((char *)im.ctlr, &im.c)) != RSM_SUCCESS) {
		im.c = NULL;
		return -1;
	}
	rc = CALL(rsm_memseg_import_connect, 0,
	    rsm_memseg_import_connect(im.c, im.node, im.segid, RSM_PERM_RDWR,
	    &im.h));
	if (rc != RSM_SUCCESS) {
		im.h = NULL;
		/* After a daemon death the controller handle is stale. */
		if (rc == RSMERR_CONN_ABORTED || rc == RSMERR_CTLR_NOT_PRESENT ||
		    rc == RSMERR_BAD_CTLR_HNDL) {
			(void)CALL(rsm_release_controller, 0,
			    rsm_release_controller(im.c));
			im.c = NULL;
		}
		return -1;
	}
	im.conn++;
	im.last_rc = RSM_SUCCESS;
	if (CALL(rsm_memseg_import_init_barrier, 0,
	    rsm_memseg_import_init_barrier(im.h, RSM_BAR_DEFAULT, &im.bar)) !=
	    RSM_SUCCESS)
		goto fail;
	im.have_bar = 1;
	if (CALL(rsm_memseg_import_set_mode, 0, rsm_memseg_import_set_mode(
	    im.h, RSM_BARRIER_MODE_EXPLICIT)) != RSM_SUCCESS)
		goto fail;
	if (im.shm) {
		if (CALL(rsm_memseg_import_map, 0, rsm_memseg_import_map(im.h,
		    &addr, RSM_MAP_NONE, RSM_PERM_RDWR, 0, SEGSZ)) !=
		    RSM_SUCCESS)
			goto fail;
		im.map = addr;
	}
	if (read_range(0, &hd, sizeof(hd), rnd_below(3)) != RSM_SUCCESS)
		goto fail;
	if (hd.magic != SEG_MAGIC) {
		/* The exporter writes its header before it publishes. */
		st->corrupt++;
		event("CORRUPT segment header of %u:%#x reads %016" PRIx64
		    " %016" PRIx64, im.node, im.segid, hd.magic,
		    hd.incarnation);
		goto fail;
	}
	if (hd.incarnation != im.incarnation) {
		/* A new exporter: what the old one held is gone with it. */
		forget_all();
		im.incarnation = hd.incarnation;
		st->incarnations++;
		event("connected to %u:%#x incarnation %016" PRIx64,
		    im.node, im.segid, hd.incarnation);
	}
	st->connects++;
	return 0;
fail:
	teardown();
	return -1;
}

/*
 * Writes the records of positions pos[0..k) between barriers, by one put
 * of consecutive positions, a putv or the map; 0 when acknowledged.
 */
static int
write_batch(const unsigned *pos, unsigned k, int how)
{
	rsm_iovec_t iov[MAX_BATCH];
	rsm_scat_gath_t sg;
	unsigned i;
	int rc, rc2;

	for (i = 0; i < k; i++)
		rec_make(&im.out[i], pos[i]);
	if ((rc = CALL(rsm_memseg_import_open_barrier, 0,
	    rsm_memseg_import_open_barrier(&im.bar))) != RSM_SUCCESS)
		return rc;
	if (how == 0) {
		/* pos[] is consecutive for a put. */
		rc = CALL(rsm_memseg_import_put, 0, rsm_memseg_import_put(im.h,
		    rec_off(pos[0]), im.out, (size_t)k * RECSZ));
	} else if (how == 1) {
		memset(&sg, 0, sizeof(sg));
		for (i = 0; i < k; i++) {
			iov[i].io_type = RSM_VA_TYPE;
			iov[i].local.vaddr = (caddr_t)&im.out[i];
			iov[i].local_offset = 0;
			iov[i].remote_offset = (size_t)rec_off(pos[i]);
			iov[i].transfer_length = RECSZ;
		}
		sg.io_request_count = k;
		sg.remote_handle = im.h;
		sg.iovec = iov;
		rc = CALL(rsm_memseg_import_putv, 0,
		    rsm_memseg_import_putv(&sg));
	} else {
		for (i = 0; i < k; i++)
			memcpy(im.map + rec_off(pos[i]), &im.out[i], RECSZ);
		rc = CALL(map_write, 0, RSM_SUCCESS);
	}
	rc2 = CALL(rsm_memseg_import_close_barrier, 0,
	    rsm_memseg_import_close_barrier(&im.bar));
	return rc != RSM_SUCCESS ? rc : rc2;
}

/* Reads back positions pos[0..k) and checks every remembered one. */
static int
verify(const unsigned *pos, unsigned k, int how)
{
	rsm_iovec_t iov[MAX_BATCH];
	rsm_scat_gath_t sg;
	unsigned i;
	int rc, rc2;

	memset(im.in, 0, sizeof(im.in));
	if (how != 1)
		for (i = 0; i < k; i++)
			if ((rc = read_range(rec_off(pos[i]), &im.in[i], RECSZ,
			    how)) != RSM_SUCCESS)
				return rc;
	if (how == 1) {
		if ((rc = CALL(rsm_memseg_import_open_barrier, 0,
		    rsm_memseg_import_open_barrier(&im.bar))) != RSM_SUCCESS)
			return rc;
		memset(&sg, 0, sizeof(sg));
		for (i = 0; i < k; i++) {
			iov[i].io_type = RSM_VA_TYPE;
			iov[i].local.vaddr = (caddr_t)&im.in[i];
			iov[i].local_offset = 0;
			iov[i].remote_offset = (size_t)rec_off(pos[i]);
			iov[i].transfer_length = RECSZ;
		}
		sg.io_request_count = k;
		sg.remote_handle = im.h;
		sg.iovec = iov;
		rc = CALL(rsm_memseg_import_getv, 0,
		    rsm_memseg_import_getv(&sg));
		rc2 = CALL(rsm_memseg_import_close_barrier, 0,
		    rsm_memseg_import_close_barrier(&im.bar));
		if (rc == RSM_SUCCESS)
			rc = rc2;
		if (rc != RSM_SUCCESS)
			return rc;
	}
	for (i = 0; i < k; i++) {
		struct known *kn = &im.known[pos[i]];
		struct rec *r = &im.in[i];

		if (!kn->valid)
			continue;
		if (strcmp(inject, "corrupt") == 0 && rnd_below(500) == 0)
			r->payload[0] ^= 1;
		if (r->magic == REC_MAGIC && r->pos == pos[i] &&
		    r->writer == im.writer && r->seq == kn->seq &&
		    r->sum == kn->sum &&
		    fnv(r, offsetof(struct rec, sum)) == kn->sum) {
			st->verified++;
			continue;
		}
		st->corrupt++;
		event("CORRUPT %u:%#x slot %u pos %u (%s, incarnation %016"
		    PRIx64 "): want seq %" PRIu64 " sum %016" PRIx64
		    ", read magic %08x pos %u writer %016" PRIx64 " seq %"
		    PRIu64 " sum %016" PRIx64 " (computed %016" PRIx64 ")",
		    im.node, im.segid, im.slot, pos[i],
		    how == 0 ? "get" : how == 1 ? "getv" : "map",
		    im.incarnation, kn->seq, kn->sum, r->magic, r->pos,
		    r->writer, r->seq, r->sum,
		    fnv(r, offsetof(struct rec, sum)));
		if (kn->conn != im.conn)
			event("CORRUPT ... written on connection %" PRIu64
			    ", lost at %" PRIu64 " by %s; read on connection %"
			    PRIu64, kn->conn, im.lost_ms[kn->conn % 8],
			    rsm_err_name(im.lost_rc[kn->conn % 8]), im.conn);
		/* Counted once: its next good write replaces it. */
		kn->valid = 0;
	}
	return RSM_SUCCESS;
}

/* At the end: every remembered record, while the exporter still lives. */
static void
final_sweep(void)
{
	unsigned p, k, pos[MAX_BATCH], left = 0;

	for (p = 0; p < NPOS; p++)
		left += im.known[p].valid != 0;
	if (im.h == NULL)
		return;
	event("final sweep of %u remembered records", left);
	for (p = 0; p < NPOS; p += k) {
		for (k = 0; k < MAX_BATCH && p + k < NPOS; k++)
			pos[k] = p + k;
		if (verify(pos, k, rnd_below(im.shm ? 3 : 2)) != RSM_SUCCESS) {
			event("final sweep stopped at %u", p);
			return;
		}
	}
}

/* SOAK_INJECT=hang: a call that overruns the budget. */
static int
stall(void)
{
	pace_us((unsigned)(budget_ms + 500) * 1000);
	return RSM_SUCCESS;
}

static int
importer(int argc, char **argv)
{
	unsigned pace = 3000, pos[MAX_BATCH + 1], k, i, n;
	const char *p = getenv("SOAK_PACE_US");
	int rc, how;

	if (argc != 6)
		return 2;
	who = "importer";
	im.ctlr = argv[0];
	im.node = (rsm_node_id_t)strtoul(argv[1], NULL, 0);
	im.segid = (rsm_memseg_id_t)strtoul(argv[2], NULL, 0);
	im.slot = (unsigned)strtoul(argv[3], NULL, 0);
	im.shm = strncmp(im.ctlr, "shm", 3) == 0;
	if (im.slot >= MAX_SLOTS)
		return 2;
	start(argv[4], argv[5]);
	if (p != NULL && *p != '\0')
		pace = (unsigned)strtoul(p, NULL, 0);
	/* Tells this process's records from a predecessor's in the slot. */
	im.writer = rnd() ^ ((uint64_t)getpid() << 40) ^ now_ms();

	while (!atomic_load(&stopping)) {
		if (im.h == NULL && connect_import() != 0) {
			pace_us(20000 + rnd_below(30000));
			continue;
		}
		/* A batch: consecutive for put and the map, scattered for putv. */
		how = (int)rnd_below(im.shm ? 3 : 2);
		k = 1 + rnd_below(MAX_BATCH);
		pos[0] = rnd_below(NPOS - k + 1);
		for (i = 1; i < k; i++)
			pos[i] = how == 1 ? (pos[i - 1] + 1 +
			    rnd_below(3)) % NPOS : pos[0] + i;
		/* putv positions must differ: drop the batch to its unique prefix. */
		for (i = 1; i < k; i++) {
			unsigned j;

			for (j = 0; j < i && pos[j] != pos[i]; j++)
				;
			if (j < i)
				break;
		}
		k = i;
		rc = write_batch(pos, k, how);
		for (i = 0; i < k; i++) {
			struct known *kn = &im.known[pos[i]];

			kn->valid = rc == RSM_SUCCESS;
			kn->conn = im.conn;
			kn->seq = im.out[i].seq;
			kn->sum = im.out[i].sum;
		}
		if (rc != RSM_SUCCESS) {
			im.last_rc = rc;
			teardown();
			continue;
		}
		st->acked += k;
		if (CALL(rsm_intr_signal_post, 0,
		    rsm_intr_signal_post(im.h, 0)) != RSM_SUCCESS) {
			im.last_rc = RSMERR_CONN_ABORTED;
			teardown();
			continue;
		}
		/* Read back the batch and one older record. */
		n = k;
		pos[n] = rnd_below(NPOS);
		for (i = 0; i < n && pos[i] != pos[n]; i++)
			;
		if (i == n && n < MAX_BATCH)
			n++;
		if ((rc = verify(pos, n, (int)rnd_below(im.shm ? 3 : 2))) !=
		    RSM_SUCCESS) {
			im.last_rc = rc;
			teardown();
			continue;
		}
		if (strcmp(inject, "hang") == 0 && rnd_below(2000) == 0)
			(void)CALL(map_write, 0, stall());
		rc = CALL(rsm_intr_signal_wait, 0, rsm_intr_signal_wait(im.h, 0));
		if (rc == RSM_SUCCESS)
			st->signals++;
		else if (rc != RSMERR_TIMEOUT) {
			im.last_rc = rc;
			teardown();
			continue;
		}
		pace_us(pace);
	}
	final_sweep();
	teardown();
	if (im.c != NULL)
		(void)CALL(rsm_release_controller, 0,
		    rsm_release_controller(im.c));
	st->stopped = 1;
	event("stopped: acked %" PRIu64 " verified %" PRIu64 " corrupt %"
	    PRIu64, st->acked, st->verified, st->corrupt);
	return 0;
}

/* ---- report ---- */

/*
 * Sums the stats files: "calls FN N", "err FN NAME N" (NAME "other" for
 * codes outside rsmapi.h), then one line per total.  A call still running
 * in a worker that was killed is not looked at: the watchdog counted it
 * if it overran while the worker lived, and a worker that does not stop
 * on SIGTERM is the driver's to count.
 */
static int
report(int argc, char **argv)
{
	static struct stats sum;
	int i, f, e, files = 0;

	for (i = 0; i < argc; i++) {
		struct stats *s = stats_open(argv[i], 0);

		if (s == NULL || s->magic != STATS_MAGIC) {
			fprintf(stderr, "%s: not a stats file\n", argv[i]);
			continue;
		}
		files++;
		for (f = 0; f < FN_MAX; f++) {
			sum.calls[f] += s->calls[f];
			for (e = 0; e < ERR_SLOTS; e++)
				sum.errs[f][e] += s->errs[f][e];
		}
		sum.undocumented += s->undocumented;
		sum.acked += s->acked;
		sum.verified += s->verified;
		sum.corrupt += s->corrupt;
		sum.hangs += s->hangs;
		sum.connects += s->connects;
		sum.incarnations += s->incarnations;
		sum.forgotten += s->forgotten;
		sum.signals += s->signals;
		sum.stopped += s->stopped;
		if (s->slowest_ms > sum.slowest_ms)
			sum.slowest_ms = s->slowest_ms;
		munmap(s, sizeof(*s));
	}
	for (f = 0; f < FN_MAX; f++) {
		if (sum.calls[f] != 0)
			printf("calls %s %" PRIu64 "\n", fn_names[f],
			    sum.calls[f]);
		for (e = 0; e < ERR_SLOTS; e++)
			if (sum.errs[f][e] != 0)
				printf("err %s %s %" PRIu64 "\n", fn_names[f],
				    e == ERR_OTHER ? "other" : rsm_err_name(e),
				    sum.errs[f][e]);
	}
	printf("files %d\n", files);
	printf("acked %" PRIu64 "\n", sum.acked);
	printf("verified %" PRIu64 "\n", sum.verified);
	printf("corrupt %" PRIu64 "\n", sum.corrupt);
	printf("hangs %" PRIu64 "\n", sum.hangs);
	printf("undocumented %" PRIu64 "\n", sum.undocumented);
	printf("slowest_ms %" PRIu64 "\n", sum.slowest_ms);
	printf("connects %" PRIu64 "\n", sum.connects);
	printf("incarnations %" PRIu64 "\n", sum.incarnations);
	printf("forgotten %" PRIu64 "\n", sum.forgotten);
	printf("signals %" PRIu64 "\n", sum.signals);
	printf("stopped %" PRIu64 "\n", sum.stopped);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return exporter(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return importer(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return report(argc - 2, argv + 2);
	fprintf(stderr, "usage: soak_worker export SEGID NNODES STATS SEED\n"
	    "       soak_worker import CTLR NODE SEGID SLOT STATS SEED\n"
	    "       soak_worker report STATS...\n");
	return 2;
}
