/*
 * intr.c - events: signal post/wait, poll descriptors.
 *
 * Each handle owns an eventfd in semaphore mode whose counter is the
 * handle's pending-event count: the receiver thread adds one per EVENT,
 * a wait reads one.  The eventfd is also the handle's poll descriptor.
 * A wait never outlives the daemon: it polls the link's death eventfd too,
 * and a revoked or stale handle answers RSMERR_CONN_ABORTED.
 */
#include "rsm_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rsm_clock.h"

/*
 * A handle's event counter, made on first use (wait, pollfd or an arriving
 * event) so that holding many handles costs no descriptors.  Called with
 * the handles lock held.  Returns the fd or -1.
 */
int
rsm_evfd_get(int *evfdp)
{
	if (*evfdp < 0)
		*evfdp = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	return *evfdp;
}

/* A handle of either kind, resolved under the lock. */
struct seg_ref {
	struct rsm_export *ex;
	struct rsm_import *im;
	uint64_t epoch, dh;
	int evfd;
};

/* need_evfd: the caller will wait or poll, so the counter must exist. */
static int
seg_resolve(void *memseg, struct seg_ref *r, int need_evfd)
{
	int *evfdp;

	memset(r, 0, sizeof(*r));
	if ((r->ex = rsm_slot_check(memseg, RSM_MAGIC_EXPORT)) != NULL) {
		r->epoch = r->ex->hdr.epoch;
		r->dh = r->ex->hdr.dh;
		evfdp = &r->ex->evfd;
	} else if ((r->im = rsm_slot_check(memseg, RSM_MAGIC_IMPORT)) != NULL) {
		r->epoch = r->im->hdr.epoch;
		r->dh = r->im->hdr.dh;
		evfdp = &r->im->evfd;
	} else
		return RSMERR_BAD_SEG_HNDL;
	r->evfd = need_evfd ? rsm_evfd_get(evfdp) : *evfdp;
	if (need_evfd && r->evfd < 0)
		return RSMERR_INSUFFICIENT_RESOURCES;
	return RSM_SUCCESS;
}

static int
post(uint32_t kind, uint64_t epoch, uint64_t dh, uint32_t flags)
{
	struct rsm_msg_signal req;
	struct rsm_call call;
	int rc;

	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.flags = flags & RSM_SIGPOST_NO_ACCUMULATE;
	req.handle = dh;
	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_SIGNAL_POST;
	call.req = &req;
	call.req_len = sizeof(req);
	call.req_fd = -1;
	call.epoch = epoch;
	rc = rsm_link_call(&call);
	if (call.reply_fd >= 0)
		close(call.reply_fd);
	return rc;
}

struct post_arg {
	uint32_t kind;
	uint64_t epoch, dh;
};

static int
post_cb(void *arg, uint32_t flags)
{
	struct post_arg *pa = arg;

	return post(pa->kind, pa->epoch, pa->dh, flags);
}

int
rsm_signal_post_daemon(struct rsm_import *im, uint32_t flags)
{
	return post(RSM_HKIND_IMPORT, im->hdr.epoch, im->hdr.dh, flags);
}

int
rsm_signal_post_import(struct rsm_import *im, uint32_t flags)
{
	struct post_arg pa = { RSM_HKIND_IMPORT, im->hdr.epoch, im->hdr.dh };

	if (atomic_load(&im->gen) != 0)
		return RSMERR_CONN_ABORTED;
	return im->ctlr->ops->signal(&im->xs, flags, post_cb, &pa);
}

int
rsm_intr_signal_post(void *memseg, uint_t flags)
{
	struct seg_ref r;
	struct post_arg pa;
	int rc;

	rsm_handles_lock();
	rc = seg_resolve(memseg, &r, 0);
	rsm_handles_unlock();
	if (rc != RSM_SUCCESS)
		return rc;
	if (r.im != NULL)
		return rsm_signal_post_import(r.im, flags);
	/* Export: the daemon rings every importer. */
	pa.kind = RSM_HKIND_EXPORT;
	pa.epoch = r.epoch;
	pa.dh = r.dh;
	return r.ex->ctlr->ops->signal(NULL, flags, post_cb, &pa);
}

static int
handle_dead(const struct seg_ref *r)
{
	if (r->im != NULL && atomic_load(&r->im->gen) != 0)
		return 1;
	return !rsm_epoch_live(r->epoch);
}

/*
 * Take one wake-up of the handle's counter: 1 for a signal, 0 for none
 * (or a revocation's).  A revocation marks the handle dead, then wakes
 * the same counter: a wake-up that turns out to come from a dead handle
 * is given back, so the descriptor stays readable and its next waiter, a
 * wait_pollfd too, hears of the loss rather than sleeping out its
 * timeout.
 */
