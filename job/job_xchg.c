/*
 * job_xchg.c - a job's exchanges through rsm itself, once it has started
 * under a launcher whose barrier is cheap (PMIx: a fence that puts no
 * key).
 *
 * Through PMIx every exchange was a key of its own, and PMIx keeps and
 * searches every key a job ever put: of 300 allgathers of 2 ranks the
 * last 100 took 1.7 s, the first 100 0.13 s.  A key put again is no cure:
 * PMIx_Get then answers from its cache with an earlier value, or, for a
 * rank of the same node, with none.  So after init each rank exports one
 * exchange segment (rsm_job_export: every rank's node and segment id),
 * imports every other rank's, and an exchange is a put of this rank's
 * entry into its slot of every rank's segment, then the launcher's
 * barrier, then a read of the slots in this rank's own memory.
 *
 * Two slots per rank, by the exchange number's parity: a rank out of the
 * barrier of exchange k may put k + 1 while another still reads k, but
 * cannot put k + 2 (k's slot) before every rank has entered the barrier
 * of k + 1, after its reads of k.  Each slot carries its exchange number,
 * so a value that did not arrive is told from one that did.
 *
 * If any rank cannot set this up (no controller, an export or a connect
 * refused), every rank keeps the launcher's exchange: they agree first.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "job_int.h"

struct xslot {
	uint32_t	 seq;
	uint32_t	 pad;
	struct job_entry e;
};

/* A slot's stride: its largest size, in cache lines. */
#define XSLOT_HEAD	(offsetof(struct xslot, e) + offsetof(struct job_entry, val))
#define XSLOT_STRIDE	((sizeof(struct xslot) + 63u) & ~(size_t)63u)

struct xchg {
	rsmapi_controller_handle_t ctlr;
	unsigned char	*buf;		/* exported: 2 * size slots */
	size_t		 len;
	rsm_memseg_export_handle_t exp;
	rsm_memseg_import_handle_t *imp;	/* size entries; NULL: this rank */
	rsmapi_barrier_t *bar;		/* size entries, one per import */
	uint32_t	 seq;		/* exchanges through the segments */
	int		(*be_exchange)(struct rsm_job *, const struct job_entry *);
};

static unsigned char *
slot_at(const struct rsm_job *job, const struct xchg *x, uint32_t seq,
    uint32_t r)
{
	return x->buf + ((size_t)(seq & 1) * job->size + r) * XSLOT_STRIDE;
}

static void
xchg_free(struct rsm_job *job, struct xchg *x)
{
	uint32_t r;

	if (x == NULL)
		return;
	for (r = 0; x->imp != NULL && r < job->size; r++)
		if (x->imp[r] != NULL) {
			(void)rsm_memseg_import_destroy_barrier(&x->bar[r]);
			(void)rsm_memseg_import_disconnect(x->imp[r]);
		}
	if (x->exp != NULL) {
		(void)rsm_memseg_export_unpublish(x->exp);
		(void)rsm_memseg_export_destroy(x->exp);
	}
	if (x->buf != NULL)
		(void)munmap(x->buf, x->len);
	if (x->ctlr != NULL)
		(void)rsm_release_controller(x->ctlr);
	free(x->imp);
	free(x->bar);
	free(x);
}

static int
xchg_exchange(struct rsm_job *job, const struct job_entry *mine)
{
	struct xchg *x = job->xchg;
	struct xslot s;
	size_t n = XSLOT_HEAD + mine->len;
	uint32_t r, bad = 0;
	int err = 0, rc;

	x->seq++;
	memset(&s, 0, XSLOT_HEAD);
	s.seq = x->seq;
	memcpy(&s.e, mine, offsetof(struct job_entry, val) + mine->len);
	memcpy(slot_at(job, x, x->seq, job->rank), &s, n);
	/*
	 * All the puts first, then every close barrier: the round trips
	 * overlap.  A put that failed is reported by its barrier too.
	 */
	for (r = 0; r < job->size; r++) {
		if (x->imp[r] == NULL)
			continue;
		rc = rsm_memseg_import_open_barrier(&x->bar[r]);
		if (rc == 0)
			rc = rsm_memseg_import_put(x->imp[r], (off_t)(slot_at(job,
			    x, x->seq, job->rank) - x->buf), &s, n);
		if (rc != 0 && err == 0) {
			err = rc;
			bad = r;
		}
	}
	for (r = 0; r < job->size; r++) {
		if (x->imp[r] == NULL)
			continue;
		rc = rsm_memseg_import_close_barrier(&x->bar[r]);
		if (rc != 0 && err == 0) {
			err = rc;
			bad = r;
		}
	}
	/* Every rank takes part in the barrier, so that nobody waits. */
	if ((rc = job->barrier(job)) != 0)
		return rc;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (err != 0)
		return job_fail(job, err == RSMERR_CONN_ABORTED ?
		    RSMERR_CONN_ABORTED : err, "the put of exchange %u to rank "
		    "%u: RSMERR %d", x->seq, bad, err);
	for (r = 0; r < job->size; r++) {
		const unsigned char *p = slot_at(job, x, x->seq, r);
		struct xslot got;

		memcpy(&got, p, XSLOT_HEAD);
		if (got.seq != x->seq)
			return job_fail(job, RSMERR_CONN_ABORTED, "rank %u's value "
			    "of exchange %u did not arrive", r, x->seq);
		if (got.e.len > RSM_JOB_MAX_VALUE)
			return job_fail(job, RSMERR_INTERNAL_ERROR, "rank %u's "
			    "value of exchange %u is malformed", r, x->seq);
		memcpy(&job->ents[r], p + offsetof(struct xslot, e),
		    offsetof(struct job_entry, val) + got.e.len);
	}
	return 0;
}

