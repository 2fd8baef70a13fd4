/*
 * rmap_track.c - a remote map's userfaultfd (rmap_int.h): which one this
 * process may have, which write-protection the kernel offers, mapping
 * fetched pages for the application, and finding the pages written
 * since the last write-back.
 */
#include "rmap_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rsmapi.h"

#pragma GCC visibility push(hidden)

/*
 * Write tracking with asynchronous write-protection (Linux 6.7): the
 * kernel resolves a write to a protected page itself and clears the
 * page's uffd-wp bit, which PAGEMAP_SCAN reads, and sets again, as a
 * dirty bit.  The C library's headers may be older than the kernel.
 */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC		(1 << 15)
#endif
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP		((uint64_t)1 << 1)
#endif
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WRITTEN		(1 << 1)
#define PM_SCAN_WP_MATCHING	(1 << 0)
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#endif

/*
 * A full userfaultfd if this process may have one (root, or
 * CAP_SYS_PTRACE with vm.unprivileged_userfaultfd = 0; or access to
 * /dev/userfaultfd), else one for user-mode faults only: then a syscall
 * that touches an absent page fails with EFAULT instead of faulting
 * (rsm_memseg_import_map(3RSM), NOTES).
 */
/* A full userfaultfd made through an open /dev/userfaultfd, or -1. */
static int
uffd_from_dev(int dev)
{
	return dev < 0 ? -1 :
	    ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
}

static int
uffd_open(struct rsm_rmap *r)
{
	const char *want = getenv("RSM_MAP_UFFD");
	int fd = -1, dev;

	/* RSM_MAP_UFFD=user-mode-only: the caller asks for no more. */
	if (want != NULL && strcmp(want, "user-mode-only") == 0)
		goto user_only;
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && (dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC)) >= 0) {
		fd = uffd_from_dev(dev);
		close(dev);
	}
	/* The daemon's device, lent to a client with a remote import. */
	if (fd < 0 && r->uffd_dev_fn != NULL) {
		if (r->uffd_dev < 0)
			r->uffd_dev = r->uffd_dev_fn();
		fd = uffd_from_dev(r->uffd_dev);
		if (fd >= 0)
			r->via_daemon = 1;
	}
	if (fd >= 0) {
		r->user_only = 0;
		return fd;
	}
user_only:
	r->user_only = 1;
	return (int)syscall(SYS_userfaultfd,
	    O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
}

/* A userfaultfd with `features`, registered over the application's view. */
static int
uffd_try(struct rsm_rmap *r, uint64_t features, uint64_t mode)
{
	struct uffdio_api api;
	struct uffdio_register reg;

	if (r->uffd >= 0)
		close(r->uffd);
	if ((r->uffd = uffd_open(r)) < 0)
		return -1;
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	api.features = features;
	if (ioctl(r->uffd, UFFDIO_API, &api) != 0 ||
	    (api.features & features) != features)
		return -1;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)r->app;
	reg.range.len = r->len;
	reg.mode = mode;
	if (ioctl(r->uffd, UFFDIO_REGISTER, &reg) != 0 ||
	    !(reg.ioctls & ((uint64_t)1 << _UFFDIO_CONTINUE)) ||
	    ((mode & UFFDIO_REGISTER_MODE_WP) &&
	    !(reg.ioctls & ((uint64_t)1 << _UFFDIO_WRITEPROTECT))))
		return -1;
	return 0;
}

/*
 * The best tracking first: asynchronous, then synchronous
 * write-protection, then twins alone.  RSM_MAP_TRACK=wp-sync or twin
 * starts lower down (for tests, and for comparing the modes).  An API
 * call that fails leaves the userfaultfd unusable, hence a new one for
 * each try.
 */
