/*
 * handle_info.c - requests that ask about the node: HELLO, controllers
 * (one, or the list), topology, peer nodes and PING, status, the list of
 * segments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "rsm_clock.h"
#include "handler.h"
#include "log.h"
#include "peer.h"
#include "rsm_ctlr.h"

/* A PING waiting for its PONG: who asked, under which id. */
struct ping_wait {
	uint64_t	 serial;
	uint64_t	 id;
	uint32_t	 node;
};

int
h_hello(struct req *r)
{
	const struct rsm_msg_hello *m = r->p;

	if (m->proto_version != RSM_PROTO_VERSION) {
		log_refusal(&r->rs->refusal_log, RSMD_LOG_INFO,
		    "client pid %d uid %u: HELLO refused: %s: its library "
		    "speaks protocol version %u, this daemon %u",
		    (int)r->c->owner.pid, (unsigned)r->c->owner.uid,
		    rsm_err_name(RSMERR_BAD_LIBRARY_VERSION), m->proto_version,
		    RSM_PROTO_VERSION);
		return RSMERR_BAD_LIBRARY_VERSION;
	}
	r->out.hello.node_id = r->rs->conf.node_id;
	r->out.hello.daemon_pid = (uint64_t)getpid();
	r->out.hello.instance = r->rs->instance;
	r->outlen = sizeof(r->out.hello);
	return RSM_SUCCESS;
}

int
h_ctlr_query(struct req *r)
{
	const struct rsm_msg_ctlr *m = r->p;
	int rc;

	if ((rc = ctlr_describe(r->rs, m->name, &r->out.ctlr)) != RSM_SUCCESS)
		return rc;
	r->outlen = sizeof(r->out.ctlr);
	return RSM_SUCCESS;
}

/*
 * TOPOLOGY: a HEAD with the controllers, the peers in PARTs, an END with
 * the totals (proto/rsm_proto.h).  All of it is queued now, so the client
 * gets one snapshot however the links change meanwhile.
 */
int
h_topology(struct req *r)
{
	struct rsm_msg_topology_head head;
	struct rsm_msg_topology_part part;
	struct rsm_msg_topology *t = &head.t;
	struct ctlr_iter it;
	char route_name[RSM_CTLR_NAME_MAX];
	uint32_t route = 0, nparts = 0;
	size_t first, n, total = peer_count(r->rs);

	memset(&head, 0, sizeof(head));
	t->kind = RSM_TOPO_HEAD;
	t->node_id = r->rs->conf.node_id;
	/* loopback is no way to another node: not part of the topology. */
	ctlr_iter_init(&it);
	while (t->count < RSM_TOPO_CTLR_MAX && ctlr_next(r->rs, &it)) {
		if (it.type->flags & RSM_CTLRF_THIS_NODE)
			continue;
		/* Peer links are reached through the first PEER_ROUTE one. */
		if ((it.type->flags & RSM_CTLRF_PEER_ROUTE) && route == 0 &&
		    it.unit == 0)
			route = t->count;
		snprintf(head.ctlr[t->count].name, sizeof(head.ctlr[0].name),
		    "%s", it.name);
		head.ctlr[t->count++].hwaddr = r->rs->conf.node_id;
	}
	t->nremote = (uint32_t)total;
	req_send_more(r, &head, sizeof(*t) + t->count * sizeof(head.ctlr[0]));
	/* Peer daemons link over TCP: they are reached through its unit 0. */
	ctlr_peer_route(route_name, sizeof(route_name));
	for (first = 0; first < total; first += n) {
		memset(&part, 0, sizeof(part));
		n = peer_topology(r->rs, first, part.remote, RSM_TOPO_PART_MAX,
		    route, route_name);
		if (n == 0)
			break;
		part.t.kind = RSM_TOPO_PART;
		part.t.count = (uint32_t)n;
		part.t.first = (uint32_t)first;
		req_send_more(r, &part, sizeof(part.t) +
		    n * sizeof(part.remote[0]));
		nparts++;
	}
	memset(&r->out.topo, 0, sizeof(r->out.topo));
	r->out.topo.kind = RSM_TOPO_END;
	r->out.topo.nremote = (uint32_t)total;
	r->out.topo.nparts = nparts;
	r->outlen = sizeof(r->out.topo);
	return RSM_SUCCESS;
}

