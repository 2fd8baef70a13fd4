/*
 * rmap.c - remote map: a memfd cache of another node's segment, filled on
 * first touch through userfaultfd and written back at barriers (rmap.h).
 *
 * Pages: each page of the map is absent (not fetched, or dropped) or
 * resident (fetched into the memfd and mapped for the application).  Only
 * the handler thread fetches, only into absent pages, and marks them
 * resident; pages leave residency by eviction (the handler, when the
 * cache is full) or refresh (an open barrier), both of which first take
 * the page out of the application's page tables, so that no store can
 * land while its bytes are being compared and sent.
 *
 * Fault kinds: a page the memfd does not hold yet faults as MISSING, one
 * it holds but the application's mapping does not (a dropped page) as
 * MINOR; both are resolved the same way: the bytes are written through
 * the second mapping `fill`, then UFFDIO_CONTINUE maps the page cache
 * page for the application, waking whoever waits on it.
 */
#include "rmap_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_size.h"

#pragma GCC visibility push(hidden)

/* Fetch batches: one page, doubling while access is sequential, to 2 MiB. */
#define RA_MIN_BYTES	4096u
#define RA_MAX_BYTES	(2u * 1024u * 1024u)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

/* Runs of changed bytes one vectored put of a write-back carries. */
#define RUNS_MAX	4096u
/*
 * Masked entries: a page whose changed bytes are more than FEW_RUNS runs
 * travels as one masked entry (when the data path takes them) if that
 * is less to send and do than its runs, each run counted as RUN_COST
 * bytes besides its own (a 16-byte table slot, and about as much work
 * per entry at both ends).  At most MPUT_BYTES of page spans are queued.
 */
#define FEW_RUNS	4u
#define RUN_COST	32u
#define MPUT_BYTES	((size_t)1 << 20)

/* How long the handler looks for the next fault before it sleeps. */
#define BUSY_NS		1000000ull
/* The cache of one map, unless RSM_MAP_CACHE says otherwise. */
#define CACHE_DEFAULT	((size_t)1 << 30)

/* ---- write-back ---- */

/* Send what push_page queued: the runs in vectored puts, then the masked. */
static void
flush_runs(struct rsm_rmap *r)
{
	size_t max = r->ops->vec_max ? r->ops->vec_max : RSM_MAX_SGIOREQS;
	size_t i, n;
	int rc;

	for (i = 0; i < r->nruns; i += n) {
		n = r->nruns - i < max ? r->nruns - i : max;
		rc = r->ops->putv(&r->xs, r->runs + i, n, NULL);
		if (rc != RSM_SUCCESS && r->err == RSM_SUCCESS)
			r->err = rc;
	}
	r->nruns = 0;
	/* Other pages than the runs': the order between them is free. */
	if (r->nmputs > 0) {
		rc = r->ops->putm(&r->xs, r->mputs, r->nmputs, NULL);
		if (rc != RSM_SUCCESS && r->err == RSM_SUCCESS)
			r->err = rc;
	}
	r->nmputs = 0;
}

/*
 * Whether a page whose changes are nr runs of `bytes` in all, over a
 * span of `span` bytes, is better one masked entry.
 */
static int
masked_pays(size_t nr, size_t bytes, size_t span)
{
	return nr > FEW_RUNS &&
	    nr * RUN_COST + bytes > RUN_COST + span + (span + 7) / 8;
}

/*
 * Queue the bytes of page p that differ from its twin, exactly those (a
 * neighbouring byte another importer wrote must not be overwritten with
 * the value this one fetched), taken from a stable copy: a store racing
 * with the diff then differs from the new twin and travels next time.
 * The copy becomes the twin and the runs point into it, so that they
 * stay valid until flush_runs sends them all at once (a page of small
 * changes, such as the doubles of a halo row, is one message, not one
 * per run).  While diffing, the page's mask of changed bytes is built
 * too: when its runs are many and short (masked_pays), they are taken
 * back and the page is queued as one masked entry instead, from its
 * first changed byte (rounded down to a mask byte) to its last, which
 * also points into the twin.  Returns whether anything was queued.
 */
