/*
 * scale_worker.c - the workload of the scale cluster (tests/scale/scale.sh),
 * one process per node and role.
 *
 *   scale_worker export SEGID NODE NNODES
 *	exports a segment through tcp0 and publishes it as SEGID to every
 *	node (no access list, umask 0): a header, a pattern only NODE's
 *	segment holds, then one record slot per node 1..NNODES.  Prints
 *	"ready BYTES", then on each SIGUSR1 one line
 *	"report SEQ ring=W,... all=K bad=B hdr=ok|bad" (the writers of the
 *	ring records it holds, how many all-to-one records, how many slots
 *	hold a broken record, whether header and pattern are intact); exits
 *	0 on SIGTERM, or when its parent dies.
 *   scale_worker import NODE SEGID SELF NNODES PHASE
 *	connects to NODE's SEGID through tcp0, writes SELF's record of
 *	PHASE (ring or all) into slot SELF between explicit barriers, reads
 *	it back and checks it, reads NODE's pattern and checks it; prints
 *	"ok PHASE node=SELF target=NODE connect_us=C total_us=T", else
 *	"FAIL ..." and exit status 1.
 *   scale_worker lat NODE SEGID COUNT
 *	COUNT times rsm_memseg_import_connect + disconnect to NODE's SEGID
 *	through tcp0; prints "lat first_us=F median_us=M max_us=X n=N",
 *	where the median and the maximum leave out the first pair (which
 *	may set up the peer link), else "FAIL ..." and exit status 1.
 *
 * Every process gives up after $SCALE_WORKER_TIMEOUT_S seconds (default
 * 120) through alarm(), so that the driver's waits are bounded.
 */
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_err.h"

#define SEG_MAGIC	0x314c414353475352ull	/* "RSGSCAL1" */
#define REC_MAGIC	0x31434552u		/* "REC1" */
#define HDRSZ		4096
#define PATSZ		16384
#define RECSZ		512
#define PHASE_RING	1u
#define PHASE_ALL	2u
#define NODES_MAX	4096u
#define LAT_MAX		10000

struct hdr {
	uint64_t magic;
	uint64_t node;
	uint64_t nnodes;
};

struct rec {
	uint32_t magic;
	uint32_t phase;
	uint64_t writer;
	uint64_t nonce;
	uint8_t	 payload[RECSZ - 32];
	uint64_t sum;			/* of every byte before it */
};

_Static_assert(sizeof(struct rec) == RECSZ, "a record fills its slot");

static char ctlr_name[] = "tcp0";

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
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

/* The pattern of node's segment: differs per node and per byte. */
static void
pattern(uint8_t *p, uint64_t node)
{
	size_t i;

	for (i = 0; i < PATSZ; i++)
		p[i] = (uint8_t)(node * 151u + i * 7u + (i >> 8) + (node >> 8));
}

static size_t
seg_size(unsigned nnodes)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = HDRSZ + PATSZ + (size_t)nnodes * RECSZ;

	return (n + pg - 1) / pg * pg;
}

static off_t
slot_off(unsigned slot)
{
	return (off_t)(HDRSZ + PATSZ + (size_t)(slot - 1) * RECSZ);
}

static void
rec_make(struct rec *r, uint32_t phase, uint64_t writer, uint64_t nonce)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->magic = REC_MAGIC;
	r->phase = phase;
	r->writer = writer;
	r->nonce = nonce;
	for (i = 0; i < sizeof(r->payload); i++)
		r->payload[i] = (uint8_t)(nonce * 131u + i * 7u + writer);
	r->sum = fnv(r, offsetof(struct rec, sum));
}

static int
rec_valid(const struct rec *r, uint64_t writer)
{
	struct rec want;

	if (r->magic != REC_MAGIC || r->writer != writer)
		return 0;
	rec_make(&want, r->phase, r->writer, r->nonce);
	return memcmp(&want, r, sizeof(want)) == 0;
}

