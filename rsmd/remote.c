/*
 * remote.c - wiring of the remote import operations into the peer layer:
 * which server answers which inner type, what a node going down does,
 * and the one-way sends whose answers nobody waits for.
 */
#include "rsmapi.h"
#include "rsmd.h"
#include "remote.h"
#include "remote_int.h"
#include "rsm_remote.h"
#include "rsm_ctlr.h"
#include "peer.h"
#include "log.h"

static void
sent(struct rsmd *rs, void *arg, int status, const void *body, size_t len)
{
	(void)rs;
	(void)body;
	(void)len;
	if (status != RSM_SUCCESS)
		log_debug("remote %s: answered %s", (const char *)arg,
		    rsm_err_name(status));
}

static const char *
inner_name(uint32_t t)
{
	switch (t) {
	case RSM_RMT_CONNECT:		return "CONNECT";
	case RSM_RMT_CONNECT_VERBS:	return "CONNECT_VERBS";
	case RSM_RMT_DISCONNECT:	return "DISCONNECT";
	case RSM_RMT_REVOKED:		return "REVOKED";
	case RSM_RMT_SIGNAL:		return "SIGNAL";
	default:			return "?";
	}
}

void
rmt_send(struct rsmd *rs, uint32_t node, uint32_t inner_type,
    const void *body, size_t len)
{
	if (!peer_is_up(rs, node))
		return;
	/* The name is static: the callback has nothing to free. */
	if (peer_call(rs, node, inner_type, body, len, sent,
	    (void *)(uintptr_t)inner_name(inner_type)) == -1)
		log_warn("node %u: cannot send %s", node,
		    inner_name(inner_type));
}

/* SIGNAL rings either side: the kind names the receiver's handle's side. */
static int
serve_signal(struct rsmd *rs, uint32_t node, uint32_t type, const void *body,
    size_t len, void *reply, size_t *reply_len)
{
	struct rsm_rmt_signal m;

	(void)type;
	(void)reply;
	*reply_len = 0;
	if (rsm_rmt_signal_dec(body, len, &m) == -1 ||
	    (m.flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0)
		return RSMERR_BAD_ARGS_ERRORS;
	switch (m.kind) {
	case RSM_HKIND_EXPORT:
		return rmt_ring_exporter(rs, node, m.handle, m.flags);
	case RSM_HKIND_IMPORT:
		return rmt_ring_importer(rs, node, m.handle, m.flags);
	default:
		return RSMERR_BAD_ARGS_ERRORS;
	}
}

/* What keeps an on-demand link open: imports either way. */
static int
node_busy(struct rsmd *rs, uint32_t node)
{
	(void)rs;
	return rmt_import_uses(node) || rmt_export_uses(node);
}

static void
node_state(struct rsmd *rs, uint32_t node, int up)
{
	if (up)
		return;
	/* Both roles: this node may import from and export to that one. */
	rmt_import_node_down(rs, node);
	rmt_export_node_down(rs, node);
}

int
remote_init(void)
{
	size_t i;

	/* One CONNECT per controller type that reaches other nodes. */
	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		if (rsm_ctlr_types[i].rmt_connect != 0 &&
		    peer_handle(rsm_ctlr_types[i].rmt_connect,
		    rmt_serve_connect) == -1) {
			log_errx("remote imports: peer tables full");
			return -1;
		}
	}
	if (peer_handle(RSM_RMT_DISCONNECT, rmt_serve_disconnect) == -1 ||
	    peer_handle(RSM_RMT_UNREACHABLE, rmt_serve_unreachable) == -1 ||
	    peer_handle(RSM_RMT_REVOKED, rmt_serve_revoked) == -1 ||
	    peer_handle(RSM_RMT_SIGNAL, serve_signal) == -1 ||
	    peer_on_state(node_state) == -1 ||
	    peer_on_busy(node_busy) == -1) {
		log_errx("remote imports: peer tables full");
		return -1;
	}
	return 0;
}
