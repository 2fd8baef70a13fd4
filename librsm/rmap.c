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
#include "rmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rsmapi.h"

#pragma GCC visibility push(hidden)

/* Fetch batches, in pages: 64 KiB, doubling for sequential faults to 2 MiB. */
#define RA_MIN_BYTES	(64u * 1024u)
#define RA_MAX_BYTES	(2u * 1024u * 1024u)
/* The cache of one map, unless RSM_MAP_CACHE says otherwise. */
#define CACHE_DEFAULT	((size_t)1 << 30)

struct rsm_rmap {
	pthread_mutex_t	 mtx;		/* everything below but refs/dead */
	_Atomic unsigned refs;
	_Atomic int	 dead;		/* revoked: zero pages, barriers fail */
	const struct rsm_transport_ops *ops;
	struct rsm_xport_seg xs;	/* the map's own data path */
	pid_t		 pid;		/* the process that made it */
	size_t		 pg, npages, seg_off, len;
	char		*app;		/* the application's view (registered) */
	char		*fill;		/* the same memfd, for the handler */
	char		*twin;		/* page contents as fetched; NULL: read-only */
	char		*scratch;	/* one page: a stable copy being diffed */
	unsigned char	*resident;	/* per page */
	size_t		 nresident, cap_pages, ra_min, ra_max;
	size_t		 ra, next_seq;	/* readahead and where it continues */
	size_t		 hand;		/* eviction clock */
	int		 memfd, uffd, stopfd;
	int		 user_only;	/* UFFD_USER_MODE_ONLY */
	int		 err;		/* a put of a write-back failed */
	int		 closed;
	int		 thread_up;
	pthread_t	 thread;
};

/* ---- userfaultfd ---- */

/*
 * A full userfaultfd if this process may have one (root, or
 * CAP_SYS_PTRACE with vm.unprivileged_userfaultfd = 0; or access to
 * /dev/userfaultfd), else one for user-mode faults only: then a syscall
 * that touches an absent page fails with EFAULT instead of faulting
 * (rsm_memseg_import_map(3RSM), NOTES).
 */
static int
uffd_open(int *user_only)
{
	int fd, dev;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		*user_only = 0;
		return fd;
	}
	if ((dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC)) >= 0) {
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		close(dev);
		if (fd >= 0) {
			*user_only = 0;
			return fd;
		}
	}
	fd = (int)syscall(SYS_userfaultfd,
	    O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	*user_only = 1;
	return fd;
}

static int
uffd_setup(struct rsm_rmap *r)
{
	struct uffdio_api api;
	struct uffdio_register reg;

	if ((r->uffd = uffd_open(&r->user_only)) < 0)
		return RSMERR_MAP_FAILED;
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	api.features = UFFD_FEATURE_MINOR_SHMEM;
	if (ioctl(r->uffd, UFFDIO_API, &api) != 0 ||
	    !(api.features & UFFD_FEATURE_MINOR_SHMEM))
		return RSMERR_MAP_FAILED;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)r->app;
	reg.range.len = r->len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR;
	if (ioctl(r->uffd, UFFDIO_REGISTER, &reg) != 0 ||
	    !(reg.ioctls & ((uint64_t)1 << _UFFDIO_CONTINUE)))
		return RSMERR_MAP_FAILED;
	return RSM_SUCCESS;
}

static void
uffd_wake(struct rsm_rmap *r, size_t lo, size_t hi)
{
	struct uffdio_range w = { (uintptr_t)r->app + lo * r->pg,
	    (hi - lo) * r->pg };

	(void)ioctl(r->uffd, UFFDIO_WAKE, &w);
}

/*
 * Map pages [lo, hi) of the memfd for the application and wake their
 * waiters.  A page mapped already (a racing fault of a resident page)
 * is no error: the range is then mapped page by page.
 */
static void
map_pages(struct rsm_rmap *r, size_t lo, size_t hi)
{
	struct uffdio_continue c;
	size_t p;

	memset(&c, 0, sizeof(c));
	c.range.start = (uintptr_t)r->app + lo * r->pg;
	c.range.len = (hi - lo) * r->pg;
	while (ioctl(r->uffd, UFFDIO_CONTINUE, &c) != 0 && errno == EAGAIN)
		;
	if (c.mapped == (int64_t)c.range.len)
		return;
	for (p = lo; p < hi; p++) {
		memset(&c, 0, sizeof(c));
		c.range.start = (uintptr_t)r->app + p * r->pg;
		c.range.len = r->pg;
		while (ioctl(r->uffd, UFFDIO_CONTINUE, &c) != 0 &&
		    errno == EAGAIN)
			;
	}
	uffd_wake(r, lo, hi);
}

/* ---- write-back ---- */

/*
 * Send the bytes of page p that differ from its twin, exactly those (a
 * neighbouring byte another importer wrote must not be overwritten with
 * the value this one fetched), from a stable copy: a store racing with
 * the diff then differs from the new twin and travels next time.
 * Returns whether anything was sent; errors go to r->err.
 */
static int
push_page(struct rsm_rmap *r, size_t p)
{
	const char *cur = r->scratch;
	char *tw = r->twin + p * r->pg;
	size_t i = 0, s;
	int sent = 0, rc;

	memcpy(r->scratch, r->fill + p * r->pg, r->pg);
	if (memcmp(cur, tw, r->pg) == 0)
		return 0;
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
		for (s = i; i < r->pg && cur[i] != tw[i]; i++)
			;
		rc = r->ops->put(&r->xs, r->seg_off + p * r->pg + s, cur + s,
		    i - s);
		if (rc != RSM_SUCCESS && r->err == RSM_SUCCESS)
			r->err = rc;
		sent = 1;
	}
	memcpy(tw, cur, r->pg);
	return sent;
}