static unsigned
number(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "scale_worker: bad number %s\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static void
fail(const char *what, int rc)
{
	printf("FAIL %s: %s (%d)\n", what, rsm_err_name(rc), rc);
	exit(1);
}

/* ---- exporter ---- */

static void
report(const char *mem, unsigned node, unsigned nnodes, unsigned seq)
{
	const struct hdr *h = (const void *)mem;
	uint8_t pat[PATSZ];
	unsigned s, all = 0, bad = 0, ring = 0;
	int intact;

	pattern(pat, node);
	intact = h->magic == SEG_MAGIC && h->node == node &&
	    h->nnodes == nnodes && memcmp(mem + HDRSZ, pat, PATSZ) == 0;
	printf("report %u ring=", seq);
	for (s = 1; s <= nnodes; s++) {
		const struct rec *r = (const void *)(mem + slot_off(s));

		if (r->magic == 0)
			continue;
		if (!rec_valid(r, s) ||
		    (r->phase != PHASE_RING && r->phase != PHASE_ALL)) {
			bad++;
			continue;
		}
		if (r->phase == PHASE_ALL) {
			all++;
			continue;
		}
		printf("%s%u", ring++ ? "," : "", s);
	}
	printf(" all=%u bad=%u hdr=%s\n", all, bad, intact ? "ok" : "bad");
	fflush(stdout);
}

static int
exporter(int argc, char **argv)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t h;
	rsm_memseg_id_t id;
	struct hdr *hd;
	sigset_t set;
	unsigned node, nnodes, seq = 0;
	size_t size;
	char *mem;
	int rc, sig;

	if (argc != 3)
		return 2;
	id = number(argv[0], 1, 0x7fffffff);
	node = number(argv[1], 1, 65535);
	nnodes = number(argv[2], 1, NODES_MAX);
	size = seg_size(nnodes);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Not left behind when the driver dies without its cleanup. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;
	/* The default mode is 0777 & ~umask: let every node write. */
	umask(0);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 3;
	hd = (struct hdr *)(void *)mem;
	hd->magic = SEG_MAGIC;
	hd->node = node;
	hd->nnodes = nnodes;
	pattern((uint8_t *)mem + HDRSZ, node);
	if ((rc = rsm_get_controller(ctlr_name, &c)) != RSM_SUCCESS)
		fail("rsm_get_controller", rc);
	if ((rc = rsm_memseg_export_create(c, &h, mem, size, 0)) !=
	    RSM_SUCCESS)
		fail("rsm_memseg_export_create", rc);
	if ((rc = rsm_memseg_export_publish(h, &id, NULL, 0)) != RSM_SUCCESS)
		fail("rsm_memseg_export_publish", rc);
	printf("ready %zu\n", size);
	fflush(stdout);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGUSR1)
			report(mem, node, nnodes, ++seq);
		else if (sig == SIGTERM)
			break;
	}
	if ((rc = rsm_memseg_export_unpublish(h)) != RSM_SUCCESS)
		fail("rsm_memseg_export_unpublish", rc);
	if ((rc = rsm_memseg_export_destroy(h)) != RSM_SUCCESS)
		fail("rsm_memseg_export_destroy", rc);
	rsm_release_controller(c);
	return 0;
}

/* ---- importers ---- */