/* Whether every rank says ok, through the launcher's exchange. */
static int
all_ok(struct rsm_job *job, int ok)
{
	struct job_entry mine;
	uint32_t r, v = ok != 0;

	memset(&mine, 0, offsetof(struct job_entry, val));
	mine.len = sizeof(v);
	memcpy(mine.val, &v, sizeof(v));
	if (job->exchange(job, &mine) != 0)
		return -1;
	for (r = 0; r < job->size; r++) {
		memcpy(&v, job->ents[r].val, sizeof(v));
		if (job->ents[r].status != 0 ||
		    job->ents[r].len != sizeof(v) || v != 1)
			return 0;
	}
	return 1;
}

int
job_xchg_open(struct rsm_job *job)
{
	const char *name = getenv("RSM_JOB_CTLR");
	rsm_job_seg_t *segs = NULL;
	struct xchg *x;
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t r;
	int ok, rc;

	if (job->size < 2 || job->barrier == NULL)
		return 0;
	x = calloc(1, sizeof(*x));
	ok = x != NULL &&
	    (x->imp = calloc(job->size, sizeof(*x->imp))) != NULL &&
	    (x->bar = calloc(job->size, sizeof(*x->bar))) != NULL &&
	    (segs = calloc(job->size, sizeof(*segs))) != NULL &&
	    rsm_get_controller(name != NULL && *name != '\0' ? (char *)name :
	    "tcp0", &x->ctlr) == RSM_SUCCESS;
	if (ok) {
		x->len = (2 * (size_t)job->size * XSLOT_STRIDE + (size_t)pg - 1) &
		    ~((size_t)pg - 1);
		x->buf = mmap(NULL, x->len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (x->buf == MAP_FAILED) {
			x->buf = NULL;
			ok = 0;
		}
	}
	/* Agreed before rsm_job_export, which is a collective itself. */
	if ((rc = all_ok(job, ok)) != 1) {
		free(segs);
		xchg_free(job, x);
		return rc < 0 ? RSMERR_CONN_ABORTED : 0;
	}
	if (rsm_job_export(job, x->ctlr, x->buf, x->len, &x->exp, segs) != 0) {
		free(segs);
		xchg_free(job, x);
		return 0;	/* said why on every rank; the exchange stays */
	}
	for (r = 0; r < job->size && ok; r++) {
		if (r == job->rank)
			continue;
		if (rsm_memseg_import_connect(x->ctlr, segs[r].node,
		    segs[r].segid, RSM_PERM_RDWR, &x->imp[r]) != 0) {
			x->imp[r] = NULL;
			ok = 0;
		} else if (rsm_memseg_import_init_barrier(x->imp[r],
		    RSM_BAR_DEFAULT, &x->bar[r]) != 0 ||
		    rsm_memseg_import_set_mode(x->imp[r],
		    RSM_BARRIER_MODE_EXPLICIT) != 0) {
			ok = 0;
		}
	}
	free(segs);
	if ((rc = all_ok(job, ok)) != 1) {
		xchg_free(job, x);
		return rc < 0 ? RSMERR_CONN_ABORTED : 0;
	}
	x->be_exchange = job->exchange;
	job->xchg = x;
	job->exchange = xchg_exchange;
	return 0;
}

void
job_xchg_close(struct rsm_job *job)
{
	struct xchg *x = job->xchg;

	if (x == NULL)
		return;
	job->exchange = x->be_exchange;
	job->xchg = NULL;
	xchg_free(job, x);
}