static int
take_signal(const struct seg_ref *r)
{
	uint64_t v;

	if (read(r->evfd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	if (!handle_dead(r))
		return 1;
	v = 1;
	(void)!write(r->evfd, &v, sizeof(v));
	return 0;
}

int
rsm_intr_signal_wait(void *memseg, int timeout)
{
	struct seg_ref r;
	struct pollfd pfd[2];
	int64_t deadline = 0;
	int rc, dfd, n;

	rsm_handles_lock();
	rc = seg_resolve(memseg, &r, 1);
	rsm_handles_unlock();
	if (rc != RSM_SUCCESS)
		return rc;
	if (handle_dead(&r))
		return RSMERR_CONN_ABORTED;
	if (take_signal(&r))
		return RSM_SUCCESS;
	if (handle_dead(&r))
		return RSMERR_CONN_ABORTED;
	if (timeout == 0)
		return RSMERR_TIMEOUT;
	if (timeout > 0)
		deadline = (int64_t)rsm_now_ms() + timeout;
	if ((dfd = rsm_link_death_fd(r.epoch)) < 0)
		return RSMERR_CONN_ABORTED;
	/* From here an event is read as soon as it arrives. */
	rsm_link_watch(1);
	for (;;) {
		int left = -1;

		if (timeout > 0) {
			int64_t d = deadline - (int64_t)rsm_now_ms();

			if (d <= 0) {
				rc = RSMERR_TIMEOUT;
				break;
			}
			left = d > 0x7fffffff ? 0x7fffffff : (int)d;
		}
		pfd[0].fd = r.evfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = dfd;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, left);
		if (n < 0) {
			rc = errno == EINTR ? RSMERR_INTERRUPTED :
			    errno == ENOMEM ? RSMERR_INSUFFICIENT_MEM :
			    RSMERR_INSUFFICIENT_RESOURCES;
			break;
		}
		if (n == 0) {
			rc = RSMERR_TIMEOUT;
			break;
		}
		/* A revocation or the daemon's death also wakes us. */
		if ((pfd[1].revents & POLLIN) || handle_dead(&r)) {
			rc = RSMERR_CONN_ABORTED;
			break;
		}
		if (take_signal(&r)) {
			rc = RSM_SUCCESS;
			break;
		}
		if (handle_dead(&r)) {
			rc = RSMERR_CONN_ABORTED;
			break;
		}
		/* Another waiter took it: wait again. */
	}
	rsm_link_watch(-1);
	close(dfd);
	return rc;
}

struct fd_find {
	int fd;
	int found;
	int dead;
};

static void
find_export_fd(void *slot, void *arg)
{
	struct rsm_export *e = slot;
	struct fd_find *ff = arg;

	if (e->poll_refs > 0 && e->evfd == ff->fd)
		ff->found = 1;
}

static void
find_import_fd(void *slot, void *arg)
{
	struct rsm_import *im = slot;
	struct fd_find *ff = arg;

	if (im->poll_refs > 0 && im->evfd == ff->fd) {
		ff->found = 1;
		ff->dead = atomic_load(&im->gen) != 0;
	}
}

/* Whether fd is the poll descriptor of a revoked import (lock taken here). */
static int
pollfd_dead(int fd)
{
	struct fd_find ff = { fd, 0, 0 };

	rsm_handles_lock();
	rsm_slot_foreach(RSM_MAGIC_IMPORT, find_import_fd, &ff);
	rsm_handles_unlock();
	return ff.found && ff.dead;
}

/* Which of fds are RSM poll descriptors (lock taken here). */
static void
classify(const struct pollfd *fds, nfds_t nfds, signed char *kind)
{
	nfds_t i;

	rsm_handles_lock();
	for (i = 0; i < nfds; i++) {
		struct fd_find ff = { fds[i].fd, 0, 0 };

		if (fds[i].fd >= 0) {
			rsm_slot_foreach(RSM_MAGIC_EXPORT, find_export_fd, &ff);
			if (!ff.found)
				rsm_slot_foreach(RSM_MAGIC_IMPORT,
				    find_import_fd, &ff);
		}
		kind[i] = !ff.found ? 0 : ff.dead ? 2 : 1;
	}
	rsm_handles_unlock();
}

/*
 * An eventfd polls as POLLIN only, while RSM pollfds ask for POLLRDNORM
 * (spec 3.7): RSM entries are polled for POLLIN on a copy of the array
 * and reported as POLLRDNORM once an event has been consumed.
 */
int
rsm_intr_signal_wait_pollfd(struct pollfd fds[], nfds_t nfds, int timeout,
    int *numfdsp)
{
	struct pollfd *pf = NULL;
	signed char *kind = NULL;
	nfds_t i;
	int n, count = 0, rc = RSM_SUCCESS;

	if (numfdsp != NULL)
		*numfdsp = 0;
	if (fds == NULL && nfds > 0)
		return RSMERR_BAD_ADDR;
	if (nfds > 0) {
		pf = calloc(nfds, sizeof(*pf));
		kind = calloc(nfds, 1);
		if (pf == NULL || kind == NULL) {
			free(pf);
			free(kind);
			return RSMERR_INSUFFICIENT_MEM;
		}
		classify(fds, nfds, kind);
		for (i = 0; i < nfds; i++) {
			pf[i] = fds[i];
			if (kind[i] != 0 && (fds[i].events & (POLLIN | POLLRDNORM)))
				pf[i].events |= POLLIN;
		}
	}
	n = poll(pf, nfds, timeout);
	if (n < 0) {
		switch (errno) {
		case EAGAIN:
			rc = RSMERR_INSUFFICIENT_RESOURCES;
			break;
		case EFAULT:
			rc = RSMERR_BAD_ADDR;
			break;
		case EINTR:
			rc = RSMERR_INTERRUPTED;
			break;
		case ENOMEM:
			rc = RSMERR_INSUFFICIENT_MEM;
			break;
		default:
			rc = RSMERR_BAD_ARGS_ERRORS;
			break;
		}
		goto out;
	}
	for (i = 0; i < nfds; i++) {
		uint64_t v;

		fds[i].revents = pf[i].revents;
		if (kind[i] == 0) {
			if (fds[i].revents != 0)
				count++;	/* an ordinary descriptor */
			continue;
		}
		if (pf[i].revents == 0)
			continue;
		if (kind[i] == 2) {
			/* Revoked: report it without eating the wake-up. */
			fds[i].revents = POLLERR;
			count++;
		} else if ((pf[i].revents & POLLIN) &&
		    read(fds[i].fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			/* Revoked during the poll: the revocation's wake-up. */
			if (pollfd_dead(fds[i].fd)) {
				v = 1;
				(void)!write(fds[i].fd, &v, sizeof(v));
				fds[i].revents = POLLERR;
			} else
				fds[i].revents = POLLRDNORM;
			count++;
		} else {
			fds[i].revents = 0;	/* lost the race */
		}
	}
	if (numfdsp != NULL)
		*numfdsp = count;
	if (count == 0)
		rc = RSMERR_TIMEOUT;
out:
	free(pf);
	free(kind);
	return rc;
}

int
rsm_memseg_get_pollfd(void *memseg, struct pollfd *fd)
{
	struct seg_ref r;
	int rc;

	rsm_handles_lock();
	if ((rc = seg_resolve(memseg, &r, 1)) == RSM_SUCCESS) {
		if (fd == NULL) {
			rc = RSMERR_BAD_ADDR;
		} else {
			fd->fd = r.evfd;
			/*
			 * POLLRDNORM as the spec says; POLLIN too, because an
			 * eventfd signals only POLLIN, and with it the fd wakes
			 * plain poll(2) and epoll(7) as well.
			 */
			fd->events = POLLRDNORM | POLLIN;
			fd->revents = 0;
			if (r.ex != NULL)
				r.ex->poll_refs++;
			else
				r.im->poll_refs++;
		}
	}
	rsm_handles_unlock();
	/* Whoever polls it must hear events at once (after the lock). */
	if (rc == RSM_SUCCESS)
		rsm_link_watch(1);
	return rc;
}

int
rsm_memseg_release_pollfd(void *memseg)
{
	struct seg_ref r;
	int rc, dropped = 0;

	rsm_handles_lock();
	if ((rc = seg_resolve(memseg, &r, 0)) == RSM_SUCCESS) {
		if (r.ex != NULL && r.ex->poll_refs > 0) {
			r.ex->poll_refs--;
			dropped = 1;
		} else if (r.im != NULL && r.im->poll_refs > 0) {
			r.im->poll_refs--;
			dropped = 1;
		}
	}
	rsm_handles_unlock();
	if (dropped)
		rsm_link_watch(-1);
	return rc;
}

/*
 * EVENT from the daemon (receiver thread).  NO_ACCUMULATE: dropped when
 * the count is already nonzero (a zero-timeout poll tells, without
 * consuming anything).
 */
void
rsm_event_deliver(uint64_t epoch, uint32_t kind, uint64_t dh, uint32_t flags)
{
	struct rsm_slot_hdr *h;
	int evfd = -1;

	rsm_handles_lock();
	if (kind == RSM_HKIND_EXPORT) {
		if ((h = rsm_slot_find(RSM_MAGIC_EXPORT, epoch, dh)) != NULL)
			evfd = rsm_evfd_get(&((struct rsm_export *)(void *)h)->evfd);
	} else if (kind == RSM_HKIND_IMPORT) {
		if ((h = rsm_slot_find(RSM_MAGIC_IMPORT, epoch, dh)) != NULL)
			evfd = rsm_evfd_get(&((struct rsm_import *)(void *)h)->evfd);
	}
	if (evfd >= 0) {
		struct pollfd p = { evfd, POLLIN, 0 };
		uint64_t one = 1;

		if (!(flags & RSM_SIGPOST_NO_ACCUMULATE) || poll(&p, 1, 0) == 0)
			(void)!write(evfd, &one, sizeof(one));
	}
	rsm_handles_unlock();
}