/* Lock held.  Returns the write-back's status. */
static int
writeback_locked(struct rsm_rmap *r)
{
	size_t p;
	int sent = 0, rc;

	if (r->twin != NULL && !atomic_load(&r->dead))
		for (p = 0; p < r->npages; p++)
			if (r->resident[p])
				sent |= push_page(r, p);
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
	for (p = lo; p < hi; p++) {
		r->resident[p] = 0;
		r->nresident--;
	}
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
					map_pages(r, p, p + 1);
					continue;
				}
				if (push_page(r, p) && r->ops->flush(&r->xs) !=
				    RSM_SUCCESS && r->err == RSM_SUCCESS)
					r->err = RSMERR_CONN_ABORTED;
			}
			drop_pages(r, p, p + 1);
		}
}

/*
 * Fetch pages [lo, hi), all absent, and map them.  Once revoked, or when
 * the data path fails, they are zero pages and the map is dead: the next
 * barrier says so.
 */
static void
fetch(struct rsm_rmap *r, size_t lo, size_t hi)
{
	char *dst = r->fill + lo * r->pg;
	size_t n = (hi - lo) * r->pg, p;
	int rc = RSMERR_CONN_ABORTED;

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
	r->nresident += hi - lo;
	map_pages(r, lo, hi);
}

/*
 * A fault at addr: the run of absent pages around it within one batch;
 * a fault just past the previous batch doubles the batch (sequential
 * access), any other starts again from the smallest, aligned to it.
 */
static void
fault(struct rsm_rmap *r, uintptr_t addr)
{
	size_t p, lo, hi, batch;

	if (addr < (uintptr_t)r->app || addr - (uintptr_t)r->app >= r->len)
		return;
	p = (addr - (uintptr_t)r->app) / r->pg;
	pthread_mutex_lock(&r->mtx);
	if (r->resident[p]) {
		map_pages(r, p, p + 1);
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	if (p == r->next_seq) {
		r->ra = r->ra * 2 > r->ra_max ? r->ra_max : r->ra * 2;
		lo = p;
	} else {
		r->ra = r->ra_min;
		lo = p - p % r->ra_min;
	}
	batch = r->ra < r->cap_pages ? r->ra : r->cap_pages;
	hi = lo + batch < r->npages ? lo + batch : r->npages;
	if (p >= hi) {		/* a cache smaller than the aligned batch */
		lo = p;
		hi = p + 1;
	}
	for (size_t q = p; q > lo; q--)
		if (r->resident[q - 1]) {
			lo = q;
			break;
		}
	for (size_t q = p + 1; q < hi; q++)
		if (r->resident[q]) {
			hi = q;
			break;
		}
	make_room(r, hi - lo);
	fetch(r, lo, hi);
	r->next_seq = hi;
	pthread_mutex_unlock(&r->mtx);
}

static void *
handler(void *arg)
{
	struct rsm_rmap *r = arg;
	struct pollfd pfd[2] = { { r->uffd, POLLIN, 0 },
	    { r->stopfd, POLLIN, 0 } };
	struct uffd_msg m[16];
	ssize_t n, i;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		n = read(r->uffd, m, sizeof(m));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n / (ssize_t)sizeof(m[0]); i++)
			if (m[i].event == UFFD_EVENT_PAGEFAULT)
				fault(r, (uintptr_t)m[i].arg.pagefault.address);
	}
	return NULL;
}

/* ---- life ---- */

/* RSM_MAP_CACHE: bytes, with an optional K, M or G. */
static size_t
cache_bytes(void)
{
	const char *s = getenv("RSM_MAP_CACHE");
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return CACHE_DEFAULT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return CACHE_DEFAULT;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	return *end == '\0' && v > 0 ? (size_t)v : CACHE_DEFAULT;
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
	r->uffd = r->stopfd = r->memfd = -1;
}

static void
rmap_free(struct rsm_rmap *r)
{
	free(r->resident);
	free(r->scratch);
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
    void **addr, int fixed)
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
	r->ops = ops;
	r->pid = getpid();
	r->pg = (size_t)sysconf(_SC_PAGESIZE);
	r->len = len;
	r->npages = len / r->pg;
	r->seg_off = seg_off;
	r->memfd = r->uffd = r->stopfd = -1;
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
	    (r->scratch = malloc(r->pg)) == NULL)
		goto fail;
	if ((r->memfd = memfd_create("rsm-rmap", MFD_CLOEXEC)) < 0 ||
	    ftruncate(r->memfd, (off_t)len) != 0)
		goto fail;
	if ((rc = views(r, prot, *addr, fixed)) != RSM_SUCCESS ||
	    (rc = uffd_setup(r)) != RSM_SUCCESS)
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
		if (clean)
			drop_pages(r, p, q);
		else
			map_pages(r, p, q);
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
	pthread_mutex_unlock(&r->mtx);
	if (mine) {
		if (r->thread_up) {
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

const char *
rsm_rmap_mode(const struct rsm_rmap *r)
{
	return r->user_only ? "userfaultfd user-mode-only" : "userfaultfd";
}

#pragma GCC visibility pop
