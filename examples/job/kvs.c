/*
 * kvs.c - a distributed hash table over an rsm job (rsm_job(3RSM),
 * rsm_memseg_import_cas64(3RSM)).
 *
 *   kvs [KEYS]	(default 1000)
 *
 * Each rank exports a table of buckets of two 64-bit words, key and
 * value, with open addressing (linear probing); key 0 marks an empty
 * bucket.  A key's hash chooses its rank and its first bucket there.
 * The keys are 1..KEYS, rank r inserting those with (key - 1) % size ==
 * r: an insert claims a bucket with compare-and-swap of its key word from
 * 0 to the key, so two ranks racing for one bucket never both get it,
 * then puts the value beside it.  After a job barrier, when every value
 * is in place, every rank looks up all KEYS keys, each with one-sided
 * gets of bucket after bucket until it finds the key or an empty bucket,
 * and checks the value against the one its own process computes; it also
 * looks up a few keys that were never inserted and checks they are
 * absent.  Rank 0 prints what was done; every rank exits 1 on a wrong
 * answer.  $RSM_JOB_CTLR names the controller (default tcp0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsm/rsm_atomic.h"
#include "rsm/rsm_job.h"

#define ABSENT	8		/* keys looked up that nobody inserted */

typedef struct {
	uint64_t key;		/* 0: empty */
	uint64_t value;
} bucket_t;

static uint32_t rank, nranks;
static int joined;

static void
die(const char *what, int rc)
{
	if (joined)
		fprintf(stderr, "kvs: rank %u: %s: RSMERR %d\n", rank, what, rc);
	else
		fprintf(stderr, "kvs: %s: RSMERR %d\n", what, rc);
	exit(2);
}

/* splitmix64's finalizer: every bit of x moves every bit of the result. */
static uint64_t
mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The value stored under a key: what one process computes for it. */
static uint64_t
value_of(uint64_t key)
{
	return mix(key ^ 0x5bd1e9955bd1e995ULL);
}

/* A key's rank and first bucket. */
static void
home(uint64_t key, size_t nb, uint32_t *owner, size_t *first)
{
	uint64_t h = mix(key);

	*owner = (uint32_t)(h % nranks);
	*first = (size_t)(h / nranks % nb);
}

/* Inserts key; returns 0, or 1 after saying why it could not. */
static int
insert(rsm_memseg_import_handle_t *im, size_t nb, uint64_t key,
    uint64_t *probes)
{
	uint64_t old, v = value_of(key);
	uint32_t o;
	size_t b, p;
	int rc;

	home(key, nb, &o, &b);
	for (p = 0; p < nb; p++, b = (b + 1) % nb) {
		(*probes)++;
		if ((rc = rsm_memseg_import_cas64(im[o], (off_t)(b *
		    sizeof(bucket_t)), 0, key, &old)) != 0)
			die("claiming a bucket", rc);
		if (old == key) {
			fprintf(stderr, "kvs: rank %u: key %" PRIu64
			    " is already in bucket %zu of rank %u\n", rank, key,
			    b, o);
			return 1;
		}
		if (old != 0)
			continue;	/* another key's: probe the next */
		/* Nobody reads it before the job barrier that ends inserts. */
		if ((rc = rsm_memseg_import_put(im[o], (off_t)(b *
		    sizeof(bucket_t) + sizeof(uint64_t)), &v, sizeof(v))) != 0)
			die("putting a value", rc);
		return 0;
	}
	fprintf(stderr, "kvs: rank %u: no bucket left for key %" PRIu64
	    " at rank %u\n", rank, key, o);
	return 1;
}

