/*
 * handle_uffd.c - UFFD: the userfaultfd device for a client's remote maps.
 *
 * A remote map (librsm, rsm_memseg_import_map(3RSM)) takes its faults
 * through userfaultfd.  Most distributions set vm.unprivileged_userfaultfd
 * to 0 and keep /dev/userfaultfd for root, so an ordinary user's process
 * gets only a user-mode-only userfaultfd, with which a system call that
 * touches a page not fetched yet fails (EFAULT).  rsmd opens the device
 * while it is still root and hands the open device to a client that holds
 * a live import of another node's segment: the client then makes, with
 * USERFAULTFD_IOC_NEW, a full userfaultfd for its own memory, and for
 * nothing else (the ioctl binds it to the caller's address space).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "handler.h"
#include "log.h"

/* Linux 6.7; the C library's headers may be older than the kernel. */
#define RSMD_UFFD_FEATURE_WP_ASYNC	((uint64_t)1 << 15)

/*
 * The userfaultfd features of this kernel as librsm's remote map uses
 * them (librsm/rmap_track.c picks the same way): an API handshake asking
 * for nothing is answered with every feature there is.
 */
static uint32_t
rmap_track_probe(int dev)
{
	struct uffdio_api api;
	uint64_t f;
	int fd = dev >= 0 ? ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC) : -1;

	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return RSM_RMAP_TRACK_UNKNOWN;
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	f = ioctl(fd, UFFDIO_API, &api) == 0 ? api.features : 0;
	close(fd);
	if (!(f & UFFD_FEATURE_MINOR_SHMEM))
		return RSM_RMAP_TRACK_UNKNOWN;
	if (!(f & UFFD_FEATURE_WP_HUGETLBFS_SHMEM))
		return RSM_RMAP_TRACK_TWINS;
	return f & RSMD_UFFD_FEATURE_WP_ASYNC ? RSM_RMAP_TRACK_WP_ASYNC :
	    RSM_RMAP_TRACK_WP_SYNC;
}

void
uffd_dev_open(struct rsmd *rs)
{
	static const char *const names[] = { "none", "twins", "wp-sync",
	    "wp-async" };

	rs->uffd_dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (rs->uffd_dev == -1)
		log_debug("/dev/userfaultfd: %s: remote maps of unprivileged "
		    "clients take user-mode faults only", strerror(errno));
	rs->rmap_track = rmap_track_probe(rs->uffd_dev);
	log_debug("remote maps on this node find stores by %s",
	    names[rs->rmap_track]);
}

/* Whether the client holds a live import of another node's segment. */
static int
has_remote_import(const struct client *c)
{
	const struct reg_import *im;

	TAILQ_FOREACH(im, &c->owner.imports, owner_link)
		if (im->remote != NULL && im->reason == 0)
			return 1;
	return 0;
}

int
h_uffd(struct req *r)
{
	const char *why = NULL;
	int rc = RSM_SUCCESS;

	if (r->rs->uffd_dev == -1) {
		rc = RSMERR_UNSUPPORTED_OPERATION;
		why = "rsmd could not open /dev/userfaultfd";
	} else if (!has_remote_import(r->c)) {
		rc = RSMERR_PERM_DENIED;
		why = "the client holds no import of another node's segment";
	}
	if (rc != RSM_SUCCESS) {
		log_refusal(&r->rs->refusal_log, refusal_level(rc), "client pid "
		    "%d uid %u: UFFD refused: %s: %s", (int)r->c->owner.pid,
		    (unsigned)r->c->owner.uid, rsm_err_name(rc), why);
		return rc;
	}
	/* Lent, not given: the daemon keeps its descriptor. */
	r->outfd = r->rs->uffd_dev;
	r->outfd_owned = 0;
	return RSM_SUCCESS;
}