/* One of the reads: [off, off+len) between barriers. */
static void
read_range(rsm_memseg_import_handle_t im, rsmapi_barrier_t *bar, off_t off,
    void *dst, size_t len, const char *what)
{
	int rc;

	if ((rc = rsm_memseg_import_open_barrier(bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_open_barrier", rc);
	if ((rc = rsm_memseg_import_get(im, off, dst, len)) != RSM_SUCCESS)
		fail(what, rc);
	if ((rc = rsm_memseg_import_close_barrier(bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_close_barrier", rc);
}

static int
importer(int argc, char **argv)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	rsmapi_barrier_t bar;
	struct rec out, in;
	struct hdr hd;
	uint8_t pat[PATSZ], got[PATSZ];
	unsigned node, self, nnodes;
	uint32_t phase;
	rsm_memseg_id_t id;
	uint64_t t0, t1;
	int rc;

	if (argc != 5)
		return 2;
	node = number(argv[0], 1, 65535);
	id = number(argv[1], 1, 0x7fffffff);
	nnodes = number(argv[3], 1, NODES_MAX);
	self = number(argv[2], 1, nnodes);
	if (strcmp(argv[4], "ring") == 0)
		phase = PHASE_RING;
	else if (strcmp(argv[4], "all") == 0)
		phase = PHASE_ALL;
	else
		return 2;
	t0 = now_us();
	if ((rc = rsm_get_controller(ctlr_name, &c)) != RSM_SUCCESS)
		fail("rsm_get_controller", rc);
	if ((rc = rsm_memseg_import_connect(c, node, id, RSM_PERM_RDWR,
	    &im)) != RSM_SUCCESS)
		fail("rsm_memseg_import_connect", rc);
	t1 = now_us();
	if ((rc = rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT,
	    &bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_init_barrier", rc);
	if ((rc = rsm_memseg_import_set_mode(im,
	    RSM_BARRIER_MODE_EXPLICIT)) != RSM_SUCCESS)
		fail("rsm_memseg_import_set_mode", rc);

	read_range(im, &bar, 0, &hd, sizeof(hd), "rsm_memseg_import_get hdr");
	if (hd.magic != SEG_MAGIC || hd.node != node || hd.nnodes != nnodes) {
		printf("FAIL header of %u:%#x names node %" PRIu64 " of %"
		    PRIu64 "\n", node, id, hd.node, hd.nnodes);
		return 1;
	}
	rec_make(&out, phase, self, now_us() ^ ((uint64_t)getpid() << 32));
	if ((rc = rsm_memseg_import_open_barrier(&bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_open_barrier", rc);
	if ((rc = rsm_memseg_import_put(im, slot_off(self), &out,
	    sizeof(out))) != RSM_SUCCESS)
		fail("rsm_memseg_import_put", rc);
	if ((rc = rsm_memseg_import_close_barrier(&bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_close_barrier after put", rc);
	memset(&in, 0, sizeof(in));
	read_range(im, &bar, slot_off(self), &in, sizeof(in),
	    "rsm_memseg_import_get record");
	if (memcmp(&in, &out, sizeof(in)) != 0) {
		printf("FAIL record of node %u in %u:%#x reads back wrong "
		    "(sum %016" PRIx64 ", wrote %016" PRIx64 ")\n", self, node,
		    id, fnv(&in, sizeof(in)), fnv(&out, sizeof(out)));
		return 1;
	}
	pattern(pat, node);
	read_range(im, &bar, HDRSZ, got, sizeof(got),
	    "rsm_memseg_import_get pattern");
	if (memcmp(pat, got, sizeof(pat)) != 0) {
		printf("FAIL pattern of %u:%#x: sum %016" PRIx64 ", want %016"
		    PRIx64 "\n", node, id, fnv(got, sizeof(got)),
		    fnv(pat, sizeof(pat)));
		return 1;
	}
	if ((rc = rsm_memseg_import_destroy_barrier(&bar)) != RSM_SUCCESS)
		fail("rsm_memseg_import_destroy_barrier", rc);
	if ((rc = rsm_memseg_import_disconnect(im)) != RSM_SUCCESS)
		fail("rsm_memseg_import_disconnect", rc);
	rsm_release_controller(c);
	printf("ok %s node=%u target=%u connect_us=%" PRIu64 " total_us=%"
	    PRIu64 "\n", argv[4], self, node, t1 - t0, now_us() - t0);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
latency(int argc, char **argv)
{
	static uint64_t v[LAT_MAX];
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	rsm_memseg_id_t id;
	unsigned node, n, i;
	uint64_t t0;
	int rc;

	if (argc != 3)
		return 2;
	node = number(argv[0], 1, 65535);
	id = number(argv[1], 1, 0x7fffffff);
	n = number(argv[2], 2, LAT_MAX);
	if ((rc = rsm_get_controller(ctlr_name, &c)) != RSM_SUCCESS)
		fail("rsm_get_controller", rc);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if ((rc = rsm_memseg_import_connect(c, node, id, RSM_PERM_READ,
		    &im)) != RSM_SUCCESS)
			fail("rsm_memseg_import_connect", rc);
		if ((rc = rsm_memseg_import_disconnect(im)) != RSM_SUCCESS)
			fail("rsm_memseg_import_disconnect", rc);
		v[i] = now_us() - t0;
	}
	rsm_release_controller(c);
	qsort(v + 1, n - 1, sizeof(v[0]), cmp_u64);
	printf("lat first_us=%" PRIu64 " median_us=%" PRIu64 " max_us=%"
	    PRIu64 " n=%u\n", v[0], v[1 + (n - 1) / 2], v[n - 1], n);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *t = getenv("SCALE_WORKER_TIMEOUT_S");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "export") != 0)
		alarm(t != NULL && *t != '\0' ? number(t, 1, 86400) : 120);
	if (strcmp(argv[1], "export") == 0)
		return exporter(argc - 2, argv + 2);
	if (strcmp(argv[1], "import") == 0)
		return importer(argc - 2, argv + 2);
	if (strcmp(argv[1], "lat") == 0)
		return latency(argc - 2, argv + 2);
usage:
	fprintf(stderr, "usage: scale_worker export SEGID NODE NNODES\n"
	    "       scale_worker import NODE SEGID SELF NNODES ring|all\n"
	    "       scale_worker lat NODE SEGID COUNT\n");
	return 2;
}