int
rmap_uffd_setup(struct rsm_rmap *r)
{
	const uint64_t base = UFFDIO_REGISTER_MODE_MISSING |
	    UFFDIO_REGISTER_MODE_MINOR;
	const uint64_t shm_wp = UFFD_FEATURE_MINOR_SHMEM |
	    UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	const char *want = getenv("RSM_MAP_TRACK");
	enum rmap_track best = RMAP_TRACK_WP_ASYNC;

	r->track = RMAP_TRACK_NONE;
	if (r->twin == NULL)
		return uffd_try(r, UFFD_FEATURE_MINOR_SHMEM, base) == 0 ?
		    RSM_SUCCESS : RSMERR_MAP_FAILED;
	if (want != NULL && strcmp(want, "twin") == 0)
		best = RMAP_TRACK_TWINS;
	else if (want != NULL && strcmp(want, "wp-sync") == 0)
		best = RMAP_TRACK_WP_SYNC;
	if (best >= RMAP_TRACK_WP_ASYNC &&
	    (r->pagemap_fd = open("/proc/self/pagemap",
	    O_RDONLY | O_CLOEXEC)) >= 0 &&
	    uffd_try(r, shm_wp | UFFD_FEATURE_WP_ASYNC,
	    base | UFFDIO_REGISTER_MODE_WP) == 0) {
		r->track = RMAP_TRACK_WP_ASYNC;
		return RSM_SUCCESS;
	}
	if (r->pagemap_fd >= 0)
		close(r->pagemap_fd);
	r->pagemap_fd = -1;
	if (best >= RMAP_TRACK_WP_SYNC &&
	    uffd_try(r, shm_wp, base | UFFDIO_REGISTER_MODE_WP) == 0) {
		r->track = RMAP_TRACK_WP_SYNC;
		return RSM_SUCCESS;
	}
	if (uffd_try(r, UFFD_FEATURE_MINOR_SHMEM, base) != 0)
		return RSMERR_MAP_FAILED;
	r->track = RMAP_TRACK_TWINS;
	return RSM_SUCCESS;
}

void
rmap_uffd_wake(struct rsm_rmap *r, size_t lo, size_t hi)
{
	struct uffdio_range w = { (uintptr_t)r->app + lo * r->pg,
	    (hi - lo) * r->pg };

	(void)ioctl(r->uffd, UFFDIO_WAKE, &w);
}

/* One UFFDIO_CONTINUE: 0 or -errno; *mapped the bytes it mapped. */
static int
continue_range(struct rsm_rmap *r, size_t lo, size_t hi, uint64_t mode,
    int64_t *mapped)
{
	struct uffdio_continue c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.range.start = (uintptr_t)r->app + lo * r->pg;
	c.range.len = (hi - lo) * r->pg;
	c.mode = mode;
	while ((rc = ioctl(r->uffd, UFFDIO_CONTINUE, &c)) != 0 &&
	    errno == EAGAIN)
		;
	*mapped = c.mapped;
	return rc == 0 ? 0 : -errno;
}

/* UFFDIO_WRITEPROTECT of pages [lo, hi): protect or lift (and wake). */
static int
protect(struct rsm_rmap *r, size_t lo, size_t hi, int on)
{
	struct uffdio_writeprotect w;

	memset(&w, 0, sizeof(w));
	w.range.start = (uintptr_t)r->app + lo * r->pg;
	w.range.len = (hi - lo) * r->pg;
	w.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
	return ioctl(r->uffd, UFFDIO_WRITEPROTECT, &w);
}

static void
mark_written(struct rsm_rmap *r, size_t lo, size_t hi)
{
	if (r->track == RMAP_TRACK_WP_SYNC)
		memset(r->written + lo, RMAP_WRITTEN, hi - lo);
}

/*
 * Before Linux 6.3 UFFDIO_CONTINUE cannot map a page write-protected:
 * the pages are mapped without waking anyone, then protected, and a
 * store that landed between the two (a thread touching the page without
 * a fault) is caught by comparing with the twin.
 */
static void
map_then_protect(struct rsm_rmap *r, size_t lo, size_t hi)
{
	int64_t mapped;
	size_t p;

	for (p = lo; p < hi; p++)
		(void)continue_range(r, p, p + 1,
		    UFFDIO_CONTINUE_MODE_DONTWAKE, &mapped);
	if (protect(r, lo, hi, 1) != 0)
		mark_written(r, lo, hi);
	else
		for (p = lo; p < hi; p++)
			if (memcmp(r->fill + p * r->pg, r->twin + p * r->pg,
			    r->pg) != 0)
				r->written[p] = RMAP_WRITTEN;
	rmap_uffd_wake(r, lo, hi);
}

/*
 * A page mapped already (a racing fault of a resident page) is no
 * error: the range is then mapped page by page.
 */
void
rmap_map_pages(struct rsm_rmap *r, size_t lo, size_t hi, int wp)
{
	uint64_t mode = 0;
	int64_t mapped;
	size_t p;

	if (wp && r->track >= RMAP_TRACK_WP_SYNC)
		mode = UFFDIO_CONTINUE_MODE_WP;
	if (mode && r->no_continue_wp) {
		map_then_protect(r, lo, hi);
		return;
	}
	if (!mode)
		mark_written(r, lo, hi);
	if (continue_range(r, lo, hi, mode, &mapped) == -EINVAL && mode) {
		if (r->track == RMAP_TRACK_WP_SYNC) {
			r->no_continue_wp = 1;
			map_then_protect(r, lo, hi);
			return;
		}
		/* A kernel with WP_ASYNC but not this: compare twins. */
		r->track = RMAP_TRACK_TWINS;
		mode = 0;
		(void)continue_range(r, lo, hi, mode, &mapped);
	}
	if (mapped == (int64_t)((hi - lo) * r->pg))
		return;
	for (p = lo; p < hi; p++)
		(void)continue_range(r, p, p + 1, mode, &mapped);
	rmap_uffd_wake(r, lo, hi);
}

