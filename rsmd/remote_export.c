/*
 * remote_export.c - the exporting node's side of remote imports: serve
 * CONNECT, DISCONNECT and SIGNAL from importing nodes, and tell them when
 * their imports are revoked or rung.
 *
 * A remote importer is one reg_import owned by a record of its own (struct
 * rmt_owner) holding the remote process's credentials, as the importing
 * daemon reported them, and its node, as the authenticated link says.
 * The access decision, quota, capability and listing are therefore those
 * of a local import; the daemons trust each other's word on credentials
 * (spec 4.2 assumes a cluster-wide id space), never on node ids.
 *
 * The record lives until the importer disconnects, the import is revoked
 * (REVOKED is sent, then it is freed), or the importing node goes down.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "remote.h"
#include "remote_int.h"
#include "rsm_remote.h"
#include "peer.h"
#include "rsm_ctlr.h"
#include "capability.h"
#include "service.h"
#include "log.h"
#include "monitor.h"

struct rmt_owner {
	struct reg_owner owner;		/* first: reg_import.owner points here */
	LIST_ENTRY(rmt_owner) link;
	uint64_t	 their_handle;	/* the importing daemon's import handle */
	struct reg_import *im;
};

static LIST_HEAD(, rmt_owner) owners = LIST_HEAD_INITIALIZER(owners);

static struct rmt_owner *
owner_of(struct reg_import *im)
{
	return (struct rmt_owner *)(void *)im->owner;
}

/* The import with this handle, if it belongs to a remote importer on node. */
static struct rmt_owner *
find(struct rsmd *rs, uint32_t node, uint64_t handle)
{
	struct reg_import *im = reg_import_by_handle(&rs->reg, handle);

	if (im == NULL || im->owner->node == 0 || im->owner->node != node)
		return NULL;
	return owner_of(im);
}

static void
drop(struct rsmd *rs, struct rmt_owner *ro, uint32_t reason)
{
	cap_revoke(rs, ro->im, reason);
	reg_import_remove(&rs->reg, ro->im);
	LIST_REMOVE(ro, link);
	free(ro->owner.groups);
	free(ro);
}

int
rmt_serve_connect(struct rsmd *rs, uint32_t node, uint32_t type,
    const void *body, size_t len, void *reply, size_t *reply_len)
{
	const struct rsm_ctlr_type *t = rsm_ctlr_by_rmt_connect(type);
	const struct rsmd_service *svc =
	    t != NULL ? service_for(t->xport) : NULL;
	struct rsm_rmt_connect *m;
	struct rsm_rmt_connect_reply r;
	struct rmt_owner *ro;
	struct reg_import *im;
	char why[160];
	uint32_t i;
	int rc;

	if (svc == NULL || !svc->serving(rs)) {
		log_refusal(&rs->refusal_log, RSMD_LOG_INFO, "node %u: remote "
		    "connect (type %u) refused: %s: %s", node, type,
		    rsm_err_name(RSMERR_CTLR_NOT_PRESENT), svc == NULL ?
		    "no data service of this node serves that type" :
		    "its data service is not serving");
		return RSMERR_CTLR_NOT_PRESENT;
	}
	/* About 2 KiB: not on the stack of the loop. */
	if ((m = malloc(sizeof(*m))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	if (rsm_rmt_connect_dec(body, len, m) == -1 || m->handle == 0) {
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u: remote "
		    "connect refused: %s: malformed (%zu bytes)", node,
		    rsm_err_name(RSMERR_BAD_ARGS_ERRORS), len);
		free(m);
		return RSMERR_BAD_ARGS_ERRORS;
	}
	if ((ro = calloc(1, sizeof(*ro))) == NULL) {
		free(m);
		return RSMERR_INSUFFICIENT_MEM;
	}
	reg_owner_init(&ro->owner, (uid_t)m->uid, (gid_t)m->gid,
	    (pid_t)m->pid);
	if (m->ngroups && (ro->owner.groups = calloc(m->ngroups,
	    sizeof(gid_t))) == NULL) {
		free(ro);
		free(m);
		return RSMERR_INSUFFICIENT_MEM;
	}
	for (i = 0; i < m->ngroups; i++)
		ro->owner.groups[i] = (gid_t)m->groups[i];
	ro->owner.ngroups = m->ngroups;
	ro->owner.node = node;
	ro->their_handle = m->handle;
	rc = reg_import_connect_from(&rs->reg, &ro->owner, node, m->segid,
	    m->perm, &im);
	if (rc != RSM_SUCCESS)
		refusal_import_why(&rs->reg, &ro->owner, node, m->segid,
		    m->perm, rc, why, sizeof(why));
	else {
		ro->im = im;
		rc = cap_issue(rs, im, svc, &r.cap);
		if (rc != RSM_SUCCESS) {
			reg_import_remove(&rs->reg, im);
			snprintf(why, sizeof(why), "cannot issue a data token "
			    "for %s", svc->name);
		}
	}
	if (rc != RSM_SUCCESS) {
		/* Who as the importing daemon named it; the node as we know it. */
		log_refusal(&rs->refusal_log, refusal_level(rc), "node %u pid "
		    "%u uid %u: remote connect to segment %#x (%s) refused: "
		    "%s: %s", node, m->pid, m->uid, m->segid,
		    refusal_perm(m->perm), rsm_err_name(rc), why);
		monitor_refusal(rs, RSM_MSG_IMPORT_CONNECT, m->segid, NULL,
		    node, (pid_t)m->pid, m->uid, rc);
		free(ro->owner.groups);
		free(ro);
		free(m);
		return rc;
	}
	LIST_INSERT_HEAD(&owners, ro, link);
	monitor_connect(rs, im, svc->xport);
	r.handle = im->handle;
	r.size = im->seg->size;
	r.node_mode = im->node_mode;
	r.granted = im->perm;
	r.owner_uid = (uint32_t)im->seg->uid;
	r.owner_gid = (uint32_t)im->seg->gid;
	*reply_len = rsm_rmt_connect_reply_enc(reply, &r);
	log_debug("node %u pid %u imports segment %#x (import %#" PRIx64 ")",
	    node, m->pid, m->segid, im->handle);
	free(m);
	return RSM_SUCCESS;
}

int
rmt_serve_disconnect(struct rsmd *rs, uint32_t node, uint32_t type,
    const void *body, size_t len, void *reply, size_t *reply_len)
{
	struct rmt_owner *ro;
	uint64_t handle;

	(void)type;
	(void)reply;
	*reply_len = 0;
	if (rsm_rmt_handle_dec(body, len, &handle) == -1)
		return RSMERR_BAD_ARGS_ERRORS;
	/* Already revoked or dropped: the importer's wish is granted. */
	if ((ro = find(rs, node, handle)) != NULL)
		drop(rs, ro, RSMERR_CONN_ABORTED);
	return RSM_SUCCESS;
}

int
rmt_serve_unreachable(struct rsmd *rs, uint32_t node, uint32_t type,
    const void *body, size_t len, void *reply, size_t *reply_len)
{
	struct rsm_rmt_unreachable m;
	struct sockaddr_storage ss;
	struct rmt_owner *ro;
	char where[80];

	(void)type;
	(void)reply;
	*reply_len = 0;
	if (rsm_rmt_unreachable_dec(body, len, &m) == -1)
		return RSMERR_BAD_ARGS_ERRORS;
	if ((ro = find(rs, node, m.handle)) == NULL)
		return RSM_SUCCESS;
	(void)rsm_wire_sockaddr(m.family, m.addr, m.port, &ss);
	rsmd_addr_text(&ss, where, sizeof(where));
	log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u cannot reach "
	    "this node's data port at %s (%s): "
	    "its import %#" PRIx64 " of segment %#x dropped (check "
	    "data_listen, rsmd.conf(5))", node, where,
	    m.err == 0 || m.err > 4095 ? "no answer" : strerror((int)m.err),
	    m.handle, ro->im->seg != NULL ? ro->im->seg->segid : 0);
	drop(rs, ro, RSMERR_CONN_ABORTED);
	return RSM_SUCCESS;
}