static int
push_page(struct rsm_rmap *r, size_t p)
{
	const char *cur = r->scratch;
	char *tw = r->twin + p * r->pg;
	size_t i = 0, s, base, nr = 0, bytes = 0, lo = SIZE_MAX, hi = 0;
	uint8_t *mask = NULL;
	struct rsm_xport_mput *e;

	memcpy(r->scratch, r->fill + p * r->pg, r->pg);
	if (memcmp(cur, tw, r->pg) == 0)
		return 0;
	/* Room for every run a page can have, so that they can be taken back. */
	if (r->nruns + r->pg / 2 > r->runs_max ||
	    (r->mputs != NULL && r->nmputs == r->mputs_max))
		flush_runs(r);
	if (r->mputs != NULL) {
		mask = r->masks + r->nmputs * (r->pg / 8);
		memset(mask, 0, r->pg / 8);
	}
	base = r->nruns;
	/* Find the runs against the old twin, then make it the new one. */
	while (i < r->pg) {
		/* Whole equal words first: most of a page is unchanged. */
		if (i % 8 == 0 && i + 8 <= r->pg &&
		    memcmp(cur + i, tw + i, 8) == 0) {
			i += 8;
			continue;
		}
		if (cur[i] == tw[i]) {
			i++;
			continue;
		}
		for (s = i; i < r->pg && cur[i] != tw[i]; i++) {
			tw[i] = cur[i];
			if (mask != NULL)
				mask[i / 8] |= (uint8_t)(1u << (i % 8));
		}
		if (lo == SIZE_MAX)
			lo = s;
		hi = i;
		nr++;
		bytes += i - s;
		r->runs[r->nruns].local = tw + s;
		r->runs[r->nruns].remote_off = r->seg_off + p * r->pg + s;
		r->runs[r->nruns].len = i - s;
		r->nruns++;
	}
	r->n_pushed += bytes;
	lo &= ~(size_t)7;
	if (mask != NULL && masked_pays(nr, bytes, hi - lo)) {
		r->nruns = base;
		e = &r->mputs[r->nmputs++];
		e->local = tw + lo;
		e->mask = mask + lo / 8;
		e->remote_off = r->seg_off + p * r->pg + lo;
		e->len = hi - lo;
		r->n_masked++;
	}
	return 1;
}

/*
 * Lock held.  Returns the write-back's status.  With asynchronous
 * tracking only the pages written since the last write-back are looked
 * at (rmap_collect_written); else every resident page is compared with
 * its twin.
 */
static int
writeback_locked(struct rsm_rmap *r)
{
	size_t p;
	int sent = 0, rc;

	if (r->twin != NULL && !atomic_load(&r->dead)) {
		if (rmap_collect_written(r) != 0) {
			for (p = 0; p < r->npages; p++)
				if (r->resident[p])
					sent |= push_page(r, p);
		} else {
			for (p = rmap_next_marked(r, 0, RMAP_PUSH);
			    p < r->npages;
			    p = rmap_next_marked(r, p + 1, RMAP_PUSH)) {
				r->written[p] &= (unsigned char)~RMAP_PUSH;
				if (r->resident[p])
					sent |= push_page(r, p);
			}
		}
	}
	flush_runs(r);
	if (sent && (rc = r->ops->flush(&r->xs)) != RSM_SUCCESS &&
	    r->err == RSM_SUCCESS)
		r->err = rc;
	if (atomic_load(&r->dead))
		return RSMERR_CONN_ABORTED;
	if (r->err != RSM_SUCCESS) {
		rc = r->err == RSMERR_CONN_ABORTED ? RSMERR_CONN_ABORTED :
		    RSMERR_BARRIER_FAILURE;
		r->err = RSM_SUCCESS;
		return rc;
	}
	return RSM_SUCCESS;
}

/* ---- the cache ---- */

/* Give the memory of pages [lo, hi) back (lock held, pages unmapped). */
static void
drop_pages(struct rsm_rmap *r, size_t lo, size_t hi)
{
	size_t p;

	(void)fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)(lo * r->pg), (off_t)((hi - lo) * r->pg));
	/* Their twins too: the cache limit bounds both. */
	if (r->twin != NULL)
		(void)madvise(r->twin + lo * r->pg, (hi - lo) * r->pg,
		    MADV_DONTNEED);
	for (p = lo; p < hi; p++) {
		r->resident[p] = 0;
		r->nresident--;
	}
	rmap_forget(r, lo, hi);
	r->n_evicted += hi - lo;
}

static int
page_clean(const struct rsm_rmap *r, size_t p)
{
	return r->twin == NULL ||
	    memcmp(r->fill + p * r->pg, r->twin + p * r->pg, r->pg) == 0;
}