int
h_nodes(struct req *r)
{
	struct rsm_msg_nodeinfo ni;
	size_t i, n = peer_count(r->rs);

	for (i = 0; i < n; i++) {
		peer_info(r->rs, i, &ni);
		req_send_more(r, &ni, sizeof(ni));
	}
	memset(&r->out.nodeinfo, 0, sizeof(r->out.nodeinfo));
	r->out.nodeinfo.last = 1;
	r->out.nodeinfo.count = (uint32_t)n;
	r->outlen = sizeof(r->out.nodeinfo);
	return RSM_SUCCESS;
}

static void
ping_done(struct rsmd *rs, void *arg, int status, uint64_t rtt_us)
{
	struct ping_wait *w = arg;
	struct rsm_msg_ping_reply pr;
	struct client *c;

	if ((c = control_client_by_serial(rs, w->serial)) != NULL) {
		memset(&pr, 0, sizeof(pr));
		pr.node = w->node;
		pr.rtt_us = rtt_us;
		control_reply(rs, c, RSM_MSG_PING, w->id, status, &pr,
		    sizeof(pr));
	}
	free(w);
}

int
h_ping(struct req *r)
{
	const struct rsm_msg_ping *m = r->p;
	struct ping_wait *w;

	if (m->node == r->rs->conf.node_id || !peer_can_call(r->rs, m->node))
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	if ((w = malloc(sizeof(*w))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	w->serial = r->c->serial;
	w->id = r->h->id;
	w->node = m->node;
	if (peer_ping(r->rs, m->node, ping_done, w) == -1) {
		free(w);
		return RSMERR_INSUFFICIENT_MEM;
	}
	return RSMD_DEFERRED;
}

int
h_status(struct req *r)
{
	struct rsm_msg_status *st = &r->out.status;
	const struct rsmd *rs = r->rs;

	st->node_id = rs->conf.node_id;
	st->rmap = rs->rmap_track | (rs->uffd_dev >= 0 ? RSM_RMAP_UFFD_LENT : 0);
	st->daemon_pid = (uint64_t)getpid();
	st->uptime_ms = rsm_now_ms() - rs->start_ms;
	st->clients = rs->nclients;
	st->segments = rs->reg.nsegments;
	st->published = rs->reg.npublished;
	st->imports = rs->reg.nimports;
	st->bytes_exported = rs->reg.bytes;
	st->requests = rs->requests;
	st->refused = rs->refused;
	r->outlen = sizeof(*st);
	return RSM_SUCCESS;
}

int
h_list_segments(struct req *r)
{
	struct rsm_msg_seginfo si;
	struct reg_segment *s;
	struct reg_import *im;
	uint32_t count = 0, k;

	TAILQ_FOREACH(s, &r->rs->reg.all, all_link) {
		memset(&si, 0, sizeof(si));
		si.handle = s->handle;
		si.size = s->size;
		si.segid = s->segid;
		si.published = (uint32_t)s->published;
		si.owner_pid = (uint32_t)s->pid;
		si.owner_uid = (uint32_t)s->uid;
		si.owner_gid = (uint32_t)s->gid;
		si.mode = s->mode;
		si.acl_len = s->acl_len;
		si.nimporters = (uint32_t)s->nimports;
		k = 0;
		TAILQ_FOREACH(im, &s->imports, seg_link) {
			if (k == RSM_INFO_IMPORTERS_MAX)
				break;
			si.importer_node[k] = im->owner->node != 0 ?
			    im->owner->node : r->rs->conf.node_id;
			si.importer_pid[k++] = (uint32_t)im->owner->pid;
		}
		req_send_more(r, &si, sizeof(si));
		count++;
	}
	memset(&r->out.seginfo, 0, sizeof(r->out.seginfo));
	r->out.seginfo.last = 1;
	r->out.seginfo.count = count;
	r->outlen = sizeof(r->out.seginfo);
	return RSM_SUCCESS;
}

int
h_list_ctlrs(struct req *r)
{
	struct rsm_msg_ctlr_reply cr;
	struct ctlr_iter it;

	ctlr_iter_init(&it);
	while (ctlr_next(r->rs, &it))
		if (ctlr_describe(r->rs, it.name, &cr) == RSM_SUCCESS)
			req_send_more(r, &cr, sizeof(cr));
	memset(&r->out.ctlr, 0, sizeof(r->out.ctlr));
	r->outlen = sizeof(r->out.ctlr);
	return RSM_SUCCESS;
}