int
rmt_ring_exporter(struct rsmd *rs, uint32_t node, uint64_t handle,
    uint32_t flags)
{
	struct rmt_owner *ro = find(rs, node, handle);

	if (ro == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (ro->im->seg == NULL)
		return RSMERR_CONN_ABORTED;
	monitor_data_op(ro->im, RSM_DOP_SIGNAL, 0);
	/* rsmd's own segment: nobody waits on it, the post is lost. */
	if (dseg_is_daemon(ro->im->seg))
		return RSM_SUCCESS;
	/* Other exporters are always clients of this daemon. */
	notify_event(rs, (struct client *)(void *)ro->im->seg->owner,
	    RSM_HKIND_EXPORT, flags, ro->im->seg->handle);
	return RSM_SUCCESS;
}

void
remote_export_revoked(struct rsmd *rs, struct reg_import *im,
    uint32_t reason)
{
	struct rmt_owner *ro = owner_of(im);
	struct rsm_rmt_revoked m = { .handle = ro->their_handle,
	    .reason = reason };
	uint8_t body[RSM_RMT_REVOKED_LEN];
	size_t n = rsm_rmt_revoked_enc(body, &m);

	uint32_t node = ro->owner.node;

	/* Capability first: the data server refuses before anyone hears. */
	cap_revoke(rs, im, reason);
	/* Revoked, not just gone: counted and told so (monitor.c). */
	reg_import_revoke(&rs->reg, im, reason);
	/*
	 * Forgotten before the send: a send that finds the link dead runs
	 * the node-down hooks at once, and they drop every import of that
	 * node, this one too were it still listed (a use after free).
	 */
	drop(rs, ro, reason);
	rmt_send(rs, node, RSM_RMT_REVOKED, body, n);
}

void
remote_post_to_importer(struct rsmd *rs, struct reg_import *im,
    uint32_t flags)
{
	struct rmt_owner *ro = owner_of(im);
	struct rsm_rmt_signal m = { .handle = ro->their_handle,
	    .kind = RSM_HKIND_IMPORT, .flags = flags };
	uint8_t body[RSM_RMT_SIGNAL_LEN];
	size_t n = rsm_rmt_signal_enc(body, &m);

	rmt_send(rs, ro->owner.node, RSM_RMT_SIGNAL, body, n);
}

int
rmt_export_uses(uint32_t node)
{
	const struct rmt_owner *ro;

	LIST_FOREACH(ro, &owners, link)
		if (ro->owner.node == node)
			return 1;
	return 0;
}

void
rmt_export_node_down(struct rsmd *rs, uint32_t node)
{
	struct rmt_owner *ro, *next;
	unsigned n = 0;

	for (ro = LIST_FIRST(&owners); ro != NULL; ro = next) {
		next = LIST_NEXT(ro, link);
		if (ro->owner.node == node) {
			drop(rs, ro, RSMERR_CONN_ABORTED);
			n++;
		}
	}
	if (n)
		log_info("node %u down: dropped %u remote import%s of our "
		    "segments", node, n, n == 1 ? "" : "s");
}