/*
 * Evict resident pages until `need` more fit: clean pages on a first
 * sweep of the clock, then any, written back first.  A page leaves the
 * application's page tables before it is looked at, so a store to it
 * waits for this thread (the handler) instead of being lost.
 */
static void
make_room(struct rsm_rmap *r, size_t need)
{
	size_t scanned, p;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (scanned = 0; scanned < r->npages &&
		    r->nresident + need > r->cap_pages; scanned++) {
			p = r->hand;
			r->hand = (r->hand + 1) % r->npages;
			if (!r->resident[p] || (pass == 0 && !page_clean(r, p)))
				continue;
			(void)madvise(r->app + p * r->pg, r->pg, MADV_DONTNEED);
			if (!page_clean(r, p)) {
				if (pass == 0) {	/* a store raced: keep it */
					rmap_map_pages(r, p, p + 1, 0);
					continue;
				}
				/* Sent before the page (and its twin) is reused. */
				if (push_page(r, p)) {
					flush_runs(r);
					if (r->ops->flush(&r->xs) != RSM_SUCCESS &&
					    r->err == RSM_SUCCESS)
						r->err = RSMERR_CONN_ABORTED;
				}
			}
			drop_pages(r, p, p + 1);
		}
}

/*
 * Fetch pages [lo, hi), all absent, and map them; `stage`: all but the
 * first, which stays unmapped but holds its bytes (resident 2, "staged"),
 * so that the application's arrival there is a cheap fault that tells
 * the handler to read further ahead.  Once revoked, or when the data
 * path fails, the pages are zero pages and the map is dead: the next
 * barrier says so.
 */
static void
fetch(struct rsm_rmap *r, size_t lo, size_t hi, int stage)
{
	char *dst = r->fill + lo * r->pg;
	size_t n = (hi - lo) * r->pg, p;
	int rc = RSMERR_CONN_ABORTED;

	r->n_fetches++;
	r->n_fetched += n;
	/*
	 * Allocate the batch's memory in one call each rather than a
	 * page fault per page while the bytes arrive and are copied.
	 */
	(void)madvise(dst, n, MADV_POPULATE_WRITE);
	if (r->twin != NULL)
		(void)madvise(r->twin + lo * r->pg, n, MADV_POPULATE_WRITE);
	if (!atomic_load(&r->dead))
		rc = r->ops->get(&r->xs, r->seg_off + lo * r->pg, dst, n);
	if (rc != RSM_SUCCESS) {
		memset(dst, 0, n);
		atomic_store(&r->dead, 1);
	}
	if (r->twin != NULL)
		memcpy(r->twin + lo * r->pg, dst, n);
	for (p = lo; p < hi; p++)
		r->resident[p] = 1;
	memset(r->hot + lo, 0, hi - lo);
	r->nresident += hi - lo;
	if (stage)
		r->resident[lo] = 2;
	if (hi > lo + (size_t)stage)
		rmap_map_pages(r, lo + (size_t)stage, hi, 1);
}

/*
 * The run of absent pages from a, at most `batch` pages and within the
 * cache; with `hot`, only pages the last refresh dropped.
 */
static size_t
absent_run(const struct rsm_rmap *r, size_t a, size_t batch, int hot)
{
	size_t b;

	if (batch > r->cap_pages)
		batch = r->cap_pages;
	if (batch > 1 && batch == r->cap_pages)
		batch /= 2;	/* leave room for what is being read */
	for (b = a; b < r->npages && b - a < batch && !r->resident[b] &&
	    (!hot || r->hot[b]); b++)
		;
	return b;
}

/* Sequential access: the batch doubles, up to ra_max. */
static void
grow_batch(struct rsm_rmap *r)
{
	r->ra = r->ra * 2 > r->ra_max ? r->ra_max : r->ra * 2;
}

/*
 * Read ahead of sequential access: the next batch from a, doubled, its
 * first page staged.
 */
static void
read_ahead(struct rsm_rmap *r, size_t a)
{
	size_t b;

	if (a >= r->npages || r->resident[a] || atomic_load(&r->dead))
		return;
	grow_batch(r);
	b = absent_run(r, a, r->ra, 0);
	make_room(r, b - a);
	fetch(r, a, b, 1);
	r->next_seq = b;
}

