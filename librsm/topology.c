/*
 * topology.c - rsm_get_interconnect_topology and its free.
 *
 * One contiguous buffer laid out as spec 2.2: the header, then one pointer
 * per local controller, then per controller its connections header
 * followed by its remote entries.  The pointers are absolute addresses
 * into the same buffer, so a single free releases everything.
 */
#include "rsm_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN8(x)	(((x) + 7u) & ~(size_t)7u)

/* Bytes of one rsm_connections_t holding n remote entries. */
static size_t
conn_size(size_t n)
{
	size_t sz = offsetof(rsm_connections_t, remote_cntlr) +
	    n * sizeof(rsm_remote_cntlr_t);

	if (sz < sizeof(rsm_connections_t))
		sz = sizeof(rsm_connections_t);
	return ALIGN8(sz);
}

/* Copy a wire name: bounded, always NUL-terminated. */
static void
copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, RSM_CTLR_NAME_MAX);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
rsm_get_interconnect_topology(rsm_topology_t **topology_data)
{
	struct rsm_msg_topology *t;
	struct rsm_call call;
	rsm_topology_t *top;
	size_t total, hdr_sz, nrem[RSM_TOPO_CTLR_MAX], i, j;
	char *p;
	int rc;

	if (topology_data == NULL)
		return RSMERR_BAD_TOPOLOGY_PTR;
	*topology_data = NULL;
	if ((t = malloc(sizeof(*t))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_TOPOLOGY;
	call.req_fd = -1;
	call.reply = t;
	call.reply_cap = sizeof(*t);
	rc = rsm_link_call(&call);
	if (call.reply_fd >= 0)
		close(call.reply_fd);
	if (rc != RSM_SUCCESS) {
		free(t);
		/* No daemon: as the spec's "cannot open /dev/rsm". */
		return rc == RSMERR_INSUFFICIENT_MEM ? rc :
		    RSMERR_INSUFFICIENT_RESOURCES;
	}
	/* The daemon's counts index arrays: check every one. */
	if (t->nctlr > RSM_TOPO_CTLR_MAX || t->nremote > RSM_TOPO_REMOTE_MAX) {
		free(t);
		return RSMERR_BAD_ADDR;
	}
	memset(nrem, 0, sizeof(nrem));
	for (j = 0; j < t->nremote; j++) {
		if (t->remote[j].local_ctlr >= t->nctlr) {
			free(t);
			return RSMERR_BAD_ADDR;
		}
		nrem[t->remote[j].local_ctlr]++;
	}
	hdr_sz = offsetof(rsm_topology_t, connections) +
	    t->nctlr * sizeof(rsm_connections_t *);
	if (hdr_sz < sizeof(rsm_topology_t))
		hdr_sz = sizeof(rsm_topology_t);
	hdr_sz = ALIGN8(hdr_sz);
	total = hdr_sz;
	for (i = 0; i < t->nctlr; i++)
		total += conn_size(nrem[i]);
	if ((top = calloc(1, total)) == NULL) {
		free(t);
		return RSMERR_INSUFFICIENT_MEM;
	}
	top->topology_hdr.local_nodeid = t->node_id;
	top->topology_hdr.local_cntlr_count = t->nctlr;
	p = (char *)top + hdr_sz;
	for (i = 0; i < t->nctlr; i++) {
		rsm_connections_t *c = (rsm_connections_t *)(void *)p;
		int k = 0;

		top->connections[i] = c;
		copy_name(c->hdr.cntlr_name, sizeof(c->hdr.cntlr_name),
		    t->ctlr[i].name);
		c->hdr.local_hwaddr = t->ctlr[i].hwaddr;
		for (j = 0; j < t->nremote; j++) {
			rsm_remote_cntlr_t *r;

			if (t->remote[j].local_ctlr != i)
				continue;
			r = &c->remote_cntlr[k++];
			r->remote_nodeid = t->remote[j].node;
			copy_name(r->remote_cntlrname,
			    sizeof(r->remote_cntlrname), t->remote[j].name);
			r->remote_hwaddr = t->remote[j].hwaddr;
			r->connection_state = t->remote[j].state;
		}
		c->hdr.remote_cntlr_count = k;
		p += conn_size(nrem[i]);
	}
	free(t);
	*topology_data = top;
	return RSM_SUCCESS;
}

void
rsm_free_interconnect_topology(rsm_topology_t *topology_data)
{
	free(topology_data);
}
