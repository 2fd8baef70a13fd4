/*
 * notify.c - what rsmd tells clients without being asked: REVOKED when a
 * segment goes away under an importer, REBOUND when its memory moves, and
 * EVENT for signals.  Notifications carry id 0 and get no answer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "remote.h"
#include "vserv.h"
#include "log.h"

/* Importers are clients: the owner is the first member of struct client. */
static struct client *
client_of(struct reg_owner *o)
{
	return (struct client *)(void *)o;
}

int
segment_fd_for(struct reg_segment *s, uint32_t perm, int *owned)
{
	char path[64];
	int fd;

	*owned = 0;
	if (perm & RSM_PERM_WRITE)
		return s->fd;
	if (s->ro_fd >= 0)
		return s->ro_fd;
	/*
	 * The memfd reopened read-only: the importer cannot mmap it writable,
	 * so the kernel enforces the rights, not the library.  One open for
	 * all read-only importers of the segment (a path lookup through /proc
	 * per connect is most of a connect's cost), dropped again once the
	 * segment has no importers (segment_ro_put), so only segments in use
	 * hold a second descriptor.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("segment %#llx: reopen read-only",
		    (unsigned long long)s->handle);
		return -1;
	}
	s->ro_fd = fd;
	return fd;
}

void
segment_ro_put(struct reg_segment *s)
{
	if (s != NULL && s->ro_fd >= 0 && s->nimports == 0) {
		close(s->ro_fd);
		s->ro_fd = -1;
	}
}

void
notify_revoke_one(struct rsmd *rs, struct reg_import *im, uint32_t reason)
{
	struct rsm_msg_revoked m = { .handle = im->handle, .reason = reason };
	struct rsm_msg_hdr h;

	/* A remote importer hears it from its own node's daemon. */
	if (im->owner->node != 0) {
		remote_export_revoked(rs, im, reason);
		return;
	}
	rsm_msg_hdr_init(&h, RSM_MSG_REVOKED, 0, 0, 0, sizeof(m));
	client_send(rs, client_of(im->owner), &h, &m, sizeof(m), -1);
	/* Its data connections close before anyone hears the reply. */
	cap_revoke(rs, im, reason);
	reg_import_revoke(&rs->reg, im, reason);
}

void
notify_revoke_all(struct rsmd *rs, struct reg_segment *s, uint32_t reason)
{
	struct reg_import *im;

	while ((im = TAILQ_FIRST(&s->imports)) != NULL)
		notify_revoke_one(rs, im, reason);
	/* No rkey of the segment works any more: the hardware refuses. */
	vserv_seg_release(rs, s);
}

void
notify_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct rsm_msg_rebound m = { .size = s->size };
	struct rsm_msg_hdr h;
	struct reg_import *im, *next;
	int fd, owned;

	/*
	 * verbs imports: their windows move to the new memory; without
	 * windows their rkeys name the old pages, which the memory regions
	 * pin, so they are cut off (vserv.h).
	 */
	if (vserv_seg_rebound(rs, s) != 0) {
		for (im = TAILQ_FIRST(&s->imports); im != NULL; im = next) {
			next = TAILQ_NEXT(im, seg_link);
			if (vcap_held(im))
				notify_revoke_one(rs, im, RSMERR_CONN_ABORTED);
		}
		vserv_seg_release(rs, s);
	}
	for (im = TAILQ_FIRST(&s->imports); im != NULL; im = next) {
		next = TAILQ_NEXT(im, seg_link);
		/*
		 * tcp0 and verbs imports reach the memory through our
		 * mapping, which already is the new one: nothing to hand
		 * them.
		 */
		if (im->cap != NULL || vcap_held(im))
			continue;
		if ((fd = segment_fd_for(s, im->perm, &owned)) < 0) {
			/* Cannot hand out the new memory: cut the importer off. */
			struct rsm_msg_revoked rv = { .handle = im->handle,
			    .reason = RSMERR_CONN_ABORTED };

			rsm_msg_hdr_init(&h, RSM_MSG_REVOKED, 0, 0, 0,
			    sizeof(rv));
			client_send(rs, client_of(im->owner), &h, &rv,
			    sizeof(rv), -1);
			reg_import_revoke(&rs->reg, im, RSMERR_CONN_ABORTED);
			continue;
		}
		m.handle = im->handle;
		rsm_msg_hdr_init(&h, RSM_MSG_REBOUND, 0, 0, 0, sizeof(m));
		client_send(rs, client_of(im->owner), &h, &m, sizeof(m), fd);
		if (owned)
			close(fd);
	}
}

void
notify_event(struct rsmd *rs, struct client *c, uint32_t kind, uint32_t flags,
    uint64_t handle)
{
	struct rsm_msg_event m = { .kind = kind, .flags = flags,
	    .handle = handle };
	struct rsm_msg_hdr h;

	rsm_msg_hdr_init(&h, RSM_MSG_EVENT, 0, 0, 0, sizeof(m));
	client_send(rs, c, &h, &m, sizeof(m), -1);
}