/*
 * A fault at addr.  A staged page: the application reached what was read
 * ahead, so it is mapped and the next batch fetched.  An absent page just
 * past the last batch: sequential access, a doubled batch and read-ahead
 * beyond it.  Any other: the smallest batch (one page), so a random
 * touch costs no more than one page's fetch.
 */
static void
fault(struct rsm_rmap *r, uintptr_t addr, uint64_t flags)
{
	size_t p, hi;
	/*
	 * A store to an absent page, with synchronous tracking: mapped
	 * writable at once, and written, rather than protected and then
	 * faulting a second time.
	 */
	int wp = !((flags & UFFD_PAGEFAULT_FLAG_WRITE) &&
	    r->track == RMAP_TRACK_WP_SYNC);

	if (addr < (uintptr_t)r->app || addr - (uintptr_t)r->app >= r->len)
		return;
	p = (addr - (uintptr_t)r->app) / r->pg;
	pthread_mutex_lock(&r->mtx);
	if (flags & UFFD_PAGEFAULT_FLAG_WP) {
		r->n_wp_faults++;
		rmap_wp_fault(r, p);
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	r->n_faults++;
	if (r->resident[p] == 2) {
		r->resident[p] = 1;
		rmap_map_pages(r, p, p + 1, wp);
		read_ahead(r, r->next_seq);
	} else if (r->resident[p]) {
		rmap_map_pages(r, p, p + 1, 0);
	} else {
		int seq = 0;

		if (r->hot[p]) {
			/*
			 * A page the last open barrier dropped: iterative
			 * programs read again what they read before (a halo
			 * row, a block), so the run of such pages from here
			 * comes in one fetch rather than growing from one
			 * page again.
			 */
			hi = absent_run(r, p, r->ra_max, 1);
		} else {
			if ((seq = p == r->next_seq))
				grow_batch(r);
			else
				r->ra = r->ra_min;
			hi = absent_run(r, p, r->ra, 0);
		}
		make_room(r, hi - p);
		fetch(r, p, hi, 0);
		if (!wp)
			rmap_wp_fault(r, p);
		r->next_seq = hi;
		if (seq)
			read_ahead(r, hi);
	}
	pthread_mutex_unlock(&r->mtx);
}

static void *
handler(void *arg)
{
	struct rsm_rmap *r = arg;
	struct pollfd pfd[2] = { { r->uffd, POLLIN, 0 },
	    { r->stopfd, POLLIN, 0 } };
	struct uffd_msg m[16];
	uint64_t busy_until = 0;
	ssize_t n, i;

	/*
	 * After a fault the handler keeps reading for BUSY_NS before it
	 * sleeps: faults come in bursts, and a sleeping handler costs each
	 * one a wake-up on another CPU (60-90 us in a VM) on top of the fetch.
	 */
	while (!atomic_load(&r->stopping)) {
		n = read(r->uffd, m, sizeof(m));
		if (n > 0) {
			for (i = 0; i < n / (ssize_t)sizeof(m[0]); i++)
				if (m[i].event == UFFD_EVENT_PAGEFAULT)
					fault(r, (uintptr_t)
					    m[i].arg.pagefault.address,
					    m[i].arg.pagefault.flags);
			busy_until = rsm_now_ns() + BUSY_NS;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		/*
		 * Yield while looking: on a busy machine the faulting thread
		 * may be waiting for this very CPU.
		 */
		if (rsm_now_ns() < busy_until) {
			sched_yield();
			continue;
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
	}
	return NULL;
}

/* ---- life ---- */

/* RSM_MAP_CACHE: bytes, with an optional K, M or G. */
static size_t
cache_bytes(void)
{
	const char *s = getenv("RSM_MAP_CACHE");
	uint64_t v;

	if (s == NULL || rsm_parse_size(s, 10, &v) != 0 || v == 0 ||
	    v > SIZE_MAX)
		return CACHE_DEFAULT;
	return (size_t)v;
}

static void
unmap_all(struct rsm_rmap *r)
{
	if (r->app != NULL && r->app != MAP_FAILED)
		(void)munmap(r->app, r->len);
	if (r->fill != NULL && r->fill != MAP_FAILED)
		(void)munmap(r->fill, r->len);
	if (r->twin != NULL && r->twin != MAP_FAILED)
		(void)munmap(r->twin, r->len);
	r->app = r->fill = r->twin = NULL;
}

static void
close_fds(struct rsm_rmap *r)
{
	if (r->uffd >= 0)
		close(r->uffd);
	if (r->stopfd >= 0)
		close(r->stopfd);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->pagemap_fd >= 0)
		close(r->pagemap_fd);
	r->uffd = r->stopfd = r->memfd = r->pagemap_fd = -1;
}

static void
rmap_free(struct rsm_rmap *r)
{
	free(r->resident);
	free(r->written);
	free(r->hot);
	free(r->scratch);
	free(r->runs);
	free(r->mputs);
	free(r->masks);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}

/* Map the views; *addr and fixed as for rsm_rmap_create. */
static int
views(struct rsm_rmap *r, int prot, void *hint, int fixed)
{
	r->app = mmap(hint, r->len, prot, MAP_SHARED | (fixed ? MAP_FIXED : 0),
	    r->memfd, 0);
	if (r->app == MAP_FAILED) {
		r->app = NULL;
		return errno == ENOMEM ? RSMERR_INSUFFICIENT_MEM :
		    RSMERR_MAP_FAILED;
	}
	r->fill = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    r->memfd, 0);
	if (r->fill == MAP_FAILED) {
		r->fill = NULL;
		return RSMERR_INSUFFICIENT_MEM;
	}
	if (prot & PROT_WRITE) {
		r->twin = mmap(NULL, r->len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->twin == MAP_FAILED) {
			r->twin = NULL;
			return RSMERR_INSUFFICIENT_MEM;
		}
		(void)madvise(r->twin, r->len, MADV_DONTFORK);
	}
	/* A child gets no remote mapping: its range is simply not mapped. */
	(void)madvise(r->app, r->len, MADV_DONTFORK);
	(void)madvise(r->fill, r->len, MADV_DONTFORK);
	return RSM_SUCCESS;
}

int
rsm_rmap_create(struct rsm_rmap **rp, const struct rsm_transport_ops *ops,
    const struct rsm_xport_target *t, size_t seg_off, size_t len, int prot,
    void **addr, int fixed, int (*uffd_dev)(void))
{
	struct rsm_rmap *r;
	sigset_t all, old;
	int rc;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	pthread_mutex_init(&r->mtx, NULL);
	atomic_init(&r->refs, 1);
	atomic_init(&r->dead, 0);
	atomic_init(&r->stopping, 0);
	r->ops = ops;
	r->pid = getpid();
	r->pg = (size_t)sysconf(_SC_PAGESIZE);
	r->len = len;
	r->npages = len / r->pg;
	r->seg_off = seg_off;
	/* A page has at most pg / 2 runs: room for a whole page's. */
	r->runs_max = RUNS_MAX > r->pg / 2 ? RUNS_MAX : r->pg / 2;
	r->memfd = r->uffd = r->stopfd = r->pagemap_fd = r->uffd_dev = -1;
	r->uffd_dev_fn = uffd_dev;
	r->ra_min = RA_MIN_BYTES / r->pg;
	r->ra_max = RA_MAX_BYTES / r->pg;
	r->ra = r->ra_min;
	r->next_seq = SIZE_MAX;
	r->cap_pages = cache_bytes() / r->pg;
	if (r->cap_pages == 0)
		r->cap_pages = 1;
	if ((rc = ops->connect(&r->xs, t)) != RSM_SUCCESS) {
		rmap_free(r);
		return rc;
	}
	rc = RSMERR_INSUFFICIENT_MEM;
	if ((r->resident = calloc(r->npages, 1)) == NULL ||
	    (r->hot = calloc(r->npages, 1)) == NULL ||
	    ((prot & PROT_WRITE) &&
	    (r->written = calloc(r->npages, 1)) == NULL) ||
	    (r->scratch = malloc(r->pg)) == NULL ||
	    ((prot & PROT_WRITE) &&	/* only a writable map sends */
	    (r->runs = malloc(r->runs_max * sizeof(*r->runs))) == NULL))
		goto fail;
	/* Masked write-back, where the connection takes it. */
	if ((prot & PROT_WRITE) && ops->putm != NULL &&
	    r->pg <= RSM_MPUT_SPAN_MAX &&
	    ops->putm(&r->xs, NULL, 0, NULL) == RSM_SUCCESS) {
		r->mputs_max = MPUT_BYTES / r->pg ? MPUT_BYTES / r->pg : 1;
		if ((r->mputs = malloc(r->mputs_max *
		    sizeof(*r->mputs))) == NULL ||
		    (r->masks = malloc(r->mputs_max * (r->pg / 8))) == NULL)
			goto fail;
	}
	if ((r->memfd = memfd_create("rsm-rmap", MFD_CLOEXEC)) < 0 ||
	    ftruncate(r->memfd, (off_t)len) != 0)
		goto fail;
	rc = views(r, prot, *addr, fixed);
	if (rc == RSM_SUCCESS)
		rc = rmap_uffd_setup(r);
	if (r->uffd_dev >= 0)
		close(r->uffd_dev);
	r->uffd_dev = -1;
	if (rc != RSM_SUCCESS)
		goto fail;
	rc = RSMERR_INSUFFICIENT_RESOURCES;
	if ((r->stopfd = eventfd(0, EFD_CLOEXEC)) < 0)
		goto fail;
	/* The handler takes no signal of the application's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r->thread_up = pthread_create(&r->thread, NULL, handler, r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r->thread_up)
		goto fail;
	*addr = r->app;
	*rp = r;
	return RSM_SUCCESS;
fail:
	unmap_all(r);
	close_fds(r);
	ops->disconnect(&r->xs);
	rmap_free(r);
	return rc;
}

void
rsm_rmap_revoke(struct rsm_rmap *r)
{
	atomic_store(&r->dead, 1);
	/* A fetch blocked on a silent node ends now (a child's is not ours). */
	if (getpid() == r->pid && r->ops->abort != NULL)
		r->ops->abort(&r->xs);
}

int
rsm_rmap_writeback(struct rsm_rmap *r)
{
	int rc;

	pthread_mutex_lock(&r->mtx);
	rc = r->closed ? RSM_SUCCESS : writeback_locked(r);
	pthread_mutex_unlock(&r->mtx);
	return rc;
}

void
rsm_rmap_refresh(struct rsm_rmap *r)
{
	size_t p, q;

	pthread_mutex_lock(&r->mtx);
	if (r->closed || atomic_load(&r->dead) || r->nresident == 0) {
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	/* Out of the page tables at once; stores to kept pages wait. */
	(void)madvise(r->app, r->len, MADV_DONTNEED);
	for (p = 0; p < r->npages; p = q) {
		int clean;

		if (!r->resident[p]) {
			q = p + 1;
			continue;
		}
		clean = page_clean(r, p);
		for (q = p + 1; q < r->npages && r->resident[q] &&
		    page_clean(r, q) == clean; q++)
			;
		if (clean) {
			drop_pages(r, p, q);
			memset(r->hot + p, 1, q - p);
		}
		else	/* unprotected: their stores are still to be sent */
			rmap_map_pages(r, p, q, 0);
	}
	r->next_seq = SIZE_MAX;
	pthread_mutex_unlock(&r->mtx);
}

void
rsm_rmap_close(struct rsm_rmap *r)
{
	uint64_t one = 1;
	int mine = getpid() == r->pid;

	pthread_mutex_lock(&r->mtx);
	if (r->closed) {
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	if (mine)
		(void)writeback_locked(r);
	r->closed = 1;
	if (mine && getenv("RSM_DEBUG") != NULL)
		fprintf(stderr, "librsm: remote map closed: %" PRIu64 " faults "
		    "(%" PRIu64 " write-protect), %" PRIu64 " fetches of %"
		    PRIu64 " bytes, %" PRIu64 " bytes written back, %" PRIu64
		    " pages dropped, %" PRIu64 " pages written back masked\n",
		    r->n_faults, r->n_wp_faults, r->n_fetches, r->n_fetched,
		    r->n_pushed, r->n_evicted, r->n_masked);
	pthread_mutex_unlock(&r->mtx);
	if (mine) {
		if (r->thread_up) {
			atomic_store(&r->stopping, 1);
			(void)!write(r->stopfd, &one, sizeof(one));
			pthread_join(r->thread, NULL);
		}
		/* Closing the uffd wakes any thread still waiting in a fault. */
		unmap_all(r);
		r->ops->disconnect(&r->xs);
	}
	/* A child has none of the mappings, and the stream is the parent's. */
	close_fds(r);
}

void
rsm_rmap_ref(struct rsm_rmap *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void
rsm_rmap_unref(struct rsm_rmap *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	rsm_rmap_close(r);
	rmap_free(r);
}

#pragma GCC visibility pop
