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
#include "capability.h"
#include "service.h"
#include "log.h"

/* Importers are clients: the owner is the first member of struct client. */
static struct client *
client_of(struct reg_owner *o)
{
	return (struct client *)(void *)o;
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
	/* The services let go of its memory (verbs: no rkey works any more). */
	services_segment_released(rs, s);
}

void
notify_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct rsm_msg_rebound m = { .size = s->size };
	struct rsm_msg_hdr h;
	struct reg_import *im, *next;
	int fd, owned;

	/*
	 * Imports through a data service follow the new memory where the
	 * service can move them (verbs windows), or are cut off.
	 */
	services_segment_rebound(rs, s);
	for (im = TAILQ_FIRST(&s->imports); im != NULL; im = next) {
		next = TAILQ_NEXT(im, seg_link);
		/*
		 * Imports with a capability reach the memory through the
		 * daemon's mapping, which already is the new one: nothing to
		 * hand them.
		 */
		if (im->cap != NULL)
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
