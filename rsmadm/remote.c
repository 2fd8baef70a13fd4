/*
 * remote.c - rsmadm -n NODE: the request goes to the local rsmd wrapped
 * in ADMIN_REMOTE, which asks NODE's rsmd over the peer link, and each
 * reply comes back wrapped (proto/rsm_admin.h).  Here: which commands
 * may be asked of another node, the wrapping and unwrapping, and what to
 * say when the asking fails.  A request's payload (stats' SEGID) goes
 * along after the wrapper.  Output is the local command's, unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "rsmadm.h"
#include "rsm_admin.h"
#include "rsm_err.h"
#include "rsmapi.h"

void
adm_remote_set(struct adm_conn *c, uint32_t node)
{
	c->remote = 1;
	c->node = node;
}

int
adm_remote_command(const char *word, uint16_t type)
{
	if (type != 0 && rsm_admin_remote_allowed(type))
		return 0;
	fprintf(stderr, "rsmadm: %s cannot be asked of another node (-n): "
	    "only the read-only commands can (see rsmadm(8))\n", word);
	return ADM_EXIT_USAGE;
}

size_t
adm_remote_wrap(const struct adm_conn *c, uint16_t type, const void *req,
    size_t reqlen, struct adm_wrapped *m)
{
	/* Only a row's argument fits; rsm_msg_check() takes no other. */
	if (reqlen > sizeof(m->arg))
		return 0;
	memset(m, 0, sizeof(*m));
	m->w.node = c->node;
	m->w.type = type;
	if (reqlen)
		memcpy(m->arg, req, reqlen);
	return sizeof(m->w) + reqlen;
}

int
adm_remote_unwrap(struct adm_conn *c, uint16_t type, const void **p,
    size_t *len)
{
	struct rsm_msg_admin_reply w;

	/* rsm_msg_check() has checked the size and the wrapped reply. */
	memcpy(&w, *p, sizeof(w));
	if (w.node != c->node || w.type != type)
		return -1;
	/* Who answered, for the output: the node and its daemon. */
	c->hello.node_id = w.node;
	c->hello.instance = w.instance;
	*p = (const unsigned char *)*p + sizeof(w);
	*len -= sizeof(w);
	return 0;
}

int
adm_remote_refused(const struct adm_conn *c, uint16_t type, int status)
{
	const char *what = rsm_msg_name(type);

	switch (status) {
	case RSMERR_UNKNOWN_RSM_ADDR:
		fprintf(stderr, "rsmadm: node %u is not a peer of this node "
		    "(%s)\n", c->node, rsm_err_name(status));
		break;
	case RSMERR_REMOTE_NODE_UNREACHABLE:
		fprintf(stderr, "rsmadm: node %u cannot be reached from this "
		    "node (%s)\n", c->node, rsm_err_name(status));
		break;
	case RSMERR_UNSUPPORTED_OPERATION:
		fprintf(stderr, "rsmadm: node %u's rsmd does not answer %s "
		    "from another node (%s)\n", c->node, what,
		    rsm_err_name(status));
		break;
	default:
		fprintf(stderr, "rsmadm: %s of node %u refused: %s\n", what,
		    c->node, rsm_err_name(status));
		break;
	}
	return ADM_EXIT_DAEMON;
}