void
rmap_wp_fault(struct rsm_rmap *r, size_t p)
{
	if (r->resident[p] == 1)
		r->written[p] = RMAP_WRITTEN;
	/* A page dropped meanwhile: the writer retries and faults anew. */
	if (protect(r, p, p + 1, 0) != 0)
		rmap_uffd_wake(r, p, p + 1);
}

size_t
rmap_next_marked(const struct rsm_rmap *r, size_t p, unsigned bit)
{
	const uint64_t lanes = 0x0101010101010101ull * bit;
	uint64_t w;

	while (p < r->npages) {
		if (p % 8 == 0 && p + 8 <= r->npages) {
			memcpy(&w, r->written + p, sizeof(w));
			if ((w & lanes) == 0) {
				p += 8;
				continue;
			}
		}
		if (r->written[p] & bit)
			return p;
		p++;
	}
	return r->npages;
}

void
rmap_forget(struct rsm_rmap *r, size_t lo, size_t hi)
{
	if (r->written != NULL)
		memset(r->written + lo, 0, hi - lo);
}

/* RMAP_TRACK_WP_ASYNC: the pages PAGEMAP_SCAN finds written. */
static int
collect_scanned(struct rsm_rmap *r)
{
	struct page_region v[64];
	struct pm_scan_arg a;
	uintptr_t end = (uintptr_t)r->app + r->len, at = (uintptr_t)r->app;
	size_t p;
	long n, i;
	uintptr_t x;

	while (at < end) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
		a.start = at;
		a.end = end;
		a.vec = (uintptr_t)v;
		a.vec_len = sizeof(v) / sizeof(v[0]);
		a.category_mask = PAGE_IS_WRITTEN;
		a.return_mask = PAGE_IS_WRITTEN;
		if ((n = ioctl(r->pagemap_fd, PAGEMAP_SCAN, &a)) < 0)
			return -1;
		for (i = 0; i < n; i++)
			for (x = v[i].start; x < v[i].end; x += r->pg) {
				p = (x - (uintptr_t)r->app) / r->pg;
				if (p < r->npages)
					r->written[p] |= RMAP_PUSH;
			}
		if (a.walk_end <= at)
			break;
		at = a.walk_end;
	}
	return 0;
}

/*
 * RMAP_TRACK_WP_SYNC: the pages marked by write faults, protected again
 * a run at a time.  A run the kernel will not protect stays marked (its
 * stores are still found, by this write-back's comparison and the next).
 */
static void
collect_marked(struct rsm_rmap *r)
{
	size_t p, q, i;

	for (p = 0; p < r->npages; p = q + 1) {
		if ((p = rmap_next_marked(r, p, RMAP_WRITTEN)) == r->npages)
			break;
		for (q = p; q < r->npages && (r->written[q] & RMAP_WRITTEN);
		    q++)
			;
		if (protect(r, p, q, 1) == 0)
			for (i = p; i < q; i++)
				r->written[i] = RMAP_PUSH;
		else
			for (i = p; i < q; i++)
				r->written[i] |= RMAP_PUSH;
	}
}

int
rmap_collect_written(struct rsm_rmap *r)
{
	switch (r->track) {
	case RMAP_TRACK_WP_ASYNC:
		if (collect_scanned(r) == 0)
			return 0;
		r->track = RMAP_TRACK_TWINS;
		return -1;
	case RMAP_TRACK_WP_SYNC:
		collect_marked(r);
		return 0;
	default:
		return -1;
	}
}

const char *
rsm_rmap_mode(const struct rsm_rmap *r)
{
#define RMAP_MODES(how) { [RMAP_TRACK_NONE] = how ", read-only", \
	[RMAP_TRACK_TWINS] = how ", twins", \
	[RMAP_TRACK_WP_SYNC] = how ", wp-sync", \
	[RMAP_TRACK_WP_ASYNC] = how ", wp-async" }
	static const char *const names[3][4] = {
		RMAP_MODES("userfaultfd"),
		RMAP_MODES("userfaultfd from rsmd"),
		RMAP_MODES("userfaultfd user-mode-only"),
	};
#undef RMAP_MODES

	return names[r->user_only ? 2 : r->via_daemon ? 1 : 0][r->track];
}

#pragma GCC visibility pop