/* Looks key up: 1 and *value if it is in the table, else 0. */
static int
lookup(rsm_memseg_import_handle_t *im, size_t nb, uint64_t key,
    uint64_t *value, uint64_t *probes)
{
	bucket_t bk;
	uint32_t o;
	size_t b, p;
	int rc;

	home(key, nb, &o, &b);
	for (p = 0; p < nb; p++, b = (b + 1) % nb) {
		(*probes)++;
		if ((rc = rsm_memseg_import_get(im[o], (off_t)(b *
		    sizeof(bucket_t)), &bk, sizeof(bk))) != 0)
			die("getting a bucket", rc);
		if (bk.key == key) {
			*value = bk.value;
			return 1;
		}
		/* Keys are never removed: an empty bucket ends the probe. */
		if (bk.key == 0)
			return 0;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	long nkeys = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
	const char *cname = getenv("RSM_JOB_CTLR");
	size_t nb, bytes, b, page = (size_t)sysconf(_SC_PAGESIZE);
	rsm_memseg_import_handle_t *im;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsmapi_barrier_t *bars;
	rsm_job_seg_t *segs;
	rsm_job_t job;
	static const char *how[] = { "one process", "RSM_JOB_RANK", "PMIx" };
	/* What each rank tells: wrong answers, inserts, probes, buckets used. */
	enum { BAD, INSERTED, INS_PROBES, GET_PROBES, USED, NSTAT };
	uint64_t st[NSTAT] = { 0 }, *all, sum[NSTAT] = { 0 }, key, v = 0;
	bucket_t *table;
	int launcher, rc, i;
	uint32_t r;

	if (nkeys < 1) {
		fprintf(stderr, "usage: kvs [KEYS]\n");
		return 2;
	}
	if ((rc = rsm_job_init(&job, 0)) != 0)
		die("rsm_job_init", rc);
	joined = 1;
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &nranks);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		die("rsm_get_controller", rc);
	/*
	 * Twice a rank's fair share of buckets, and a few more: probes stay
	 * short even on the rank that the hash gives more keys.
	 */
	nb = 2 * (size_t)((nkeys + nranks - 1) / nranks) + 16;
	bytes = (nb * sizeof(bucket_t) + page - 1) / page * page;
	/* Anonymous pages start zeroed: every bucket empty. */
	table = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	segs = calloc(nranks, sizeof(*segs));
	im = calloc(nranks, sizeof(*im));
	bars = calloc(nranks, sizeof(*bars));
	all = calloc(nranks, sizeof(st));
	if (table == MAP_FAILED || !segs || !im || !bars || !all)
		die("out of memory", RSMERR_INSUFFICIENT_MEM);

	if ((rc = rsm_job_export(job, ctlr, table, bytes, &seg, segs)) != 0)
		die("rsm_job_export", rc);
	/* Every rank's table, this rank's own too, the same way. */
	for (r = 0; r < nranks; r++) {
		if (segs[r].size < nb * sizeof(bucket_t)) {
			fprintf(stderr, "kvs: rank %u's table is too small\n", r);
			return 2;
		}
		if ((rc = rsm_memseg_import_connect(ctlr, segs[r].node,
		    segs[r].segid, RSM_PERM_RDWR, &im[r])) != 0)
			die("connect", rc);
		/* Put and get in the default (implicit) barrier mode need one. */
		if ((rc = rsm_memseg_import_init_barrier(im[r], RSM_BAR_DEFAULT,
		    &bars[r])) != 0)
			die("init_barrier", rc);
	}

	for (key = 1 + rank; key <= (uint64_t)nkeys; key += nranks) {
		st[BAD] += insert(im, nb, key, &st[INS_PROBES]);
		st[INSERTED]++;
	}
	/* Every key and its value are in place once all are here. */
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);

	for (key = 1; key <= (uint64_t)nkeys + ABSENT; key++) {
		int found = lookup(im, nb, key, &v, &st[GET_PROBES]);

		if (key <= (uint64_t)nkeys && !found) {
			fprintf(stderr, "kvs: rank %u: key %" PRIu64
			    " not found\n", rank, key);
			st[BAD]++;
		} else if (key <= (uint64_t)nkeys && v != value_of(key)) {
			fprintf(stderr, "kvs: rank %u: key %" PRIu64 ": value 0x%"
			    PRIx64 ", expected 0x%" PRIx64 "\n", rank, key, v,
			    value_of(key));
			st[BAD]++;
		} else if (key > (uint64_t)nkeys && found) {
			fprintf(stderr, "kvs: rank %u: key %" PRIu64
			    " was never inserted but is there\n", rank, key);
			st[BAD]++;
		}
	}
	/* Nobody writes any more: a key in two buckets shows here. */
	for (b = 0; b < nb; b++)
		if (table[b].key != 0)
			st[USED]++;

	if ((rc = rsm_job_allgather(job, st, sizeof(st), all)) != 0)
		die("allgather", rc);
	for (r = 0; r < nranks; r++)
		for (i = 0; i < NSTAT; i++)
			sum[i] += all[r * NSTAT + i];
	if (sum[USED] != (uint64_t)nkeys || sum[INSERTED] != (uint64_t)nkeys)
		sum[BAD]++;
	rsm_job_launcher(job, &launcher);
	if (rank == 0) {
		printf("kvs: %u ranks on nodes", nranks);
		for (r = 0; r < nranks; r++) {
			rsm_node_id_t nd;

			rsm_job_node(job, r, &nd);
			printf("%s%u", r ? "," : " ", nd);
		}
		printf(" (started by %s), %ld keys in %u x %zu buckets, held",
		    how[launcher], nkeys, nranks, nb);
		for (r = 0; r < nranks; r++)
			printf("%s%" PRIu64, r ? "," : " ", all[r * NSTAT + USED]);
		printf(", %.2f probes per insert, %.2f per lookup, %d absent "
		    "keys absent: %s\n",
		    (double)sum[INS_PROBES] / (double)nkeys,
		    (double)sum[GET_PROBES] / ((double)nranks * (nkeys + ABSENT)),
		    ABSENT,
		    sum[BAD] ? "DIFFERS from one process" : "equal to one process");
		for (r = 0; r < nranks; r++)
			if (all[r * NSTAT + BAD] != 0)
				printf("kvs: rank %u had %" PRIu64 " wrong answers\n",
				    r, all[r * NSTAT + BAD]);
		if (sum[USED] != (uint64_t)nkeys)
			printf("kvs: %" PRIu64 " buckets used for %ld keys\n",
			    sum[USED], nkeys);
	}

	/* Disconnect before anyone destroys what others import. */
	for (r = 0; r < nranks; r++) {
		rsm_memseg_import_destroy_barrier(&bars[r]);
		rsm_memseg_import_disconnect(im[r]);
	}
	if ((rc = rsm_job_barrier(job)) != 0)
		die("barrier", rc);
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	munmap(table, bytes);
	free(segs);
	free(im);
	free(bars);
	free(all);
	return sum[BAD] != 0;
}
